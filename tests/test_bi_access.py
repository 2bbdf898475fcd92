"""How analysts and BI tools get at the marts: SQLAlchemy on the serving copy, the Parquet export, the dbt docs
site, and the marts as Dagster shows them."""

import csv
import json
import os
import subprocess
import threading
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import sqlalchemy
from click.testing import CliRunner
from sqlalchemy.pool import NullPool

from orchestration.assets.dbt import _counted
from orchestration.assets.dbt_project import DBT_PROJECT_DIR, ensure_manifest, venv_dbt_executable
from orchestration.cli import main
from orchestration.definitions import defs
from orchestration.export import MANIFEST, ExportError, export_marts
from orchestration.serving import publish_serving_copy, serving_url
from tests.conftest import query


def _serving(video_shop) -> tuple[Path, Path]:
    _, db = video_shop
    return db, db.with_name("serving.duckdb")


def _marts(db: Path) -> set[str]:
    return {
        name for (name,) in query(db, "select table_name from information_schema.tables where table_schema = 'marts'")
    }


def _tiny_warehouse(path: Path, orders: int) -> Path:
    """A warehouse with two marts, one of them an audience, and nothing else."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.fct_orders as select range as order_id from range($n)", {"n": orders}
        )
        con.execute(
            "create or replace table marts.audience_welcome as "
            "select 'c' || range as customer_id, 'signed up, no order yet' as reason from range(3)"
        )
    return path


# SQLAlchemy


def test_bi_tools_read_every_mart_through_sqlalchemy_and_cannot_write(video_shop):
    db, serving = _serving(video_shop)
    engine = sqlalchemy.create_engine(serving_url(serving), poolclass=NullPool)

    with engine.connect() as con:
        orders = con.execute(sqlalchemy.text("select count(*) from marts.fct_orders")).scalar_one()
        with pytest.raises(sqlalchemy.exc.DBAPIError, match="read-only"):
            con.execute(sqlalchemy.text("create table marts.scratch as select 1 as x"))
    tables = set(sqlalchemy.inspect(engine).get_table_names(schema="marts"))

    assert tables == _marts(db)
    assert orders == query(db, "select count(*) from marts.fct_orders")[0][0] > 0


def test_an_open_sqlalchemy_connection_never_blocks_a_run_and_a_new_one_sees_it(tmp_path):
    warehouse, serving = _tiny_warehouse(tmp_path / "warehouse.duckdb", orders=3), tmp_path / "serving.duckdb"
    publish_serving_copy(warehouse, serving, run_id="run-1")
    engine = sqlalchemy.create_engine(serving_url(serving), poolclass=NullPool)
    count = sqlalchemy.text("select count(*) from marts.fct_orders")

    with engine.connect() as held_open:
        _tiny_warehouse(warehouse, orders=4)  # the run writes the warehouse ...
        publish_serving_copy(warehouse, serving, run_id="run-2")  # ... and publishes over the open file
        still_reading = held_open.execute(count).scalar_one()
    with engine.connect() as fresh:
        fresh_reads = fresh.execute(count).scalar_one()
        run = fresh.execute(sqlalchemy.text("select run_id from meta.publication")).scalar_one()

    assert (still_reading, fresh_reads, run) == (3, 4, "run-2")


# The Parquet export


def test_export_writes_every_public_mart_with_its_rows_and_run(video_shop, tmp_path):
    db, serving = _serving(video_shop)
    out = tmp_path / "bi" / "export"

    result = CliRunner().invoke(main, ["export", "--out", str(out), "--serving-db", str(serving)])

    assert result.exit_code == 0, result.output
    manifest = json.loads((out / MANIFEST).read_text())
    marts = _marts(db)
    assert set(manifest["marts"]) == marts
    for mart in marts:
        written = duckdb.sql(f"select count(*) from '{out / (mart + '.parquet')}'").fetchone()[0]
        assert written == manifest["marts"][mart]["rows"] == query(db, f"select count(*) from marts.{mart}")[0][0]
    assert manifest["run_id"] == query(serving, "select run_id from meta.publication")[0][0] is not None
    assert [path.name for path in tmp_path.joinpath("bi").iterdir()] == ["export"]  # no draft left behind


def test_every_run_exports_for_file_based_tools(video_shop):
    db, serving = _serving(video_shop)
    manifest = json.loads((db.with_name("export") / MANIFEST).read_text())

    assert manifest["run_id"] == query(serving, "select run_id from meta.publication")[0][0]
    assert set(manifest["marts"]) == _marts(db)


def test_audiences_are_also_exported_as_csv(tmp_path):
    warehouse, serving = _tiny_warehouse(tmp_path / "warehouse.duckdb", orders=2), tmp_path / "serving.duckdb"
    publish_serving_copy(warehouse, serving)

    export_marts(serving, tmp_path / "export")

    files = json.loads((tmp_path / "export" / MANIFEST).read_text())["marts"]
    assert files["audience_welcome"]["files"] == ["audience_welcome.parquet", "audience_welcome.csv"]
    assert files["fct_orders"]["files"] == ["fct_orders.parquet"]
    with (tmp_path / "export" / "audience_welcome.csv").open(newline="") as written:
        rows = list(csv.DictReader(written))
    assert rows == [{"customer_id": f"c{i}", "reason": "signed up, no order yet"} for i in range(3)]


def test_a_reader_never_sees_half_an_export(tmp_path):
    warehouse, serving = _tiny_warehouse(tmp_path / "warehouse.duckdb", orders=5), tmp_path / "serving.duckdb"
    publish_serving_copy(warehouse, serving)
    out = tmp_path / "export"
    export_marts(serving, out)
    seen, half = [], []
    done = threading.Event()

    def read_while_exporting() -> None:
        while not done.is_set():
            try:
                listed = json.loads((out / MANIFEST).read_text())["marts"]
                present = set(os.listdir(out))
            except FileNotFoundError:
                continue  # between the two renames: no export, never half of one
            seen.append(1)
            if not {file for mart in listed.values() for file in mart["files"]} <= present:
                half.append(sorted(present))

    reader = threading.Thread(target=read_while_exporting)
    reader.start()
    for _ in range(15):
        export_marts(serving, out)
    done.set()
    reader.join()

    assert seen and half == []


def test_export_refuses_to_replace_a_folder_that_is_not_an_export(tmp_path):
    warehouse, serving = _tiny_warehouse(tmp_path / "warehouse.duckdb", orders=1), tmp_path / "serving.duckdb"
    publish_serving_copy(warehouse, serving)
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "thesis.txt").write_text("mine")

    with pytest.raises(ExportError, match="not a Funnelhouse export"):
        export_marts(serving, documents)
    with pytest.raises(ExportError, match="run `funnelhouse run` first"):
        export_marts(tmp_path / "missing.duckdb", tmp_path / "new")

    assert [path.name for path in documents.iterdir()] == ["thesis.txt"]


# Docs: the dbt site and Dagster's catalog


def test_dbt_docs_build_from_the_serving_copy(video_shop, tmp_path):
    db, serving = _serving(video_shop)
    target = tmp_path / "docs"

    generated = subprocess.run(
        [
            venv_dbt_executable(),
            "docs",
            "generate",
            "--static",
            "--target-path",
            str(target),
            "--log-path",
            str(target),
        ],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "FUNNELHOUSE_DB": str(db), "FUNNELHOUSE_SERVING_DB": str(serving)},
        capture_output=True,
        text=True,
    )

    assert generated.returncode == 0, generated.stdout[-3000:]
    assert (target / "static_index.html").stat().st_size > 0
    catalog = json.loads((target / "catalog.json").read_text())["nodes"]
    documented_marts = {node["metadata"]["name"] for node in catalog.values() if node["metadata"]["schema"] == "marts"}
    assert documented_marts == _marts(db)


def test_every_model_and_every_column_it_builds_is_described(video_shop):
    _, db = video_shop
    manifest = json.loads(ensure_manifest().read_text())
    built = {}
    for schema, table, column in query(
        db, "select table_schema, table_name, column_name from information_schema.columns"
    ):
        built.setdefault((schema, table), set()).add(column)
    undocumented = []
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "seed", "snapshot"):
            continue
        if not node["description"].strip():
            undocumented.append(node["name"])
        described = {name for name, column in node["columns"].items() if column["description"].strip()}
        undocumented += [f"{node['name']}.{column}" for column in built[(node["schema"], node["alias"])] - described]

    assert undocumented == []


def test_dagster_shows_each_mart_with_its_description_and_columns(video_shop):
    _, db = video_shop
    for mart in _marts(db):
        key = dg.AssetKey(["marts", mart])
        spec = defs.resolve_assets_def(key).specs_by_key[key]
        columns = {column.name: column.description for column in spec.metadata["dagster/column_schema"].columns}
        built = {
            name
            for (name,) in query(db, f"select column_name from information_schema.columns where table_name = '{mart}'")
        }
        assert spec.description, mart
        assert set(columns) == built and all(columns.values()), mart


def test_built_tables_reach_dagster_with_their_row_counts(tmp_path):
    db = _tiny_warehouse(tmp_path / "warehouse.duckdb", orders=7)
    outputs = {"orders": dg.AssetKey(["marts", "fct_orders"]), "a_view": dg.AssetKey(["marts", "not_a_table"])}
    check = dg.AssetCheckResult(passed=True, asset_key=outputs["orders"], check_name="unique")
    built = [dg.Output(None, "orders", metadata={"unique_id": "model.fct_orders"}), check, dg.Output(None, "a_view")]

    events = list(_counted(built, db, outputs.__getitem__))

    assert events[0].metadata["dagster/row_count"].value == 7
    assert events[0].metadata["unique_id"].value == "model.fct_orders"
    assert events[1] is check and "dagster/row_count" not in events[2].metadata
