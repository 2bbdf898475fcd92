"""The same shop built on DuckDB and on Apache Spark: every public mart holds the same rows on both engines.

One small generated shop is landed twice, in separate folders; the pipeline builds it once with the DuckDB
target and once with the Spark target, and every model of the `marts` schema (from the dbt manifest) is read
from both and compared row for row (first_difference). Then the shop is delivered again in two parts, the
second with a day delivered late, to a new warehouse on each engine: their incremental runs must agree too.

Runs dbt on Spark (a JVM, about a minute per run): `make test-spark`, never part of `make test`.
"""

import json
import math
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.assets.dbt_project import ensure_manifest
from orchestration.cli import main
from orchestration.generator import generate_landing_zone
from orchestration.settings import DUCKDB, SPARK, Settings
from orchestration.spark_warehouse import read_spark_table, spark_table_folder
from tests.test_incremental_equals_full_refresh import RUN_TIME_COLUMNS

pytestmark = pytest.mark.spark

MARTS = "marts"
# Doubles and decimals agree to this relative tolerance (sums of doubles depend on the order rows are added
# in, which differs between engines), and to this absolute one near zero.
REL_TOL = 1e-9
ABS_TOL = 1e-9
# Small: every Spark run starts a JVM and builds each model as a Spark job.
SHOP = {"days": 5, "visitors": 400, "seed": 11}


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: list[tuple]


def public_marts() -> list[str]:
    """Every model dbt builds into the `marts` schema, from the project's manifest."""
    manifest = json.loads(ensure_manifest().read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["schema"] == MARTS
        and node["config"]["materialized"] != "ephemeral"
    )


PUBLIC_MARTS = public_marts()


# Comparing two tables ------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _is_approximate(value: Any) -> bool:
    return isinstance(value, float | Decimal)


def _as_instant(value: datetime) -> datetime:
    """Spark's timestamps come back without a time zone (UTC, as the session stores them); DuckDB's
    timestamptz with the connection's: both as UTC instants."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _agree(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if _is_number(left) and _is_number(right):
        if not (_is_approximate(left) or _is_approximate(right)):
            return left == right
        left, right = float(left), float(right)
        return (math.isnan(left) and math.isnan(right)) or math.isclose(left, right, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(left, datetime) and isinstance(right, datetime):
        return _as_instant(left) == _as_instant(right)
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(_agree(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_agree(left[key], right[key]) for key in left)
    return type(left) is type(right) and left == right


def _sort_key(value: Any) -> tuple:
    """A total order over the values of a column, whichever engine's types they come in: doubles rounded to
    9 significant digits, so that two engines' sums a rounding error apart sort alike."""
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, value)
    if _is_number(value):
        number = float(value)
        return (2, 1, 0.0) if math.isnan(number) else (2, 0, float(f"{number:.9g}"))
    if isinstance(value, datetime):
        return (3, _as_instant(value))
    if isinstance(value, date):
        return (4, value)
    if isinstance(value, str):
        return (5, value)
    if isinstance(value, list | tuple):
        return (6, tuple(_sort_key(item) for item in value))
    if isinstance(value, dict):
        return (7, tuple((key, _sort_key(item)) for key, item in sorted(value.items())))
    return (8, repr(value))


def _sorted_rows(table: Table, columns: list[str], approximate: set[str]) -> list[dict[str, Any]]:
    """Rows as dicts, sorted by every column: the exact ones first, so that a rounding error in a double
    never reorders rows that an exact column tells apart."""
    order = [column for column in columns if column not in approximate] + [c for c in columns if c in approximate]
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
    return sorted(rows, key=lambda row: tuple(_sort_key(row[column]) for column in order))


def first_difference(name: str, duckdb_table: Table | None, spark_table: Table | None) -> str | None:
    """Where the two engines' tables disagree, told so a person can find it; None when they agree.

    They agree when both exist with the same column names, the same number of rows, and, sorted by every
    column, the same rows: doubles and decimals to REL_TOL (ABS_TOL near zero), timestamps as instants, any
    other value (strings, dates, integers, booleans, nulls) exactly.
    """
    if duckdb_table is None or spark_table is None:
        missing = [engine for engine, table in ((DUCKDB, duckdb_table), (SPARK, spark_table)) if table is None]
        return f"{name}: no table on {' and '.join(missing)} (did its model fail? see the run's own test)"
    if set(duckdb_table.columns) != set(spark_table.columns):
        only_duckdb = [c for c in duckdb_table.columns if c not in spark_table.columns]
        only_spark = [c for c in spark_table.columns if c not in duckdb_table.columns]
        return f"{name}: the columns differ: only on duckdb {only_duckdb}, only on spark {only_spark}"
    columns = list(duckdb_table.columns)
    approximate = {
        column
        for table in (duckdb_table, spark_table)
        for row in table.rows
        for column, value in zip(table.columns, row, strict=True)
        if _is_approximate(value)
    }
    left, right = _sorted_rows(duckdb_table, columns, approximate), _sorted_rows(spark_table, columns, approximate)
    counts = f"{len(left)} rows on duckdb, {len(right)} on spark"
    for index, (a, b) in enumerate(zip(left, right, strict=False)):
        differing = [column for column in columns if not _agree(a[column], b[column])]
        if differing:
            unequal = sum(
                any(not _agree(x[column], y[column]) for column in columns) for x, y in zip(left, right, strict=False)
            )
            column = differing[0]
            return (
                f"{name}: column {column!r} differs in row {index + 1} (rows sorted by every column; {counts}; "
                f"{unequal} row(s) differ, in columns {differing} of this one):\n"
                f"  duckdb {column} = {a[column]!r}\n  spark  {column} = {b[column]!r}\n"
                f"  duckdb row: {a}\n  spark row:  {b}"
            )
    if len(left) != len(right):
        longer, engine = (left, DUCKDB) if len(left) > len(right) else (right, SPARK)
        return f"{name}: {counts}; the first row only on {engine}: {longer[min(len(left), len(right))]}"
    return None


