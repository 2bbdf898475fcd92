"""Alerts reach the log and a webhook: a failed run with its failed step and cause, a run that succeeded with a
failed error check, a source that stopped delivering and delivers again; never anybody's personal data, and an
alert the webhook did not take is sent again.

The webhook is a local HTTP server on 127.0.0.1 that records what is POSTed to it."""

import json
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest
from click.testing import CliRunner

from orchestration.alert_sensors import (
    ALERT_TAG,
    SENT,
    UNDELIVERED,
    failed_check_alert_sensor,
    run_failure_alert_sensor,
    source_freshness_alert_sensor,
    undelivered_run_alerts_sensor,
)
from orchestration.alerts import RUN_FAILED, SOURCE_STALE, Alert, AlertNotDelivered, deliver_alert
from orchestration.assets.landing import EVERY_FILE_LOADED_CHECK
from orchestration.cli import main
from orchestration.clock import NOW_SETTING, parse_instant
from orchestration.definitions import build_definitions
from orchestration.forget_job import FORGET_JOB
from orchestration.jobs import FUNNELHOUSE_JOB
from orchestration.loader.load import load_landing_sources
from orchestration.pipeline import PipelineOutcome, run_pipeline
from orchestration.settings import Settings
from tests.conftest import PINNED_NOW, TEST_SALT, event, write_lines

STOPPED = dg.DefaultSensorStatus.STOPPED
PERSON = "alice.person@example.com"
# A landing file named after a person, and not gzip: quarantined, and named by the loader's error check.
FILE_NAMED_AFTER_A_PERSON = f"events/from-{PERSON}.jsonl.gz"
DAGSTER_URL = "http://dagster.example:3000"


