"""The Spark target's wiring, without a JVM: where its files live, how its tables are read from their Parquet
files, what a run on it records and prints. Building the models on Spark is tests/spark/ (make test-spark)."""

import os
import re
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration import cli
from orchestration.cli import main
from orchestration.nothing_new import readers_build
from orchestration.resources import build_resources
from orchestration.serving import publish_serving_copy
from orchestration.settings import DUCKDB, SPARK, Settings
from orchestration.spark_warehouse import (
    read_spark_table,
    record_spark_build,
    spark_built_build,
    spark_table_files,
    spark_table_folder,
    spark_table_rows,
    spark_tables,
)
from orchestration.summary import format_spark_summary, summarise_spark_run
from orchestration.warehouse import path_literal
from tests.conftest import event, load, write_lines


def _write_spark_table(spark_dir: Path, schema: str, table: str, files: dict[str, str]) -> Path:
    """A table laid out as Spark writes one: Parquet part files (in partition folders when partitioned),
    beside the `_SUCCESS` marker and hidden checksum files that are not Parquet."""
    folder = spark_table_folder(spark_dir, schema, table)
    folder.mkdir(parents=True)
    (folder / "_SUCCESS").touch()
    with duckdb.connect() as con:
        for relative, query in files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            con.execute(f"copy ({query}) to {path_literal(path)} (format parquet)")
            (path.parent / f".{path.name}.crc").write_bytes(b"not parquet")
    return folder


def test_a_spark_table_is_read_from_its_part_files_and_partition_folders(tmp_path):
    spark_dir = tmp_path / "warehouse.spark"
    _write_spark_table(
        spark_dir,
        "marts",
        "fct_orders",
        {
            "part-00000-a-c000.snappy.parquet": "select 'o1' as order_id, 10.5::double as revenue",
            "part-00001-a-c000.snappy.parquet": "select 'o2' as order_id, 20.0::double as revenue",
        },
    )
    _write_spark_table(
        spark_dir,
        "marts",
        "fct_funnel_daily",
        {
            "date_day=2026-09-01/part-00000-b.c000.snappy.parquet": "select 3 as sessions",
            "date_day=2026-09-02/part-00000-b.c000.snappy.parquet": "select 4 as sessions",
        },
    )

    assert spark_table_files(spark_dir, "marts", "fct_orders") == str(
        spark_dir / "warehouse" / "marts.db" / "fct_orders" / "**" / "*.parquet"
    )
    with duckdb.connect() as con:
        orders = con.execute(
            f"select * from {read_spark_table(spark_dir, 'marts', 'fct_orders')} order by 1"
        ).fetchall()
        daily = con.execute(f"select * from {read_spark_table(spark_dir, 'marts', 'fct_funnel_daily')} order by 1")
        daily_columns, daily_rows = [column[0] for column in daily.description], daily.fetchall()
    assert orders == [("o1", 10.5), ("o2", 20.0)]
    assert daily_columns == ["sessions", "date_day"]  # partition columns last, as Spark lists them
    assert [(sessions, str(day)) for sessions, day in daily_rows] == [(3, "2026-09-01"), (4, "2026-09-02")]
    assert spark_tables(spark_dir, "marts") == ["fct_funnel_daily", "fct_orders"]
    assert spark_tables(spark_dir, "staging") == []
    assert spark_table_rows(spark_dir, "marts") == {"fct_funnel_daily": 2, "fct_orders": 2}


def test_the_spark_folders_are_beside_the_loaders_database_and_the_target_is_chosen_by_name(tmp_path, monkeypatch):
    settings = Settings(landing_dir=tmp_path, db_path=tmp_path / "w.duckdb")
    monkeypatch.setenv("FUNNELHOUSE_TARGET", SPARK)

    assert settings.target == DUCKDB
    assert (settings.spark_dir, settings.raw_parquet_dir) == (tmp_path / "w.spark", tmp_path / "w.raw_parquet")
    assert Settings.from_env(tmp_path, tmp_path / "w.duckdb").target == SPARK
    assert Settings.from_env(tmp_path, tmp_path / "w.duckdb", DUCKDB).target == DUCKDB  # an argument wins
    with pytest.raises(ValueError, match="unknown target 'postgres'"):
        Settings(landing_dir=tmp_path, db_path=tmp_path / "w.duckdb", target="postgres")


