"""Incremental runs over a shop delivered in three parts (the second run failing half-way), then a new version
of the project that changes an incremental model's logic, run with a corrected FX rate, then a person
forgotten and their events delivered again, equal a full refresh of the same data, row for row."""

import json
import math
import os
import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.erasure import MODEL_SCHEMAS
from orchestration.generator import generate_landing_zone
from orchestration.model_changes import BUILT_STATE
from orchestration.pipeline import run_pipeline
from orchestration.settings import Settings
from orchestration.warehouse import builds_folder
from tests.conftest import query
from tests.new_version import CHANGED_MODEL, POSITIONS, funnelhouse, install_new_version
from tests.test_personal_data import text_values

# Every incremental model and every public mart, with the columns that identify a row; compared in full.
INCREMENTAL_MODELS = {
    "staging.stg_events": "event_id",
    "staging.stg_order_items": "event_id, item_index",
    "intermediate.int_events_sessionized": "event_id",
    "intermediate.int_people": "anonymous_id",
    "intermediate.int_sessions": "session_id",
    "intermediate.int_session_channels": "session_id",
    "intermediate.int_touches": "touch_id",
    "intermediate.int_event_loads": "load_id",
    "intermediate.int_video_events": "event_id",
    "intermediate.int_activation_events": "event_id",
    "marts.fct_sessions": "session_id",
    "marts.fct_orders": "order_id",
    "marts.fct_funnel_daily": "date_day, channel, device_type",
    "marts.fct_refunds_without_order": "event_id",
    "marts.fct_kpi_period": "kpi, period_grain, period_start",
}


# What a run that fails after staging leaves behind: staging holds the run's loads, the models built after it
# and the run manifest's watermark do not.
BUILT_AFTER_STAGING = (
    "intermediate.int_events_sessionized",
    "intermediate.int_people",
    "intermediate.int_sessions",
    "intermediate.int_session_channels",
    "intermediate.int_touches",
    "intermediate.int_video_events",
    "intermediate.int_activation_events",
    "marts.fct_sessions",
    "marts.fct_funnel_daily",
    "intermediate.int_loads_built",
)


def _keep_aside(db: Path, tables: tuple[str, ...]) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute("create schema if not exists kept_aside")
        for table in tables:
            con.execute(f"create or replace table kept_aside.{table.replace('.', '__')} as select * from {table}")


def _put_back(db: Path, tables: tuple[str, ...]) -> None:
    with duckdb.connect(str(db)) as con:
        for table in tables:
            con.execute(f"delete from {table}")
            con.execute(f"insert into {table} select * from kept_aside.{table.replace('.', '__')}")
        con.execute("drop schema kept_aside cascade")


def _deliver(source: Path, landing: Path, files: list[Path]) -> None:
    for file in files:
        target = landing / file.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target)


