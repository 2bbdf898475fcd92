"""Dagster's history pruned past the retention (orchestration/housekeeping.py), on a persistent instance in a
temporary DAGSTER_HOME with the repository's dagster.yaml, whose runs really ran and captured what they printed."""

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
import yaml
from click.testing import CliRunner
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteRepositoryOrigin
from dagster._core.scheduler.instigation import TickStatus
from dagster._core.test_utils import create_run_for_test, freeze_time

from orchestration.cli import main
from orchestration.definitions import build_definitions
from orchestration.housekeeping import prune_history
from orchestration.housekeeping_job import HOUSEKEEPING_JOB
from orchestration.settings import Settings

REPO_DAGSTER_YAML = Path(__file__).parents[1] / "dagster.yaml"
KEEP_DAYS = 30
# Each status a run can be in without having finished, and the event that puts it there.
IN_PROGRESS = {
    dg.DagsterRunStatus.QUEUED: dg.DagsterEventType.RUN_ENQUEUED,
    dg.DagsterRunStatus.STARTING: dg.DagsterEventType.RUN_STARTING,
    dg.DagsterRunStatus.STARTED: dg.DagsterEventType.RUN_START,
    dg.DagsterRunStatus.CANCELING: dg.DagsterEventType.RUN_CANCELING,
}
# Where a run started from the UI or the daemon says its code is: Dagster queues no run without it.
CODE_LOCATION = RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("funnelhouse"), "__repository__").get_job_origin(
    "prints"
)


@dg.op
def print_lines() -> None:
    print("a line on stdout")
    print("a line on stderr", file=sys.stderr)


@dg.op
def print_and_fail() -> None:
    print("about to fail")
    raise RuntimeError("planted failure")


@dg.job
def prints():
    print_lines()


@dg.job
def fails():
    print_and_fail()


def _dagster_home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text(REPO_DAGSTER_YAML.read_text() + "telemetry:\n  enabled: false\n")
    return home


def _finished_runs(instance: dg.DagsterInstance) -> list[str]:
    """One run that succeeded and one that failed, each having printed to stdout and stderr."""
    return [
        prints.execute_in_process(instance=instance).run_id,
        fails.execute_in_process(instance=instance, raise_on_error=False).run_id,
    ]


def _run_in_progress(instance: dg.DagsterInstance, event: dg.DagsterEventType) -> str:
    """A run moved by Dagster's own event into a status that is not finished; the event starts its event log."""
    run_id = create_run_for_test(instance, job_name="prints", remote_job_origin=CODE_LOCATION).run_id
    instance.report_dagster_event(dg.DagsterEvent(event_type_value=event.value, job_name="prints"), run_id=run_id)
    return run_id


def _files_of(home: Path, run_id: str) -> list[Path]:
    """What Dagster's default layout keeps of a run on disk: its captured logs and its event-log database."""
    captured = [path for path in (home / "storage" / run_id).rglob("*") if path.is_file()]
    return sorted(captured + list((home / "history" / "runs").glob(f"{run_id}.db*")))


def _later() -> datetime:
    """A day past the retention of a run that ends now."""
    return datetime.now(UTC) + timedelta(days=KEEP_DAYS + 1)


@pytest.fixture
def history(tmp_path):
    """(instance, home, finished run ids, in-progress run ids)"""
    home = _dagster_home(tmp_path)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        finished = _finished_runs(instance)
        in_progress = [_run_in_progress(instance, event) for event in IN_PROGRESS.values()]
        yield instance, home, finished, in_progress


def test_finished_runs_past_the_retention_go_with_their_event_logs_and_captured_logs(history):
    instance, home, finished, in_progress = history
    files = {run_id: _files_of(home, run_id) for run_id in finished + in_progress}
    sizes = {path: path.stat().st_size for paths in files.values() for path in paths}
    for run_id in finished:  # what the steps printed, and the run's own event-log database
        assert {".out", ".err", ".db"} <= {path.suffix for path in files[run_id]}, files[run_id]

    report = prune_history(instance, keep_days=KEEP_DAYS, now=_later())

    assert set(report.runs) == set(finished)
    assert set(instance.get_run_ids()) == set(in_progress)
    for run_id in finished:
        assert _files_of(home, run_id) == []
        assert not (home / "storage" / run_id).exists()
    for run_id in in_progress:
        assert _files_of(home, run_id) == files[run_id]
        assert len(instance.all_logs(run_id)) == 1
    assert {instance.get_run_by_id(run_id).status for run_id in in_progress} == set(IN_PROGRESS)
    removed = [path for run_id in finished for path in files[run_id]]
    assert (report.files, report.bytes) == (len(removed), sum(sizes[path] for path in removed))
    assert report.describe().startswith("Deleted 2 runs that finished before ")


def test_today_nothing_is_past_the_retention_and_a_dry_run_deletes_nothing(history):
    instance, home, finished, in_progress = history
    before = sorted(path for path in home.rglob("*") if path.is_file())
    would_go = [path for run_id in finished for path in _files_of(home, run_id)]
    sizes = sum(path.stat().st_size for path in would_go)

    today = prune_history(instance, keep_days=KEEP_DAYS)
    dry = prune_history(instance, keep_days=KEEP_DAYS, now=_later(), dry_run=True)

    assert (today.runs, today.leftovers, today.files, today.bytes) == ((), (), 0, 0)
    assert set(instance.get_run_ids()) == set(finished + in_progress)
    assert sorted(path for path in home.rglob("*") if path.is_file()) == before
    assert (set(dry.runs), dry.files, dry.bytes) == (set(finished), len(would_go), sizes)
    assert dry.describe().startswith("Would delete 2 runs that finished before ")


