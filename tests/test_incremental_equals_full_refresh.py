"""Incremental runs over a shop delivered in three parts, then a corrected FX rate, equal a full refresh of the
same data, row for row."""

import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.generator import generate_landing_zone
from orchestration.pipeline import run_pipeline
from orchestration.settings import Settings

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
    "marts.fct_sessions": "session_id",
    "marts.fct_orders": "order_id",
    "marts.fct_funnel_daily": "session_date, channel, device_type",
    "marts.fct_kpi_period": "kpi, period_grain, period_start",
}


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


@pytest.fixture(scope="module")
def delivered_in_three_parts(tmp_path_factory):
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
    for part in parts:
        _deliver(shop, landing, part)
        outcome = run_pipeline(settings)
        assert outcome.success, outcome.failures
    _correct_fx_rates(landing, truth)
    outcome = run_pipeline(settings)
    assert outcome.success, outcome.failures
    incremental = {model: _snapshot(settings.db_path, model, key) for model, key in INCREMENTAL_MODELS.items()}
    outcome = run_pipeline(settings, full_refresh=True)
    assert outcome.success, outcome.failures
    full = {model: _snapshot(settings.db_path, model, key) for model, key in INCREMENTAL_MODELS.items()}
    return truth, incremental, full


@pytest.mark.parametrize("model", sorted(INCREMENTAL_MODELS))
def test_incremental_runs_equal_a_full_refresh(delivered_in_three_parts, model):
    _, incremental, full = delivered_in_three_parts
    assert len(incremental[model]) > 0
    assert incremental[model] == full[model]


def test_sessions_equal_the_sessions_the_generator_planted(delivered_in_three_parts):
    truth, incremental, _ = delivered_in_three_parts
    session_ids = {row["session_id"] for row in incremental["intermediate.int_events_sessionized"]}
    assert len(session_ids) == truth["sessions"]["sessions"]
    assert len(incremental["intermediate.int_sessions"]) == truth["sessions"]["sessions"]


def test_purchase_sessions_equal_what_the_generator_planted(delivered_in_three_parts):
    truth, incremental, _ = delivered_in_three_parts
    purchase_sessions = [row for row in incremental["intermediate.int_sessions"] if row["purchased"]]
    assert len(purchase_sessions) == truth["sessions"]["purchase_sessions"]


def test_the_fx_correction_re_priced_orders_of_that_day(delivered_in_three_parts):
    truth, incremental, _ = delivered_in_three_parts
    corrected_day = date.fromisoformat(truth["parameters"]["start_date"]) + timedelta(days=1)
    re_priced = [
        row
        for row in incremental["marts.fct_orders"]
        if row["fx_rate_date"] == corrected_day and row["currency"] != truth["parameters"]["reporting_currency"]
    ]
    assert re_priced
    assert {(row["currency"], row["fx_rate"]) for row in re_priced} <= {("USD", 1.0), ("GBP", 1.3), ("SEK", 0.1)}


def test_marts_hold_the_planted_sessions_and_orders_after_incremental_runs(delivered_in_three_parts):
    truth, incremental, _ = delivered_in_three_parts
    sessions = incremental["marts.fct_sessions"]
    assert len(sessions) == truth["sessions"]["sessions"]
    assert sum(row["purchased"] for row in sessions) == truth["sessions"]["purchase_sessions"]
    assert len(incremental["marts.fct_orders"]) == truth["sessions"]["orders"]