def test_dbt_on_spark_gets_the_spark_folders_and_the_loopback_address(tmp_path, monkeypatch):
    for name in ("FUNNELHOUSE_DB", "FUNNELHOUSE_SPARK_DIR", "FUNNELHOUSE_RAW_PARQUET", "SPARK_LOCAL_IP"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(landing_dir=tmp_path, db_path=tmp_path / "w.duckdb", target=SPARK)
    resources = build_resources(settings)

    resources["warehouse"].export_for_dbt()

    assert os.environ["FUNNELHOUSE_DB"] == str(settings.db_path)
    assert os.environ["FUNNELHOUSE_SPARK_DIR"] == str(settings.spark_dir)
    assert os.environ["FUNNELHOUSE_RAW_PARQUET"] == str(settings.raw_parquet_dir)
    assert os.environ["SPARK_LOCAL_IP"] == "127.0.0.1"
    assert resources["dbt"].target == "spark"
    assert resources["dbt"].dbt_executable == str(Path(sys.executable).parent / "funnelhouse-dbt-spark")


def test_dbt_on_duckdb_is_given_no_spark_settings(tmp_path, monkeypatch):
    for name in ("FUNNELHOUSE_DB", "FUNNELHOUSE_SPARK_DIR", "FUNNELHOUSE_RAW_PARQUET", "SPARK_LOCAL_IP"):
        monkeypatch.delenv(name, raising=False)
    resources = build_resources(Settings(landing_dir=tmp_path, db_path=tmp_path / "w.duckdb"))

    resources["warehouse"].export_for_dbt()

    assert "FUNNELHOUSE_SPARK_DIR" not in os.environ and "SPARK_LOCAL_IP" not in os.environ
    assert resources["dbt"].target == "local"


def test_on_spark_the_readers_build_is_the_last_one_the_spark_warehouse_finished(landing, db, tmp_path):
    spark_dir, serving = tmp_path / "w.spark", tmp_path / "serving.duckdb"
    write_lines(landing, "events/a.jsonl", [event("e1")])
    load(landing, db)
    publish_serving_copy(db, serving)  # a serving copy of no build: it names none

    assert spark_built_build(spark_dir) is None
    record_spark_build(spark_dir, 7)
    assert spark_built_build(spark_dir) == 7
    assert readers_build(SPARK, serving, spark_dir) == 7
    assert readers_build(DUCKDB, serving, spark_dir) is None


def test_the_spark_summary_tells_the_loads_and_the_rows_of_every_spark_mart(landing, db, tmp_path):
    spark_dir = tmp_path / "w.spark"
    write_lines(landing, "events/a.jsonl", [event("e1"), event("e2"), "not json"])
    load(landing, db)
    _write_spark_table(spark_dir, "marts", "fct_orders", {"part-0.parquet": "select * from range(1234)"})

    text = format_spark_summary(summarise_spark_run(db, spark_dir, 0, {"waiting": ["events/b.jsonl"]}))

    assert "Funnelhouse run summary (Spark)" in text
    assert "Loaded 1 new landing file(s)." in text and "events/b.jsonl" in text
    assert re.search(r"\n  events loaded +2\n", text)
    assert re.search(r"\n  marts\.fct_orders +1,234 rows\n", text)
    assert str(spark_dir / "warehouse") in text and str(db) in text


def test_the_cli_takes_a_known_target_only_and_does_not_forget_on_spark(tmp_path, monkeypatch):
    runner = CliRunner()
    unknown = runner.invoke(main, ["run", "--landing", str(tmp_path), "--target", "postgres"])
    monkeypatch.setenv("FUNNELHOUSE_TARGET", SPARK)
    forget = runner.invoke(main, ["forget", "--user-id", "u1", "--db", str(tmp_path / "w.duckdb")])

    assert unknown.exit_code == 2 and "'postgres' is not one of 'duckdb', 'spark'" in unknown.output
    assert forget.exit_code == 1 and "not available on the Spark target" in forget.output


def test_a_spark_run_on_a_machine_without_java_says_so_before_loading_anything(tmp_path, monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(cli.shutil, "which", lambda name: None)
    db = tmp_path / "w.duckdb"

    result = CliRunner().invoke(main, ["run", "--landing", str(tmp_path), "--db", str(db), "--target", SPARK])

    # Without the spark extra (make install, not make install-spark) that is said first.
    assert result.exit_code == 1
    assert "the Spark target needs Java 17 or later" in result.output or "make install-spark" in result.output
    assert not db.exists()
