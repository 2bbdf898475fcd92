"""`funnelhouse status`: what a person or a monitor learns of a running warehouse, each finding with what to do,
and the exit code a cron job acts on (0 nothing to do, 1 something needs attention, 2 cannot tell).

One generated shop is run once; each test that changes something works on its own copy of the result."""

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.clock import NOW_SETTING, parse_instant
from orchestration.generator import generate_landing_zone
from orchestration.loader.load import load_landing_sources
from orchestration.pipeline import run_pipeline
from orchestration.settings import Settings
from orchestration.status import _ago
from tests.conftest import PINNED_NOW, TEST_SALT, event, write_lines

# What the demo shop plants: every scheduled source's last load has files over the rejected share limit.
PLANTED = {"events", "inventory", "ad_spend", "social", "fx_rates", "messages"}
SCHEDULED_EXPORTS = ("inventory", "ad_spend", "social", "fx_rates", "messages")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Settings, dict]:
    """The shop's three days loaded and built at the pinned instant: (settings, the shop's truth)."""
    os.environ.pop("DAGSTER_HOME", None)
    root = tmp_path_factory.mktemp("status")
    truth = generate_landing_zone(root / "landing", days=3, visitors=300, seed=7, start_date=date(2026, 9, 1))
    settings = Settings(landing_dir=root / "landing", db_path=root / "warehouse.duckdb", keep_dbt_runs=1)
    outcome = run_pipeline(settings)
    assert outcome.success, outcome.failures
    return settings, truth


def _copy(built, tmp_path: Path) -> Settings:
    """The built warehouse, its serving copy and its landing zone, to change without touching the others'."""
    settings, _ = built
    shutil.copytree(settings.landing_dir, tmp_path / "landing")  # modification times kept: the ledger's stats hold
    for file in (settings.db_path, settings.serving_db):
        shutil.copy2(file, tmp_path / file.name)
    return Settings(landing_dir=tmp_path / "landing", db_path=tmp_path / settings.db_path.name)


def _at(hours: float) -> str:
    """An instant `hours` after the one the shop was loaded and built at."""
    return (parse_instant(PINNED_NOW) + timedelta(hours=hours)).isoformat()


def _load_at(settings: Settings, hours: float, sources: tuple[str, ...]) -> None:
    """A load alone, without a build, as the first step of a run that has not built yet (or failed to)."""
    load_at = parse_instant(_at(hours))
    load_landing_sources(settings.landing_dir, settings.db_path, sources, salt=TEST_SALT, load_time=load_at)


def _status(settings: Settings, *, hours: float = 0, json_output: bool = False, **env: str):
    """`funnelhouse status` `hours` after the build, with FUNNELHOUSE_* settings in `env`."""
    args = ["status", "--landing", str(settings.landing_dir), "--db", str(settings.db_path)]
    return CliRunner().invoke(main, args + (["--json"] if json_output else []), env={NOW_SETTING: _at(hours), **env})


def _checks(settings: Settings, *, hours: float = 0, **env: str) -> dict[str, list[str]]:
    """Each finding's problem by check, from the JSON a monitor reads."""
    result = _status(settings, hours=hours, json_output=True, **env)
    findings: dict[str, list[str]] = {}
    for finding in json.loads(result.output)["findings"]:
        findings.setdefault(finding["check"], []).append(finding["problem"])
    return findings


def _land_clean_exports_and_events(settings: Settings, truth: dict) -> None:
    """A fourth day's delivery with nothing to reject: each export the third day's file without its planted
    bad rows, and one valid event."""
    for source in SCHEDULED_EXPORTS:
        day3 = f"{source}/{source}_2026-09-03.csv"
        bad_lines = {row["line"] for row in truth["csv"][source]["bad_rows"] if row["file"] == day3}
        lines = (settings.landing_dir / day3).read_text().splitlines(keepends=True)
        clean = "".join(line for number, line in enumerate(lines, start=1) if number not in bad_lines)
        (settings.landing_dir / f"{source}/{source}_2026-09-04.csv").write_text(clean)
    write_lines(
        settings.landing_dir, "events/2026/09/04/clean.jsonl", [event("day-4", occurred_at="2026-09-04T08:00:00Z")]
    )