# Reading the marts ---------------------------------------------------------------------------------------------


def _table(cursor: duckdb.DuckDBPyConnection) -> Table:
    """The cursor's rows without the columns that say when a run did its work (the forecast's fit time)."""
    names = [column[0] for column in cursor.description]
    kept = [index for index, name in enumerate(names) if name not in RUN_TIME_COLUMNS]
    return Table(tuple(names[i] for i in kept), [tuple(row[i] for i in kept) for row in cursor.fetchall()])


def read_duckdb_mart(db: Path, mart: str) -> Table | None:
    with duckdb.connect(str(db), read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [MARTS, mart]
        ).fetchone()[0]
        return _table(con.execute(f'select * from {MARTS}."{mart}"')) if exists else None


def read_spark_mart(spark_dir: Path, mart: str) -> Table | None:
    """Read from the table's Parquet files: no JVM, and Spark's catalog stays free."""
    if not spark_table_folder(spark_dir, MARTS, mart).is_dir():
        return None
    with duckdb.connect() as con:
        con.execute("set timezone = 'UTC'")
        return _table(con.execute(f"select * from {read_spark_table(spark_dir, MARTS, mart)}"))


# The comparison can fail ---------------------------------------------------------------------------------------

ORDERS = Table(
    ("order_id", "revenue", "ordered_at", "channel"),
    [
        ("o2", 20.0, datetime(2026, 9, 1, 12, tzinfo=UTC), None),
        ("o1", Decimal("10.10"), datetime(2026, 9, 1, 10, tzinfo=UTC), "Paid Search"),
    ],
)


def _orders_on_spark(**changes: Any) -> Table:
    """ORDERS as Spark returns them: other row order, naive UTC timestamps, doubles for decimals; with changes
    to the row of o1."""
    o1 = {"order_id": "o1", "revenue": 10.1, "ordered_at": datetime(2026, 9, 1, 10), "channel": "Paid Search"}
    o1.update(changes)
    return Table(
        ("channel", "order_id", "revenue", "ordered_at"),
        [
            (o1["channel"], o1["order_id"], o1["revenue"], o1["ordered_at"]),
            (None, "o2", 20.0 * (1 + 1e-12), datetime(2026, 9, 1, 12)),
        ],
    )


def test_tables_that_agree_up_to_order_types_and_rounding_have_no_difference():
    assert first_difference("marts.fct_orders", ORDERS, _orders_on_spark()) is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"revenue": 10.1001}, "column 'revenue' differs in row 1"),
        ({"ordered_at": datetime(2026, 9, 1, 11)}, "column 'ordered_at' differs in row 1"),
        ({"channel": "paid search"}, "column 'channel' differs"),
        ({"channel": None}, "column 'channel' differs"),
    ],
)
def test_a_value_that_differs_is_named_with_its_column_and_row(change, expected):
    difference = first_difference("marts.fct_orders", ORDERS, _orders_on_spark(**change))
    assert difference is not None and difference.startswith("marts.fct_orders: ")
    assert expected in difference
    assert "1 row(s) differ" in difference


def test_a_missing_row_a_missing_column_or_a_missing_table_is_a_difference():
    fewer = Table(ORDERS.columns, ORDERS.rows[:1])
    renamed = Table(("order_id", "revenue_eur", "ordered_at", "channel"), ORDERS.rows)

    assert "2 rows on duckdb, 1 on spark" in first_difference("m", ORDERS, fewer)
    assert "only on duckdb ['revenue'], only on spark ['revenue_eur']" in first_difference("m", ORDERS, renamed)
    assert "no table on spark" in first_difference("m", ORDERS, None)


def test_integers_strings_and_dates_must_be_equal_not_close():
    ints = Table(("n", "s", "d"), [(1_000_000_000_000, "a", date(2026, 9, 1))])

    assert first_difference("m", ints, Table(ints.columns, [(1_000_000_000_001, "a", date(2026, 9, 1))]))
    assert first_difference("m", ints, Table(ints.columns, [(1_000_000_000_000, "a ", date(2026, 9, 1))]))
    assert first_difference("m", ints, Table(ints.columns, [(1_000_000_000_000, "a", date(2026, 9, 2))]))


