"""The warehouse keeps running: readers on the serving copy during runs, bad files beside good ones, a setting
that reshapes history, a bounded footprint, one writer at a time, and the cause of every failure named."""

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.build_settings import plan_build
from orchestration.cli import main
from orchestration.generator import generate_landing_zone
from orchestration.model_changes import BUILT_STATE
from orchestration.pipeline import PipelineOutcome, run_pipeline
from orchestration.settings import Settings
from orchestration.summary import MoneyChecks, RunSummary, format_summary
from orchestration.warehouse import builds_folder
from orchestration.writer_lock import lock_path
from tests.conftest import query

READER = Path(__file__).parent / "serving_reader.py"
_DAYS_SERVED = "select count(distinct timezone('UTC', started_at)::date) from marts.fct_sessions"
ROME = "Europe/Rome"


def _deliver_day(shop: Path, landing: Path, day: str) -> None:
    """One day of every source, as the shop's trackers and exports would land it."""
    year, month, dom = day.split("-")
    for file in shop.rglob("*"):
        relative = file.relative_to(shop)
        is_events_of_day = relative.parts[:4] == ("events", year, month, dom)
        is_export_of_day = relative.parts[0] != "events" and (day in file.name or relative.parts[0] == "catalog")
        if file.is_file() and (is_events_of_day or is_export_of_day):
            target = landing / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)