def test_the_demo_shops_planted_rejections_are_findings_and_nothing_else_is(built):
    settings, _ = built

    result = _status(settings)
    checks = _checks(settings)

    assert result.exit_code == 1, result.output
    assert "6 finding(s)" in result.output
    assert "last build       1 finished 2026-11-30 12:00 UTC, 0 min ago" in result.output
    assert "readers see      build 1" in result.output
    assert "newest event     occurred 2026-09-0" in result.output
    assert "0 pending, 0 waiting, 0 in progress, 0 quarantined" in result.output
    assert "! rejected_share: raw.ad_spend: 3 of the 3 file(s)" in result.output
    assert "what to do: Read the reasons" in result.output
    assert list(checks) == ["rejected_share"]
    assert {problem.split(":")[0] for problem in checks["rejected_share"]} == {f"raw.{table}" for table in PLANTED}


def test_a_warehouse_whose_last_loads_are_clean_and_fresh_needs_nothing(built, tmp_path):
    settings = _copy(built, tmp_path)
    _land_clean_exports_and_events(settings, built[1])
    _load_at(settings, 0.25, ("events", *SCHEDULED_EXPORTS))

    result = _status(settings, hours=0.5)

    assert result.exit_code == 0, result.output
    assert "OK, nothing needs attention" in result.output
    assert "loads waiting    6 since 2026-11-30 12:15 UTC" in result.output  # a run's build still to come


def test_sources_that_stopped_delivering_are_named_with_their_own_interval(built):
    settings, _ = built

    after_three_hours = _checks(settings, hours=3)
    allowed_four = _checks(settings, hours=3, FUNNELHOUSE_EVENTS_FRESHNESS_HOURS="4")
    after_a_day_and_a_half = _checks(settings, hours=36)
    result = _status(settings, hours=36)

    assert [problem.split(":")[0] for problem in after_three_hours["stale_source"]] == ["raw.events"]
    assert "stale_source" not in allowed_four
    assert {problem.split(":")[0] for problem in after_a_day_and_a_half["stale_source"]} == {
        "raw.events",
        *(f"raw.{table}" for table in SCHEDULED_EXPORTS),
    }  # the catalog lands when it changes: no interval
    assert "raw.events: no file loaded for 36.0 h (expected within 2 h)" in result.output
    assert "stale_build" not in after_a_day_and_a_half  # nothing loaded waits for a build: it is current
    assert result.exit_code == 1


def test_loads_that_wait_too_long_for_a_build_make_a_stale_build(built, tmp_path):
    settings = _copy(built, tmp_path)
    write_lines(settings.landing_dir, "events/2026/09/04/late.jsonl", [event("late-1")])
    _load_at(settings, 1, ("events",))

    before_the_limit = _checks(settings, hours=2.5)
    after_it = _checks(settings, hours=3.5)

    assert "stale_build" not in before_the_limit
    assert after_it["stale_build"] == [
        "1 load(s) have waited 2.5 h for a build (limit 2 h): no build has finished since build 1."
    ]


def test_a_serving_copy_behind_the_last_build_is_a_finding_once_a_publication_had_time(built, tmp_path):
    settings = _copy(built, tmp_path)
    settings.serving_db.unlink()

    assert "readers_behind" not in _checks(settings, hours=0.5)  # a run publishes seconds after its build
    assert _checks(settings, hours=3)["readers_behind"] == [
        "The last build is 1, but the serving copy publishes no build: readers do not see it."
    ]


def _landed(settings: Settings, relative: str, text: str, *, hours_ago: float) -> Path:
    path = settings.landing_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    then = time.time() - hours_ago * 3600
    os.utime(path, (then, then))
    return path


