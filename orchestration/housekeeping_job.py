"""`housekeeping_job`: Dagster's run history pruned every day, as `funnelhouse prune-history` prunes it from a shell.

It never opens the warehouse, so it takes no writer lock. The instance runs one run at a time (dagster.yaml):
a housekeeping run waits in the queue behind a pipeline run, and a pipeline run behind it for the seconds it
takes. The schedule and the landing sensor look for pipeline runs only, so they never skip for it.
"""

import dagster as dg

from orchestration.housekeeping import prune_history
from orchestration.resources import HistoryResource

HOUSEKEEPING_JOB = "housekeeping_job"


@dg.op(description="Delete finished runs past the retention, with their event logs and captured stdout/stderr.")
def prune_dagster_history(context: dg.OpExecutionContext, history: HistoryResource) -> None:
    context.log.info(prune_history(context.instance, keep_days=history.keep_days).describe())


@dg.job(
    name=HOUSEKEEPING_JOB,
    description="Prune Dagster's run history past FUNNELHOUSE_HISTORY_DAYS (the warehouse is not touched).",
)
def housekeeping_job():
    prune_dagster_history()
