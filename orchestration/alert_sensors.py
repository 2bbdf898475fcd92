"""The sensors that alert (orchestration/alerts.py): a run that failed, a run that succeeded with failed error
checks, and a landing source that stopped delivering or delivers again.

A run status sensor moves past a run even when its tick fails (Dagster will not repeat its side effects), so
a run alert the webhook did not take is tagged on the run, and `undelivered_run_alerts` sends it again until
it is taken: every alert arrives at least once.
"""

import json

import dagster as dg

from orchestration.alerts import RUN_FAILED, SOURCE_RECOVERED, SOURCE_STALE, Alert, AlertNotDelivered, deliver_alert
from orchestration.forget_job import forget_person_job
from orchestration.jobs import funnelhouse_job
from orchestration.run_failures import run_failures
from orchestration.settings import DUCKDB, Settings
from orchestration.status import Finding, SourceLoads, Status, check_status

ALERT_TAG = "funnelhouse/alert"
SENT, UNDELIVERED = "sent", "undelivered"
RETRY_SECONDS = 300
FRESHNESS_SECONDS = 300


def alert_sensors(settings: Settings, default_status: dg.DefaultSensorStatus) -> list[dg.SensorDefinition]:
    return [
        run_failure_alert_sensor(settings, default_status),
        failed_check_alert_sensor(settings, default_status),
        undelivered_run_alerts_sensor(settings, default_status),
        source_freshness_alert_sensor(settings, default_status),
    ]


# --- runs ----------------------------------------------------------------------------------------------------


def run_alert(settings: Settings, instance: dg.DagsterInstance, run: dg.DagsterRun) -> Alert | None:
    """Every failure of a failed run; the failed error checks of a successful one (the loader's checks fail
    without failing the run, so the models still build on what did load); None when nothing failed."""
    failures = run_failures(instance, run.run_id).failures
    if run.status == dg.DagsterRunStatus.SUCCESS and not failures:
        return None
    outcome = "failed" if run.status == dg.DagsterRunStatus.FAILURE else "finished with failed error checks"
    title = f"Funnelhouse: {run.job_name} {outcome}"
    return Alert(RUN_FAILED, title, tuple(failures), str(settings.db_path), run_id=run.run_id)


def _send_run_alert(settings: Settings, instance: dg.DagsterInstance, run: dg.DagsterRun) -> None:
    alert = run_alert(settings, instance, run)
    if alert is None:
        return
    try:
        deliver_alert(alert, settings)
    except AlertNotDelivered:
        instance.add_run_tags(run.run_id, {ALERT_TAG: UNDELIVERED})
        raise
    instance.add_run_tags(run.run_id, {ALERT_TAG: SENT})


def run_failure_alert_sensor(settings: Settings, default_status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    """The main job and, on DuckDB, the erasure job (its failure names no one: only its config does)."""
    jobs = [funnelhouse_job, *([forget_person_job] if settings.target == DUCKDB else [])]

    @dg.run_failure_sensor(
        name="run_failure_alert",
        monitored_jobs=jobs,
        default_status=default_status,
        description="Alerts a failed run: its job, run id, every failed step with its cause, every failed error check.",
    )
    def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
        _send_run_alert(settings, context.instance, context.dagster_run)

    return run_failure_alert


def failed_check_alert_sensor(settings: Settings, default_status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    """A dbt test of error severity fails its build step, and so the run; the loader's error checks (a file that
    could not be loaded) do not, and a run that ends green with one is alerted here."""

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        name="failed_check_alert",
        monitored_jobs=[funnelhouse_job],
        default_status=default_status,
        description="Alerts a run that succeeded with failed error checks, such as a landing file that did not load.",
    )
    def failed_check_alert(context: dg.RunStatusSensorContext) -> None:
        _send_run_alert(settings, context.instance, context.dagster_run)

    return failed_check_alert


def undelivered_run_alerts_sensor(settings: Settings, default_status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.sensor(
        name="undelivered_run_alerts",
        minimum_interval_seconds=RETRY_SECONDS,
        default_status=default_status,
        description="Sends again the run alerts the webhook did not take (runs tagged funnelhouse/alert=undelivered).",
    )
    def undelivered_run_alerts(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        records = context.instance.get_run_records(filters=dg.RunsFilter(tags={ALERT_TAG: UNDELIVERED}))
        for record in records:
            _send_run_alert(settings, context.instance, record.dagster_run)
        return dg.SkipReason(f"{len(records)} run alert(s) waited to be delivered")

    return undelivered_run_alerts


# --- sources -------------------------------------------------------------------------------------------------


def source_freshness_alert_sensor(settings: Settings, default_status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    """`funnelhouse status`'s stale_source findings, each alerted once when its source goes stale and once when it
    delivers again; the cursor holds the sources reported stale."""

    @dg.sensor(
        name="source_freshness_alert",
        minimum_interval_seconds=FRESHNESS_SECONDS,
        default_status=default_status,
        description="Alerts a landing source that has not delivered within its interval, and when it delivers again.",
    )
    def source_freshness_alert(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        status = check_status(settings)
        if status.read_from != "warehouse":
            # The serving copy does not know the loads since its publication: a source the running run is
            # loading would look stale. Judged on a later tick, after the run.
            return dg.SkipReason(f"freshness not judged: {status.note}")
        stale = {finding.source: finding for finding in status.findings if finding.check == "stale_source"}
        reported = set(json.loads(context.cursor)) if context.cursor else set()
        for table in sorted(stale.keys() - reported):
            deliver_alert(_stale_alert(stale[table], settings), settings)
            reported.add(table)
            context.update_cursor(json.dumps(sorted(reported)))
        for table in sorted(reported - stale.keys()):
            deliver_alert(_recovered_alert(table, status, settings), settings)
            reported.discard(table)
            context.update_cursor(json.dumps(sorted(reported)))
        return dg.SkipReason(f"stale: {', '.join(sorted(reported)) or 'no source'}")

    return source_freshness_alert


def _stale_alert(finding: Finding, settings: Settings) -> Alert:
    title = f"Funnelhouse: raw.{finding.source} has not delivered in time"
    return Alert(SOURCE_STALE, title, (finding.problem, f"What to do: {finding.action}"), str(settings.db_path))


def _recovered_alert(table: str, status: Status, settings: Settings) -> Alert:
    source: SourceLoads | None = next((source for source in status.sources if source.table == table), None)
    if source is not None and source.newest_loaded_at is not None:
        newest = f"its newest file was loaded {source.newest_loaded_at:%Y-%m-%d %H:%M} UTC"
    else:
        newest = "it is no longer overdue"
    expected = f" (expected within {source.expected_hours:g} h)" if source and source.expected_hours is not None else ""
    detail = f"raw.{table}: {newest}{expected}."
    return Alert(SOURCE_RECOVERED, f"Funnelhouse: raw.{table} delivers again", (detail,), str(settings.db_path))