def test_quarantined_files_and_old_pending_files_are_named(built, tmp_path):
    settings = _copy(built, tmp_path)
    without_spend = "date,platform,campaign,currency,impressions,clicks\n2026-09-04,meta,x,EUR,1,1\n"
    _landed(settings, "ad_spend/ad_spend_without_spend.csv", without_spend, hours_ago=0.5)
    _load_at(settings, 0.1, ("ad_spend",))
    line = json.dumps(event("new-1")) + "\n"
    _landed(settings, "events/2026/09/04/old.jsonl", line, hours_ago=3)
    _landed(settings, "events/2026/09/04/recent.jsonl", line, hours_ago=0.5)
    _landed(settings, "events/2026/09/04/settling.jsonl", line, hours_ago=0)
    _landed(settings, "events/upload.jsonl.partial", "{", hours_ago=0)

    result = _status(settings, hours=0.2)
    checks = _checks(settings, hours=0.2)

    assert result.exit_code == 1
    assert "2 pending (oldest 3.0 h), 1 waiting, 1 in progress, 1 quarantined" in result.output
    assert checks["quarantined"][0].startswith("1 file(s) could not be read and are not loaded: ad_spend/ad_spend_with")
    assert checks["pending_files"] == [
        "1 ready file(s) landed more than 2 h ago are not loaded (oldest 3.0 h): events/2026/09/04/old.jsonl."
    ]
    assert "Re-deliver each one whole" in result.output


def test_while_a_run_holds_the_warehouse_the_serving_copy_answers(built, tmp_path):
    settings = _copy(built, tmp_path)
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(settings.db_path)!r}); print('open', flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "open"
        result = _status(settings, json_output=True)
    finally:
        writer.kill()
        writer.wait()

    status = json.loads(result.output)
    assert status["read_from"] == "serving copy"
    assert f"PID {writer.pid}" in status["note"]
    assert status["build"]["build_id"] == 1
    assert status["build"]["built_at"] == "2026-11-30T12:00:00+00:00"
    assert {finding["check"] for finding in status["findings"]} == {"rejected_share"}  # as the copy published them
    assert result.exit_code == 1


def test_without_a_warehouse_it_cannot_tell(tmp_path, landing):
    result = CliRunner().invoke(main, ["status", "--landing", str(landing), "--db", str(tmp_path / "none.duckdb")])
    as_json = CliRunner().invoke(
        main, ["status", "--landing", str(landing), "--db", str(tmp_path / "none.duckdb"), "--json"]
    )

    assert result.exit_code == as_json.exit_code == 2
    assert "CANNOT TELL" in result.output and "no warehouse at" in result.output
    assert json.loads(as_json.output)["exit_code"] == 2


def test_the_json_holds_every_part_of_the_status(built):
    settings, _ = built

    status = json.loads(_status(settings, json_output=True).output)

    assert status["exit_code"] == 1 and status["read_from"] == "warehouse"
    assert datetime.fromisoformat(status["now"]) == parse_instant(PINNED_NOW)
    assert [source["table"] for source in status["sources"]] == [
        "events",
        "products",
        "videos",
        "hotspots",
        *SCHEDULED_EXPORTS,
    ]
    assert status["sources"][0]["expected_hours"] == 2 and status["sources"][1]["expected_hours"] is None
    assert set(status["sizes"]) == {"warehouse", "dbt builds", "serving copy"}
    assert all(size > 0 for size in status["sizes"].values())
    assert all(set(finding) == {"check", "problem", "action", "source"} for finding in status["findings"])
    assert {finding["source"] for finding in status["findings"]} == PLANTED  # each rejected_share names its table


def test_an_event_from_a_clock_ahead_of_ours_is_ahead_not_minus_hours_ago():
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

    assert _ago(now + timedelta(hours=2), now) == "2.0 h ahead of this clock"
    assert _ago(now - timedelta(minutes=30), now) == "30 min ago"
    assert _ago(now - timedelta(days=3), now) == "3.0 d ago"