def test_files_left_by_runs_deleted_elsewhere_go_and_asset_outputs_stay(tmp_path):
    home = _dagster_home(tmp_path)
    asset_output = home / "storage" / "raw" / "events"  # where Dagster's default IO manager keeps an asset's value
    asset_output.parent.mkdir(parents=True)
    asset_output.write_bytes(b"pickled value")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        erased = prints.execute_in_process(instance=instance).run_id
        kept = _run_in_progress(instance, dg.DagsterEventType.RUN_START)
        left = _files_of(home, erased)
        kept_files = _files_of(home, kept)
        sizes = sum(path.stat().st_size for path in left)
        instance.delete_run(erased)  # as the erasure's sensor deletes the run that names the person

        report = prune_history(instance, keep_days=KEEP_DAYS)

    assert (report.runs, report.leftovers) == ((), (erased,))
    assert (report.files, report.bytes) == (len(left), sizes) and left
    assert _files_of(home, erased) == [] and not (home / "storage" / erased).exists()
    assert _files_of(home, kept) == kept_files
    assert asset_output.read_bytes() == b"pickled value"


@pytest.fixture
def old_and_new_runs(tmp_path):
    """(home, a run that finished 40 days ago, one that finished now), the instance closed as a cron job finds it."""
    home = _dagster_home(tmp_path)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        with freeze_time(datetime.now(UTC) - timedelta(days=KEEP_DAYS + 10)):
            old = prints.execute_in_process(instance=instance).run_id
        new = prints.execute_in_process(instance=instance).run_id
    return home, old, new


def _run_ids(home: Path) -> set[str]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return set(instance.get_run_ids())


def test_the_cli_prunes_dagster_home_past_the_history_setting_and_a_dry_run_only_says_so(old_and_new_runs, monkeypatch):
    home, old, new = old_and_new_runs
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("FUNNELHOUSE_HISTORY_DAYS", raising=False)
    runner = CliRunner()

    dry = runner.invoke(main, ["prune-history", "--dry-run"])
    assert _run_ids(home) == {old, new}
    longer = runner.invoke(main, ["prune-history", "--days", str(KEEP_DAYS + 11)])
    assert _run_ids(home) == {old, new}
    pruned = runner.invoke(main, ["prune-history"])

    assert [result.exit_code for result in (dry, longer, pruned)] == [0, 0, 0], dry.output + pruned.output
    assert _run_ids(home) == {new}
    assert _files_of(home, old) == [] and _files_of(home, new)
    assert str(home) in pruned.output
    assert "Would delete 1 run " in dry.output
    assert "Deleted 0 runs " in longer.output
    assert "Deleted 1 run " in pruned.output


def test_the_cli_says_when_there_is_no_dagster_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "nowhere"))

    result = CliRunner().invoke(main, ["prune-history"])

    assert result.exit_code == 1
    assert "no Dagster instance at" in result.output and "nowhere" in result.output


def test_the_housekeeping_job_prunes_with_the_history_setting(old_and_new_runs, tmp_path):
    home, old, new = old_and_new_runs
    settings = Settings(landing_dir=tmp_path / "landing", db_path=tmp_path / "warehouse.duckdb")
    job = build_definitions(settings).resolve_job_def(HOUSEKEEPING_JOB)

    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = job.execute_in_process(instance=instance)
        remaining = set(instance.get_run_ids())

    assert result.success
    assert remaining == {new, result.run_id}
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_the_daily_schedule_is_registered_and_follows_the_automation_setting(tmp_path):
    landing, db = tmp_path / "landing", tmp_path / "warehouse.duckdb"

    for automation, status in ((True, dg.DefaultScheduleStatus.RUNNING), (False, dg.DefaultScheduleStatus.STOPPED)):
        defs = build_definitions(Settings(landing_dir=landing, db_path=db, automation=automation))
        schedule = defs.resolve_schedule_def("daily_housekeeping")
        assert schedule.job_name == HOUSEKEEPING_JOB
        assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 3 * * *", "UTC")
        assert schedule.default_status == status


def test_dagster_yaml_bounds_every_kind_of_finished_tick(tmp_path):
    configured = yaml.safe_load(REPO_DAGSTER_YAML.read_text())["retention"]

    with dg.DagsterInstance.from_config(str(_dagster_home(tmp_path))) as instance:
        for kind, instigator in (("schedule", InstigatorType.SCHEDULE), ("sensor", InstigatorType.SENSOR)):
            days = instance.get_tick_retention_settings(instigator)
            for status in (TickStatus.SKIPPED, TickStatus.SUCCESS, TickStatus.FAILURE):
                assert days[status] == configured[kind]["purge_after_days"][status.value.lower()] > 0
    # the landing sensor skips about 1,440 times a day: its skipped ticks go first
    assert configured["sensor"]["purge_after_days"]["skipped"] < configured["sensor"]["purge_after_days"]["success"]


def test_history_days_setting(monkeypatch, tmp_path):
    monkeypatch.delenv("FUNNELHOUSE_HISTORY_DAYS", raising=False)
    assert Settings.from_env(tmp_path, tmp_path / "warehouse.duckdb").history_days == 30
    monkeypatch.setenv("FUNNELHOUSE_HISTORY_DAYS", "7")
    assert Settings.from_env(tmp_path, tmp_path / "warehouse.duckdb").history_days == 7
    for wrong in ("a month", "0"):
        monkeypatch.setenv("FUNNELHOUSE_HISTORY_DAYS", wrong)
        with pytest.raises(ValueError, match="FUNNELHOUSE_HISTORY_DAYS"):
            Settings.from_env(tmp_path, tmp_path / "warehouse.duckdb")
