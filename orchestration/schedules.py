"""The hourly run: late files and the day's exports are picked up even when no sensor fired; and the daily
housekeeping of Dagster's run history."""

import dagster as dg

from orchestration.housekeeping_job import housekeeping_job
from orchestration.jobs import FUNNELHOUSE_JOB, funnelhouse_job, job_run_config
from orchestration.nothing_new import current_build, readers_build
from orchestration.resources import WarehouseResource

HOURLY_SCHEDULE_NAME = "hourly_funnelhouse"

# Queued counts as in progress: the queue runs one at a time, so a queued run will pick up the new files.
_IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def run_in_progress(instance: dg.DagsterInstance) -> str | None:
    """The id of a Funnelhouse run queued or running, if any: schedule and sensor never start a second one."""
    records = instance.get_run_records(filters=dg.RunsFilter(job_name=FUNNELHOUSE_JOB, statuses=_IN_PROGRESS), limit=1)
    return records[0].dagster_run.run_id if records else None


def scheduled_run_request(
    context: dg.ScheduleEvaluationContext | dg.SensorEvaluationContext,
    warehouse: WarehouseResource,
    **request: object,
) -> dg.RunRequest | dg.SkipReason:
    running = run_in_progress(context.instance)
    if running:
        return dg.SkipReason(f"run {running} is still in progress; the next evaluation picks up what it leaves")
    settle = warehouse.scheduled_settle_seconds
    published = readers_build(warehouse.target, warehouse.serving_db, warehouse.spark_dir)
    if (build := current_build(warehouse.landing, warehouse.db, published, settle_seconds=settle)) is not None:
        return dg.SkipReason(f"nothing new since build {build}: no file landed, no var, seed or code changed")
    return dg.RunRequest(run_config=job_run_config(settle_seconds=warehouse.scheduled_settle_seconds), **request)


def hourly_schedule(default_status: dg.DefaultScheduleStatus) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=HOURLY_SCHEDULE_NAME,
        job=funnelhouse_job,
        cron_schedule="0 * * * *",
        default_status=default_status,
        description="Run the whole pipeline at the top of every hour, unless a run is still in progress.",
    )
    def hourly_funnelhouse(context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource):
        return scheduled_run_request(context, warehouse)

    return hourly_funnelhouse


def daily_housekeeping_schedule(default_status: dg.DefaultScheduleStatus) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="daily_housekeeping",
        job=housekeeping_job,
        # Half past, not on the hour: the hourly pipeline run has the top of the hour.
        cron_schedule="30 3 * * *",
        execution_timezone="UTC",
        default_status=default_status,
        description="Every day at 03:30 UTC, prune Dagster's finished runs and their logs past the retention.",
    )
