"""The hourly run: late files and the day's exports are picked up even when no sensor fired."""

import dagster as dg

from orchestration.jobs import funnelhouse_job

hourly_schedule = dg.ScheduleDefinition(
    name="hourly_funnelhouse",
    job=funnelhouse_job,
    cron_schedule="0 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Run the whole pipeline at the top of every hour.",
)