# The shop on both engines --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Build:
    settings: Settings
    exit_code: int  # of the last `funnelhouse run`
    output: str  # its summary, or its failures


def _land(shop: Path, landing: Path, files: list[Path]) -> None:
    for file in files:
        target = landing / file.relative_to(shop)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target)


def _shop_files(shop: Path) -> list[Path]:
    return sorted(path for path in shop.rglob("*") if path.is_file() and path.name != "truth.json")


def _run(settings: Settings) -> Build:
    args = ["run", "--landing", str(settings.landing_dir), "--db", str(settings.db_path), "--target", settings.target]
    result = CliRunner().invoke(main, args)
    return Build(settings, result.exit_code, result.output)


def _build(shop: Path, root: Path, target: str, deliveries: list[list[Path]]) -> Build:
    """The shop landed in `root` delivery by delivery, `funnelhouse run` after each, as a person runs it."""
    settings = Settings(landing_dir=root / "landing", db_path=root / "warehouse.duckdb", target=target)
    for files in deliveries:
        _land(shop, settings.landing_dir, files)
        build = _run(settings)
        if build.exit_code != 0:
            break  # a later delivery cannot make up for a failed run: report this one
    return build


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    os.environ.pop("DAGSTER_HOME", None)  # throwaway Dagster instances, never the developer's
    folder = tmp_path_factory.mktemp("engines") / "shop"
    generate_landing_zone(folder, **SHOP)
    return folder


@pytest.fixture(scope="module")
def on_duckdb(shop, tmp_path_factory) -> Build:
    return _build(shop, tmp_path_factory.mktemp("duckdb"), DUCKDB, [_shop_files(shop)])


@pytest.fixture(scope="module")
def on_spark(shop, tmp_path_factory) -> Build:
    return _build(shop, tmp_path_factory.mktemp("spark"), SPARK, [_shop_files(shop)])


def _two_deliveries(shop: Path) -> list[list[Path]]:
    """Every export and the events of days 1 and 3; then the events of day 2, late, and of the days after."""
    events = [path for path in _shop_files(shop) if path.relative_to(shop).parts[0] == "events"]
    assert len(events) == SHOP["days"]  # one file a day, in date order
    exports = [path for path in _shop_files(shop) if path not in events]
    return [[*exports, events[0], events[2]], [events[1], *events[3:]]]


@pytest.fixture(scope="module")
def on_duckdb_in_two_deliveries(shop, tmp_path_factory) -> Build:
    return _build(shop, tmp_path_factory.mktemp("duckdb_two_deliveries"), DUCKDB, _two_deliveries(shop))


@pytest.fixture(scope="module")
def on_spark_in_two_deliveries(shop, tmp_path_factory) -> Build:
    return _build(shop, tmp_path_factory.mktemp("spark_two_deliveries"), SPARK, _two_deliveries(shop))


def test_the_duckdb_run_succeeds(on_duckdb):
    assert on_duckdb.exit_code == 0, on_duckdb.output


def test_the_spark_run_succeeds_and_summarises_the_spark_marts(on_spark):
    assert on_spark.exit_code == 0, on_spark.output
    assert "Funnelhouse run summary (Spark)" in on_spark.output
    assert all(f"marts.{mart} " in on_spark.output for mart in PUBLIC_MARTS)


@pytest.mark.parametrize("mart", PUBLIC_MARTS)
def test_the_mart_holds_the_same_rows_on_spark_as_on_duckdb(mart, on_duckdb, on_spark):
    difference = first_difference(
        f"{MARTS}.{mart}",
        read_duckdb_mart(on_duckdb.settings.db_path, mart),
        read_spark_mart(on_spark.settings.spark_dir, mart),
    )
    assert difference is None, difference


def test_a_spark_run_with_nothing_new_builds_nothing(on_spark):
    assert on_spark.exit_code == 0, "the first Spark run failed: see test_the_spark_run_succeeds_..."

    again = _run(on_spark.settings)

    assert again.exit_code == 0, again.output
    assert "Nothing new" in again.output and str(on_spark.settings.spark_dir) in again.output


def test_the_runs_of_two_deliveries_succeed_on_both_engines(on_duckdb_in_two_deliveries, on_spark_in_two_deliveries):
    assert on_duckdb_in_two_deliveries.exit_code == 0, on_duckdb_in_two_deliveries.output
    assert on_spark_in_two_deliveries.exit_code == 0, on_spark_in_two_deliveries.output


@pytest.mark.parametrize("mart", PUBLIC_MARTS)
def test_the_mart_built_in_two_deliveries_is_the_same_on_both_engines(
    mart, on_duckdb_in_two_deliveries, on_spark_in_two_deliveries
):
    """Spark's incremental runs (appends, days overwritten, tables rebuilt) against DuckDB's (whose equality
    with a full refresh tests/test_incremental_equals_full_refresh.py proves): the same deliveries, so the
    same load ids in the columns that carry them."""
    difference = first_difference(
        f"{MARTS}.{mart}",
        read_duckdb_mart(on_duckdb_in_two_deliveries.settings.db_path, mart),
        read_spark_mart(on_spark_in_two_deliveries.settings.spark_dir, mart),
    )
    assert difference is None, difference
