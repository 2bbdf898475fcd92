"""One clock for the product (orchestration.clock), pinned by FUNNELHOUSE_NOW: the loader judges "the future"
by it and stamps what it writes with it, the generator ends its history the day before it, and the suites
pass whatever the machine's date (issue 11 point 10)."""

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from orchestration.clock import NOW_SETTING, current_instant, today
from orchestration.generator import generate_landing_zone
from orchestration.pipeline import run_pipeline
from orchestration.settings import Settings
from tests.conftest import PINNED_NOW, event, load, query, write_lines

PINNED = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_the_suite_runs_on_the_pinned_clock():
    assert datetime.fromisoformat(PINNED_NOW) == PINNED
    assert current_instant() == PINNED
    assert today() == date(2026, 11, 30)


def test_without_the_setting_the_clock_is_the_wall_clock(monkeypatch):
    monkeypatch.delenv(NOW_SETTING)
    before = datetime.now(UTC)
    now = current_instant()
    assert before <= now <= datetime.now(UTC)


def test_the_setting_is_read_as_an_instant_in_utc_and_a_bad_one_is_named(monkeypatch):
    monkeypatch.setenv(NOW_SETTING, "2026-11-30T13:30:00+01:00")
    assert current_instant() == datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
    monkeypatch.setenv(NOW_SETTING, "2026-11-30")  # a date alone is its midnight, UTC
    assert current_instant() == datetime(2026, 11, 30, tzinfo=UTC)
    monkeypatch.setenv(NOW_SETTING, "yesterday")
    with pytest.raises(ValueError, match=NOW_SETTING):
        current_instant()


def _at(delta: timedelta) -> str:
    return (PINNED + delta).isoformat().replace("+00:00", "Z")


def test_the_loader_rejects_an_event_25_hours_after_the_clock_and_accepts_one_23_hours_after(landing, db):
    write_lines(
        landing,
        "events/a.jsonl",
        [event("in-23h", occurred_at=_at(timedelta(hours=23))), event("in-25h", occurred_at=_at(timedelta(hours=25)))],
    )
    (landing / "ad_spend").mkdir()
    # Dates are midnight UTC: 2026-12-01 is 12 hours after the clock, 2026-12-02 is 36 hours after it.
    (landing / "ad_spend" / "spend.csv").write_text(
        "date,platform,campaign,spend,currency,impressions,clicks\n"
        "2026-12-01,meta,x,1,EUR,1,1\n"
        "2026-12-02,meta,x,1,EUR,1,1\n"
    )

    load(landing, db, ("events", "ad_spend"))

    assert query(db, "select event_id from raw.events") == [("in-23h",)]
    assert query(db, "select line_number, reason from raw.rejected_events") == [(2, "future_timestamp")]
    assert query(db, "select date::varchar from raw.ad_spend") == [("2026-12-01",)]
    assert query(db, "select line_number, reason from raw.rejected_rows") == [(3, "timestamp_out_of_range")]


def test_everything_a_load_writes_is_stamped_with_the_clock(landing, db):
    write_lines(landing, "events/a.jsonl", [event("ok"), event("bad", "add_to_cart", properties={})])
    (landing / "ad_spend").mkdir()
    (landing / "ad_spend" / "spend.csv").write_text(
        "date,platform,campaign,spend,currency,impressions,clicks\n2026-09-01,meta,x,-1,EUR,1,1\n"
    )
    (landing / "events" / "broken.parquet").write_bytes(b"not parquet")

    load(landing, db, ("events", "ad_spend"))

    stamps = query(
        db,
        "select loaded_at from raw.events union all select rejected_at from raw.rejected_events "
        "union all select rejected_at from raw.rejected_rows union all select loaded_at from raw.load_ledger "
        "union all select rejected_at from raw.rejected_files union all select recorded_at from raw.pii_salt",
    )
    assert len(stamps) == 7  # 1 event, 1 rejected line, 1 rejected row, 2 ledger rows, 1 quarantined file, salt
    assert {stamp for (stamp,) in stamps} == {PINNED}


def test_a_clock_a_year_earlier_makes_the_same_event_a_future_one(landing, db, monkeypatch):
    monkeypatch.setenv(NOW_SETTING, "2025-11-30T12:00:00Z")
    write_lines(landing, "events/a.jsonl", [event("sept-2026")])

    load(landing, db)

    assert query(db, "select reason from raw.rejected_events") == [("future_timestamp",)]


def test_generate_in_a_subprocess_ends_the_history_the_day_before_the_inherited_clock(tmp_path):
    funnelhouse = Path(sys.executable).parent / "funnelhouse"

    def truth_of(out: Path, *options: str) -> dict:
        args = [str(funnelhouse), "generate", "--out", str(out), "--days", "2", "--visitors", "10", *options]
        subprocess.run(args, check=True, capture_output=True)  # FUNNELHOUSE_NOW reaches it from conftest
        return json.loads((out / "truth.json").read_text())["parameters"]

    default = truth_of(tmp_path / "default")
    chosen = truth_of(tmp_path / "chosen", "--start-date", "2026-01-05")

    assert (default["start_date"], default["end_date"]) == ("2026-11-28", "2026-11-29")
    assert (chosen["start_date"], chosen["end_date"]) == ("2026-01-05", "2026-01-06")


@pytest.mark.parametrize("shift", [timedelta(days=-365), timedelta(days=365)], ids=["a_year_earlier", "a_year_later"])
def test_the_end_to_end_shop_agrees_with_its_truth_whatever_the_date(shift, tmp_path, monkeypatch):
    """The clock moves, the generated history follows it, and the run loads and rejects exactly as planted."""
    now = PINNED + shift
    monkeypatch.setenv(NOW_SETTING, now.isoformat())
    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # a throwaway Dagster instance, never the developer's
    truth = generate_landing_zone(tmp_path / "landing", days=2, visitors=400, seed=3)
    settings = Settings(landing_dir=tmp_path / "landing", db_path=tmp_path / "warehouse.duckdb")

    outcome = run_pipeline(settings)

    assert outcome.success, outcome.failures
    assert truth["parameters"]["end_date"] == (now.date() - timedelta(days=1)).isoformat()
    assert query(settings.db_path, "select count(*) from staging.stg_events") == [(truth["events"]["valid_unique"],)]
    rejected = dict(query(settings.db_path, "select reason, count(*) from raw.rejected_events group by 1"))
    assert rejected == truth["events"]["rejected"]
    for source, planted in truth["csv"].items():
        assert query(settings.db_path, f"select count(*) from raw.{source}") == [(planted["valid"],)], source