def _land_broken_files(landing: Path) -> list[str]:
    """A partial upload of a Parquet file and an export that lost a column."""
    parquet = next((landing / "events").rglob("*.parquet"))
    partial = parquet.with_name("partial-upload.parquet")
    partial.write_bytes(parquet.read_bytes()[: parquet.stat().st_size // 2])
    broken_csv = landing / "ad_spend" / "ad_spend_without_spend.csv"
    broken_csv.write_text("date,platform,campaign,currency,impressions,clicks\n2026-09-02,meta,x,EUR,1,1\n")
    return [partial.relative_to(landing).as_posix(), broken_csv.relative_to(landing).as_posix()]


def _footprint(settings: Settings) -> dict:
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables order by 1, 2").fetchall()
    return {
        "files": sorted(p.name for p in settings.db_path.parent.iterdir() if p.name != "landing"),
        # Each run's dbt target folder is named after the run; the last finished build's manifest is kept aside.
        "dbt_build_folders": sorted(
            path.name if path.name == BUILT_STATE else "a build's target"
            for path in builds_folder(settings.db_path).iterdir()
            if path.is_dir()
        ),
        "tables": tables,
    }


def _start_reader(settings: Settings, root: Path) -> tuple[subprocess.Popen, Path, Path]:
    stop, result = root / "reader.stop", root / "reader.json"
    reader = subprocess.Popen([sys.executable, str(READER), str(settings.serving_db), str(stop), str(result)])
    return reader, stop, result


def _stop_reader(reader: subprocess.Popen, stop: Path, result: Path) -> dict:
    stop.touch()
    reader.wait(timeout=60)
    return json.loads(result.read_text())


@pytest.fixture(scope="module")
def operated(tmp_path_factory):
    """Three days delivered one a run while a reader queries the serving copy:
    day 1 plainly; day 2 beside a partial upload and a broken export, with --full-refresh;
    day 3 with the reporting time zone set to Rome."""
    os.environ.pop("DAGSTER_HOME", None)
    root = tmp_path_factory.mktemp("operated")
    shop, landing = root / "shop", root / "warehouse" / "landing"
    generate_landing_zone(shop, days=3, visitors=300, seed=7, start_date=date(2026, 9, 1))
    settings = Settings(landing_dir=landing, db_path=root / "warehouse" / "w.duckdb", keep_dbt_runs=1)

    _deliver_day(shop, landing, "2026-09-01")
    first = run_pipeline(settings)
    footprint_after_one = _footprint(settings)

    reader = _start_reader(settings, root)
    try:
        _deliver_day(shop, landing, "2026-09-02")
        broken = _land_broken_files(landing)
        second = run_pipeline(settings, full_refresh=True)
        days_served_after_second = query(settings.serving_db, _DAYS_SERVED)
        _deliver_day(shop, landing, "2026-09-03")
        third = run_pipeline(settings, dbt_vars=f"{{reporting_timezone: {ROME}}}")
    finally:
        read = _stop_reader(*reader)
    return {
        "settings": settings,
        "runs": (first, second, third),
        "broken": broken,
        "read": read,
        "days_served_after_second": days_served_after_second,
        "footprints": (footprint_after_one, _footprint(settings)),
    }


def test_a_reader_of_the_serving_copy_never_errors_and_always_sees_one_whole_run(operated):
    read = operated["read"]

    assert read["errors"] == []
    assert read["inconsistent"] == []
    assert read["queries"] > 20
    assert read["publications"] >= 2  # it saw the copy of one run replaced by the next


def test_the_serving_copy_holds_every_public_mart_as_the_warehouse_built_it(operated):
    settings = operated["settings"]
    marts = "select table_name from information_schema.tables where table_schema = 'marts' order by 1"

    assert query(settings.serving_db, marts) == query(settings.db_path, marts)
    assert query(settings.serving_db, "select count(*) from marts.fct_sessions") == query(
        settings.db_path, "select count(*) from marts.fct_sessions"
    )


def test_bad_files_are_quarantined_named_and_the_models_build_on_everything_else(operated):
    first, second, third = operated["runs"]
    settings = operated["settings"]

    assert first.success, first.failures
    assert not second.success
    assert not [failure for failure in second.failures if failure.startswith("step failed")]
    failed = "\n".join(second.failures)
    assert all(path in failed for path in operated["broken"])
    assert sorted(query(settings.db_path, "select path from raw.rejected_files")) == sorted(
        (path,) for path in operated["broken"]
    )
    # Day 2's good files were built and published in the same run; a later run names the quarantine, stays green.
    assert operated["days_served_after_second"] == [(2,)]
    assert third.success, third.failures
    assert sorted(third.landing["still_quarantined"]) == sorted(operated["broken"])


def test_ten_runs_leave_the_footprint_of_one(operated):
    after_one, after_three = operated["footprints"]

    # From the second run on, the export before the last is kept aside for readers still in it: one, never more.
    assert after_three["files"] == sorted([*after_one["files"], ".export.previous"])
    assert after_three["tables"] == after_one["tables"]
    assert after_one["dbt_build_folders"] == after_three["dbt_build_folders"] == ["a build's target", BUILT_STATE]
    assert not [table for _, table in after_one["tables"] if table.endswith(("__dbt_backup", "__dbt_tmp"))]


def test_a_setting_that_reshapes_history_rebuilds_it_and_stays_in_force(operated):
    settings = operated["settings"]
    builds = query(settings.db_path, "select full_refresh, reason, is_built from meta.build_settings order by 1")
    sessions = query(
        settings.db_path,
        f"""select
            count(*) filter (where session_date <> timezone('{ROME}', started_at)::date),
            count(*) filter (where session_date <> timezone('UTC', started_at)::date)
        from marts.fct_sessions""",
    )
    next_run = plan_build(settings.db_path, {}, full_refresh=False)

    assert [full_refresh for full_refresh, *_ in builds] == [False, True, True]
    assert "reporting_timezone 'UTC' -> 'Europe/Rome'" in builds[2][1]
    assert all(is_built for *_, is_built in builds)
    not_rome, not_utc = sessions[0]
    assert not_rome == 0 and not_utc > 0  # every session in Rome's days, none left in UTC's
    assert next_run.vars["reporting_timezone"] == ROME and not next_run.full_refresh


def test_a_second_writer_is_refused_with_the_process_that_holds_the_warehouse(tmp_path, landing):
    db = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from orchestration.writer_lock import writer_lock\n"
            f"with writer_lock(Path({str(db)!r})):\n    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[1],
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        result = CliRunner().invoke(main, ["run", "--landing", str(landing), "--db", str(db), "--wait", "1"])
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()

    assert result.exit_code == 1
    assert f"pid {holder.pid}" in result.output
    assert "being written by another run" in result.output
    assert waited >= 1
    assert lock_path(db).exists()


def test_a_failed_run_names_the_underlying_cause_not_nothing_new(tmp_path, landing):
    """A BI tool holding the warehouse file itself (not the serving copy) blocks every write: the run says so."""
    os.environ.pop("DAGSTER_HOME", None)
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    (landing / "events").mkdir()
    (landing / "events" / "a.jsonl").write_text('{"event_id": "e1"}\n')
    bi_tool = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('open', flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert bi_tool.stdout.readline().strip() == "open"
        outcome: PipelineOutcome = run_pipeline(Settings(landing_dir=landing, db_path=db))
    finally:
        bi_tool.kill()
        bi_tool.wait()

    failures = "\n".join(outcome.failures)
    assert not outcome.success
    assert "Could not set lock" in failures
    assert f"PID {bi_tool.pid}" in failures
    assert "events/: nothing loaded" in failures


def test_the_summary_never_says_nothing_new_while_files_were_left_unloaded(tmp_path):
    def headline(files_loaded: int, landing: dict[str, list[str]]) -> str:
        money = MoneyChecks(0, 0, 0, 0, 0.0, 0, 0.0)
        summary = RunSummary(
            tmp_path, files_loaded, 0, 0, 0, {}, 0, {}, 0, 0, 0, 0, 0, 0, money, None, None, landing=landing
        )
        return format_summary(summary)

    left = headline(0, {"failed_files": ["events/a.parquet: truncated"], "waiting": ["events/b.jsonl"]})
    done = headline(0, {"ignored": ["truth.json"]})
    misplaced = headline(0, {"warnings": ["landing zone /x/events has no events/ folder"]})

    assert "Nothing new" not in left
    assert "2 file(s) left unloaded" in left
    assert "events/a.parquet: truncated" in left and "events/b.jsonl" in left
    assert "Nothing new to load" in done and "truth.json" in done
    assert "Nothing new" not in misplaced and "/x/events has no events/ folder" in misplaced