def _snapshot(db: Path, model: str, order: str) -> list[dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        cursor = con.execute(f"select * from {model} order by {order}")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _correct_fx_rates(landing: Path, truth: dict) -> None:
    """The feed re-sends the second day's rates, 10% higher: that day's orders are re-priced, however old."""
    day = date.fromisoformat(truth["parameters"]["start_date"]) + timedelta(days=1)
    rows = [f"{day},{currency},{rate}" for currency, rate in (("USD", 1.0), ("GBP", 1.3), ("SEK", 0.1))]
    (landing / "fx_rates" / "fx_rates_correction.csv").write_text("date,currency,rate_to_reporting\n" + "\n".join(rows))


def _model_tables(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and table_schema in (select unnest($schemas)) order by 1",
            {"schemas": list(MODEL_SCHEMAS)},
        ).fetchall()
    return [row[0] for row in rows if row[0] not in RUN_MANIFEST_TABLES]


# When a run did the work, not what the data says: the demand forecast's fit time.
RUN_TIME_COLUMNS = ("fitted_at",)
# What the last run folded in (the run manifest), not data: the last incremental run's loads and devices, a
# full refresh's every load and device.
RUN_MANIFEST_TABLES = ("intermediate.int_loads_this_run", "intermediate.int_devices_this_run")


def _rows(db: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        columns = [name for (name,) in con.execute(f"select column_name from (describe {table})").fetchall()]
        kept = ", ".join(f'"{name}"' for name in columns if name not in RUN_TIME_COLUMNS)
        return con.execute(f"select {kept} from {table} order by all").fetchall()


def _the_person_to_forget(db: Path) -> str:
    """A customer with orders and more than one device: their erasure touches every kind of model."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            """
            select people.customer_id
            from intermediate.int_people as people
            inner join marts.fct_orders as orders on orders.customer_id = people.customer_id
            group by people.customer_id
            order by count(distinct people.anonymous_id) desc, count(distinct orders.order_id) desc, 1
            limit 1
            """
        ).fetchone()[0]


def _their_events_as_sent(db: Path, customer_id: str) -> tuple[list[str], list[str]]:
    """(their devices, their events as contract lines): what a tracker would send again."""
    with duckdb.connect(str(db), read_only=True) as con:
        devices = [
            row[0]
            for row in con.execute(
                "select anonymous_id from intermediate.int_people where customer_id = ? order by 1", [customer_id]
            ).fetchall()
        ]
        cursor = con.execute(
            """
            select event_id, event_name, strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%gZ') as occurred_at,
                anonymous_id, user_id, page, campaign, context, properties
            from raw.events where user_id = $customer or anonymous_id in (select unnest($devices)) order by 1
            """,
            {"customer": customer_id, "devices": devices},
        )
        names = [column[0] for column in cursor.description]
        lines = []
        for row in cursor.fetchall():
            event = dict(zip(names, row, strict=True))
            for field in ("page", "campaign", "context", "properties"):
                event[field] = json.loads(event[field]) if event[field] is not None else None
            lines.append(json.dumps({key: value for key, value in event.items() if value is not None}))
    return devices, lines


def _forget_and_deliver_again(settings: Settings, project: Path) -> dict:
    """Land one customer's events again and forget them through the CLI of `project`; what it did, for the tests."""
    customer_id = _the_person_to_forget(settings.db_path)
    devices, lines = _their_events_as_sent(settings.db_path, customer_id)
    # Sent again before the erasure's own run, which loads the file: the loader must know them as forgotten.
    redelivered = settings.landing_dir / "events" / "redelivered.jsonl"
    redelivered.write_text("".join(line + "\n" for line in lines))
    output = funnelhouse(
        project,
        "forget",
        "--user-id",
        customer_id,
        "--landing",
        str(settings.landing_dir),
        "--db",
        str(settings.db_path),
    )
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        erasure = con.execute("select events, devices, rows_removed from raw.erasures").fetchall()
        forgotten = con.execute(
            "select forgotten, loaded from raw.load_ledger where path = 'events/redelivered.jsonl'"
        ).fetchall()
    return {
        "customer_id": customer_id,
        "devices": devices,
        "events_sent_again": len(lines),
        "cli_output": output,
        "erasure": erasure,
        "redelivery": forgotten,
    }


@dataclass
class Delivered:
    truth: dict
    as_planted: dict[str, list[dict]]  # INCREMENTAL_MODELS before anyone was forgotten
    incremental: dict[str, list[dict]]  # after the erasure and the re-delivery
    full: dict[str, list[dict]]  # a full refresh of the same data
    every_table: dict[str, list[tuple]]  # every model table, incremental, after the erasure
    every_table_full: dict[str, list[tuple]]
    forgetting: dict
    settings: Settings
    upgrade_run: str  # what the first run of the new version printed
    positions: tuple[int, int]  # new_version.POSITIONS after it


@pytest.fixture(scope="module")
def delivered_in_three_parts(tmp_path_factory) -> Delivered:
    os.environ.pop("DAGSTER_HOME", None)
    root = tmp_path_factory.mktemp("parts")
    shop = root / "shop"
    truth = generate_landing_zone(shop, days=6, visitors=1_500, seed=11)
    event_files = sorted((shop / "events").rglob("*.*"))
    other_files = sorted(p for p in shop.rglob("*.csv"))
    landing = root / "landing"
    settings = Settings(landing_dir=landing, db_path=root / "warehouse.duckdb")
    third = len(event_files) // 3
    parts = [other_files + event_files[:third], event_files[third : 2 * third], event_files[2 * third :]]
    for number, part in enumerate(parts, start=1):
        _deliver(shop, landing, part)
        if number == 2:
            _keep_aside(settings.db_path, BUILT_AFTER_STAGING)
        outcome = run_pipeline(settings)
        assert outcome.success, outcome.failures
        if number == 2:
            # The second run failed after staging: the third must still fold the second part in everywhere.
            _put_back(settings.db_path, BUILT_AFTER_STAGING)
    # Upgraded: from here on the warehouse runs a new version of the project, without a flag.
    project = install_new_version(root / "project")
    _correct_fx_rates(landing, truth)
    upgrade_run = funnelhouse(project, "run", "--landing", str(landing), "--db", str(settings.db_path))
    positions = query(settings.db_path, POSITIONS)[0]
    # As delivered: what the generator planted, before anyone is forgotten.
    as_planted = {model: _snapshot(settings.db_path, model, key) for model, key in INCREMENTAL_MODELS.items()}
    forgetting = _forget_and_deliver_again(settings, project)
    incremental = {model: _snapshot(settings.db_path, model, key) for model, key in INCREMENTAL_MODELS.items()}
    every_table = {table: _rows(settings.db_path, table) for table in _model_tables(settings.db_path)}
    funnelhouse(project, "run", "--landing", str(landing), "--db", str(settings.db_path), "--full-refresh")
    full = {model: _snapshot(settings.db_path, model, key) for model, key in INCREMENTAL_MODELS.items()}
    every_table_full = {table: _rows(settings.db_path, table) for table in _model_tables(settings.db_path)}
    return Delivered(
        truth,
        as_planted,
        incremental,
        full,
        every_table,
        every_table_full,
        forgetting,
        settings,
        upgrade_run,
        positions,
    )


@pytest.mark.parametrize("model", sorted(INCREMENTAL_MODELS))
def test_incremental_runs_equal_a_full_refresh(delivered_in_three_parts, model):
    delivered = delivered_in_three_parts
    assert len(delivered.incremental[model]) > 0
    assert delivered.incremental[model] == delivered.full[model]


def test_the_upgrade_run_names_the_changed_model_and_the_incremental_models_it_rebuilt_in_full(
    delivered_in_three_parts,
):
    delivered = delivered_in_three_parts
    manifest = json.loads((builds_folder(delivered.settings.db_path) / BUILT_STATE / "manifest.json").read_text())
    rebuilt = sorted(_incremental_descendants(manifest, CHANGED_MODEL))

    assert re.search(rf"Changed since build \d+: {CHANGED_MODEL}\.", delivered.upgrade_run)
    assert f"incremental models rebuilt in full: {', '.join(rebuilt)}." in delivered.upgrade_run
    assert "stg_events" not in rebuilt  # upstream of the change: stays incremental


def test_the_upgrade_reaches_the_rows_of_devices_no_later_delivery_touched(delivered_in_three_parts):
    with_position, with_old_position = delivered_in_three_parts.positions
    assert with_position > 1_000
    assert with_old_position == 0


def _incremental_descendants(manifest: dict, model: str) -> set[str]:
    """The model and every incremental model downstream of it, by a walk of the build's manifest."""
    nodes = manifest["nodes"]
    start = next(key for key, node in nodes.items() if node["resource_type"] == "model" and node["name"] == model)
    reached, frontier = {start}, [start]
    while frontier:
        for child in manifest["child_map"][frontier.pop()]:
            if child not in reached and child.startswith("model."):
                reached.add(child)
                frontier.append(child)
    return {nodes[key]["name"] for key in reached if nodes[key]["config"]["materialized"] == "incremental"}


def test_sessions_equal_the_sessions_the_generator_planted(delivered_in_three_parts):
    truth, incremental = delivered_in_three_parts.truth, delivered_in_three_parts.as_planted
    session_ids = {row["session_id"] for row in incremental["intermediate.int_events_sessionized"]}
    assert len(session_ids) == truth["sessions"]["sessions"]
    assert len(incremental["intermediate.int_sessions"]) == truth["sessions"]["sessions"]


def test_purchase_sessions_equal_what_the_generator_planted(delivered_in_three_parts):
    """A session purchased when it holds an order, a server-side one included (money is never a bot)."""
    truth, incremental = delivered_in_three_parts.truth, delivered_in_three_parts.as_planted
    purchase_sessions = [row for row in incremental["marts.fct_sessions"] if row["purchased"]]
    assert len(purchase_sessions) == truth["sessions"]["sessions_with_order"]


def test_the_fx_correction_re_priced_orders_of_that_day(delivered_in_three_parts):
    truth, incremental = delivered_in_three_parts.truth, delivered_in_three_parts.as_planted
    corrected_day = date.fromisoformat(truth["parameters"]["start_date"]) + timedelta(days=1)
    re_priced = [
        row
        for row in incremental["marts.fct_orders"]
        if row["fx_rate_date"] == corrected_day and row["currency"] != truth["parameters"]["reporting_currency"]
    ]
    assert re_priced
    assert {(row["currency"], row["fx_rate"]) for row in re_priced} <= {("USD", 1.0), ("GBP", 1.3), ("SEK", 0.1)}


def test_marts_hold_the_planted_sessions_and_orders_after_incremental_runs(delivered_in_three_parts):
    truth, incremental = delivered_in_three_parts.truth, delivered_in_three_parts.as_planted
    sessions = incremental["marts.fct_sessions"]
    assert len(sessions) == truth["sessions"]["sessions"]
    assert sum(row["purchased"] for row in sessions) == truth["sessions"]["sessions_with_order"]
    assert len(incremental["marts.fct_orders"]) == truth["sessions"]["orders"]


def test_refunds_delivered_before_their_order_are_matched_when_it_arrives(delivered_in_three_parts):
    """The generator delivers a few purchases days after their refund (in a later part here): once loaded,
    only the refunds of orders that never arrive stay without an order."""
    delivered = delivered_in_three_parts
    truth = delivered.truth
    assert truth["sessions"]["orders_delivered_after_their_refund"] > 0
    refunded = [row for row in delivered.as_planted["marts.fct_orders"] if row["refunds"] > 0]
    assert len(refunded) == truth["sessions"]["refunded_orders"]
    # Every model table, compared with a full refresh by the test above; the forgotten customer had no such refund.
    without_order = delivered.every_table.get("marts.fct_refunds_without_order")
    assert without_order is not None and len(without_order) == truth["sessions"]["refunds_without_order"]


def _same_row(left: tuple, right: tuple) -> bool:
    """Equal, floats to a relative 1e-9: sums of doubles depend on the order rows are added in."""
    return len(left) == len(right) and all(
        math.isclose(a, b, rel_tol=1e-9) if isinstance(a, float) and isinstance(b, float) else a == b
        for a, b in zip(left, right, strict=True)
    )


def test_every_model_table_equals_a_full_refresh_after_the_erasure(delivered_in_three_parts):
    delivered = delivered_in_three_parts
    assert set(delivered.every_table) == set(delivered.every_table_full)
    for table, rows in delivered.every_table.items():
        full = delivered.every_table_full[table]
        assert len(rows) == len(full), table
        assert all(_same_row(a, b) for a, b in zip(rows, full, strict=True)), table


def test_the_forgotten_person_is_in_no_table_of_the_warehouse_or_the_serving_copy(delivered_in_three_parts):
    delivered = delivered_in_three_parts
    names = [delivered.forgetting["customer_id"], *delivered.forgetting["devices"]]
    assert len(names) >= 2  # a customer and their devices
    for db in (delivered.settings.db_path, delivered.settings.serving_db):
        assert [name for value in text_values(db) for name in names if name in value] == []


def test_the_erasure_records_what_it_removed(delivered_in_three_parts):
    forgetting = delivered_in_three_parts.forgetting
    [(events, devices, rows_removed)] = forgetting["erasure"]
    removed = json.loads(rows_removed)
    assert events == forgetting["events_sent_again"] == removed["raw.events"] == removed["staging.stg_events"]
    assert devices >= len(forgetting["devices"])
    assert removed["marts.fct_sessions"] > 0 and removed["intermediate.int_people"] >= len(forgetting["devices"])


def test_their_events_delivered_again_are_forgotten_not_loaded(delivered_in_three_parts):
    forgetting = delivered_in_three_parts.forgetting
    assert forgetting["redelivery"] == [(forgetting["events_sent_again"], 0)]


def test_the_erasure_output_does_not_name_the_person(delivered_in_three_parts):
    forgetting = delivered_in_three_parts.forgetting
    assert forgetting["customer_id"] not in forgetting["cli_output"]
    assert not any(device in forgetting["cli_output"] for device in forgetting["devices"])
    assert "raw.events" in forgetting["cli_output"]