class Webhook:
    """Records each POST's JSON; answers `status`."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.raw: list[str] = []
        self.status = 200
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                webhook.raw.append(body)
                webhook.posts.append(json.loads(body))
                self.send_response(webhook.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/secret-token"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    server = Webhook()
    yield server
    server.close()


def _closed_port() -> int:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return unused.getsockname()[1]


def _settings(tmp: Path, **alerting) -> Settings:
    return Settings(landing_dir=tmp / "landing", db_path=tmp / "warehouse.duckdb", keep_dbt_runs=1, **alerting)


# --- a real failed run -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory) -> Iterator[tuple[Path, PipelineOutcome, dg.DagsterInstance]]:
    """A run of the job under a persistent Dagster instance, failed by a var no model can build with; its
    landing zone names a person in an event and in the name of a file that cannot be read."""
    root = tmp_path_factory.mktemp("failed_run")
    write_lines(root / "landing", "events/a.jsonl", [event("e1", user_id=PERSON), event("e2")])
    (root / "landing" / FILE_NAMED_AFTER_A_PERSON).write_bytes(b"not gzip at all")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(root / "dagster"))
        outcome = run_pipeline(_settings(root), dbt_vars="{markov_state: nonsense}")
    with dg.DagsterInstance.from_config(str(root / "dagster")) as instance:
        yield root, outcome, instance


def _failure_context(instance: dg.DagsterInstance, run_id: str) -> dg.RunFailureSensorContext:
    (failure,) = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert",
        dagster_event=failure.dagster_event,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run_id),
    ).for_run_failure()


def _what_failed(failure: str) -> list[str]:
    """The step ("step failed: <step>") or the check ("check failed: <asset> <check>"), without the cause."""
    return failure.split("\n")[0].split(": ")[:2]


def test_a_failed_run_is_posted_with_its_run_its_failed_step_and_cause_and_nobody_s_data(failed_run, webhook):
    root, outcome, instance = failed_run
    settings = _settings(root, alert_webhook=webhook.url, dagster_url=DAGSTER_URL)

    run_failure_alert_sensor(settings, STOPPED)(_failure_context(instance, outcome.run_id))

    assert not outcome.success
    (alert,) = webhook.posts
    assert alert["kind"] == RUN_FAILED and alert["run_id"] == outcome.run_id
    assert alert["title"] == f"Funnelhouse: {FUNNELHOUSE_JOB} failed"
    assert alert["dagster_run_url"] == f"{DAGSTER_URL}/runs/{outcome.run_id}"
    assert alert["warehouse"] == str(settings.db_path)
    step, check = alert["details"]
    assert step.startswith("step failed: funnelhouse_dbt_models:")
    assert "var markov_state must be source_medium or channel, not nonsense" in step  # dbt's cause
    assert '"markov_state": "nonsense"' in outcome.failures[0] and "--vars" not in step  # not the run's vars
    assert check.startswith(f"check failed: raw/events {EVERY_FILE_LOADED_CHECK}\n  events/[email:")
    # The CLI's failures are the same lines: one reading of the run's events serves both.
    assert [_what_failed(failure) for failure in outcome.failures] == [_what_failed(step), _what_failed(check)]
    for part in (alert["title"], step, check, f"Run {outcome.run_id}: {alert['dagster_run_url']}"):
        assert part in alert["text"]
    assert PERSON not in webhook.raw[0] and "alice.person" not in webhook.raw[0]
    assert instance.get_run_by_id(outcome.run_id).tags[ALERT_TAG] == SENT


def test_an_alert_the_webhook_refuses_is_logged_raised_and_sent_again_by_a_later_tick(failed_run, webhook, caplog):
    root, outcome, instance = failed_run
    settings = _settings(root, alert_webhook=webhook.url)
    webhook.status = 500
    retry = undelivered_run_alerts_sensor(settings, STOPPED)

    with pytest.raises(AlertNotDelivered, match="HTTP 500"):
        run_failure_alert_sensor(settings, STOPPED)(_failure_context(instance, outcome.run_id))
    tagged = instance.get_run_by_id(outcome.run_id).tags[ALERT_TAG]
    refused = len(webhook.posts)
    webhook.status = 200
    with dg.build_sensor_context(instance=instance) as context:
        retry(context)
        retry(context)

    assert refused == 2  # the first attempt and one retry
    assert tagged == UNDELIVERED
    attempts = [record for record in caplog.records if record.name == "funnelhouse.alerts" and "attempt" in record.msg]
    assert [record.levelno for record in attempts] == [logging.ERROR, logging.ERROR]
    assert "attempt 2 of 2: HTTP 500" in attempts[1].msg
    assert "secret-token" not in caplog.text  # the webhook's URL is its secret
    assert len(webhook.posts) == 3  # delivered once more, and the second tick found nothing waiting
    assert webhook.posts[2]["run_id"] == outcome.run_id
    assert instance.get_run_by_id(outcome.run_id).tags[ALERT_TAG] == SENT


def test_a_failed_erasure_is_alerted_without_the_person_its_config_names(tmp_path, webhook):
    settings = _settings(tmp_path, alert_webhook=webhook.url)
    write_lines(settings.landing_dir, "events/a.jsonl", [event("e1")])
    load_landing_sources(settings.landing_dir, settings.db_path, ("events",), salt=TEST_SALT)
    job = build_definitions(settings).resolve_job_def(FORGET_JOB)
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(
        run_config={"ops": {"erase_person": {"config": {"email": [PERSON]}}}}, instance=instance, raise_on_error=False
    )

    run_failure_alert_sensor(settings, STOPPED)(_failure_context(instance, result.run_id))

    assert not result.success  # nobody by that address in the warehouse
    (alert,) = webhook.posts
    assert alert["title"] == f"Funnelhouse: {FORGET_JOB} failed"
    assert alert["details"][0].startswith("step failed: erase_person:")
    assert PERSON not in webhook.raw[0] and "alice.person" not in webhook.raw[0]


# --- a run that succeeds with a failed error check -----------------------------------------------------------------


def test_a_run_that_succeeds_with_a_file_that_did_not_load_is_alerted(tmp_path, landing, webhook):
    write_lines(landing, "events/a.jsonl", [event("e1")])
    (landing / FILE_NAMED_AFTER_A_PERSON).write_bytes(b"not gzip at all")
    settings = _settings(tmp_path, alert_webhook=webhook.url)
    job = build_definitions(settings).resolve_job_def(FUNNELHOUSE_JOB)
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(asset_selection=[dg.AssetKey(["raw", "events"])], instance=instance)
    context = dg.build_run_status_sensor_context(
        sensor_name="failed_check_alert",
        dagster_event=result.get_run_success_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    )

    failed_check_alert_sensor(settings, STOPPED)(context)

    assert result.success  # the loader's error check does not fail the run: the models build on what loaded
    (alert,) = webhook.posts
    assert alert["title"] == f"Funnelhouse: {FUNNELHOUSE_JOB} finished with failed error checks"
    assert alert["details"][0].startswith(f"check failed: raw/events {EVERY_FILE_LOADED_CHECK}\n  events/[email:")
    assert PERSON not in webhook.raw[0]


# --- the webhook unset, or down -------------------------------------------------------------------------------------


def _alert(tmp_path: Path) -> Alert:
    return Alert(RUN_FAILED, "Funnelhouse: funnelhouse_job failed", ("step failed: x: boom",), str(tmp_path), "r-1")


def test_without_a_webhook_an_alert_goes_to_the_log_only(tmp_path, caplog):
    deliver_alert(_alert(tmp_path), _settings(tmp_path))

    (record,) = [record for record in caplog.records if record.name == "funnelhouse.alerts"]
    assert record.levelno == logging.ERROR
    assert record.getMessage().splitlines() == [
        "Funnelhouse: funnelhouse_job failed",
        "step failed: x: boom",
        "Run r-1",
        f"Warehouse {tmp_path}",
    ]


def test_a_webhook_nobody_listens_on_is_logged_and_raised(tmp_path, caplog):
    settings = _settings(tmp_path, alert_webhook=f"http://127.0.0.1:{_closed_port()}/hook")

    with pytest.raises(AlertNotDelivered, match="cannot reach the webhook"):
        deliver_alert(_alert(tmp_path), settings)

    assert "attempt 2 of 2: cannot reach the webhook" in caplog.text


# --- sources ------------------------------------------------------------------------------------------------------


def _at(hours: float) -> str:
    return (parse_instant(PINNED_NOW) + timedelta(hours=hours)).isoformat()


def _load_events(landing: Path, db: Path, name: str, *, hours: float) -> None:
    write_lines(landing, f"events/{name}.jsonl", [event(name)])
    load_landing_sources(landing, db, ("events",), salt=TEST_SALT, load_time=parse_instant(_at(hours)))


def test_a_source_that_stops_delivering_is_alerted_once_and_again_when_it_delivers(
    tmp_path, landing, webhook, monkeypatch
):
    settings = _settings(tmp_path, alert_webhook=webhook.url)
    _load_events(landing, settings.db_path, "first", hours=0)
    sensor = source_freshness_alert_sensor(settings, STOPPED)

    with dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral()) as context:
        monkeypatch.setenv(NOW_SETTING, _at(1.5))
        sensor(context)
        fresh = len(webhook.posts)
        monkeypatch.setenv(NOW_SETTING, _at(3))
        sensor(context)
        stale_cursor = context.cursor
        sensor(context)
        after_second_tick = len(webhook.posts)
        _load_events(landing, settings.db_path, "second", hours=3.5)
        monkeypatch.setenv(NOW_SETTING, _at(4))
        sensor(context)

    assert fresh == 0  # events are expected within 2 h
    assert json.loads(stale_cursor) == ["events"]
    assert after_second_tick == 1
    stale, recovered = webhook.posts
    assert stale["kind"] == SOURCE_STALE and stale["title"] == "Funnelhouse: raw.events has not delivered in time"
    assert stale["details"][0] == "raw.events: no file loaded for 3.0 h (expected within 2 h)."
    assert stale["run_id"] is None and stale["text"].startswith(stale["title"])
    assert recovered["kind"] == "source_recovered" and recovered["title"] == "Funnelhouse: raw.events delivers again"
    assert recovered["details"] == [
        "raw.events: its newest file was loaded 2026-11-30 15:30 UTC (expected within 2 h)."
    ]
    assert json.loads(context.cursor) == []


def test_a_source_s_own_interval_changes_what_is_stale_for_the_sensor_and_for_status(
    tmp_path, landing, webhook, monkeypatch
):
    db = tmp_path / "warehouse.duckdb"
    _load_events(landing, db, "first", hours=0)
    monkeypatch.setenv(NOW_SETTING, _at(3))
    monkeypatch.setenv("FUNNELHOUSE_ALERT_WEBHOOK", webhook.url)
    monkeypatch.setenv("FUNNELHOUSE_FRESHNESS_HOURS_EVENTS", "4")
    settings = Settings.from_env(landing, db)

    with dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral()) as context:
        source_freshness_alert_sensor(settings, STOPPED)(context)
    status = CliRunner().invoke(main, ["status", "--landing", str(landing), "--db", str(db)])

    assert webhook.posts == []  # 3 h old, and events are expected within 4 h here
    assert "stale_source" not in status.output
    assert status.output.count(" 4 h ") == 1  # the events row's expected interval

    monkeypatch.setenv("FUNNELHOUSE_FRESHNESS_HOURS_ADSPEND", "48")
    with pytest.raises(ValueError, match="no raw table is named 'adspend'; the raw tables are events, .*ad_spend"):
        Settings.from_env(landing, db)
