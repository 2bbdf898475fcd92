"""Running the Funnelhouse job in this process, exactly as the schedule and the sensor run it."""

import os
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration.assets.landing import LANDING_LISTS
from orchestration.definitions import build_definitions
from orchestration.jobs import FUNNELHOUSE_JOB, job_run_config
from orchestration.loader.salt import check_warehouse_salt, salt_for
from orchestration.run_failures import run_failures
from orchestration.settings import Settings
from orchestration.writer_lock import writer_lock


@dataclass(frozen=True)
class PipelineOutcome:
    success: bool
    failures: list[str]  # each with its cause: the step or check, the file, the underlying error
    warnings: list[str]  # failed non-blocking checks: the run succeeds, the user should look
    landing: dict[str, list[str]] = field(default_factory=dict)  # LANDING_LISTS over every raw table
    run_id: str | None = None  # kept in Dagster's run history (`make dev`) when DAGSTER_HOME is set


def _instance() -> dg.DagsterInstance:
    """The persistent instance when DAGSTER_HOME is set, so runs show in `dagster dev`; else a throwaway one."""
    home = os.environ.get("DAGSTER_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def _landing_lists(result: dg.ExecuteInProcessResult) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {name: [] for name in LANDING_LISTS}
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        if materialization.asset_key.path[0] != "raw":
            continue
        for name in LANDING_LISTS:
            entry = materialization.metadata.get(name)
            lists[name] += entry.value if entry is not None else []
    return lists


def run_pipeline(
    settings: Settings,
    *,
    full_refresh: bool = False,
    dbt_vars: str = "",
    wait_seconds: float = 0,
    verify: bool = False,
) -> PipelineOutcome:
    """Run the job as this process's one writer; raises WarehouseBusy when another run writes, and SaltError
    before anything runs when personal data cannot be hashed as the warehouse was (see loader/salt.py)."""
    job = build_definitions(settings).resolve_job_def(FUNNELHOUSE_JOB)
    run_config = job_run_config(
        settle_seconds=settings.settle_for(scheduled=False), full_refresh=full_refresh, dbt_vars=dbt_vars, verify=verify
    )
    with writer_lock(settings.db_path, wait_seconds=wait_seconds), _instance() as instance:
        check_warehouse_salt(settings.db_path, salt_for(settings.landing_dir))
        result = job.execute_in_process(
            run_config={**run_config, "loggers": {"progress": {}}},
            instance=instance,
            raise_on_error=False,
        )
        found = run_failures(instance, result.run_id)
    return PipelineOutcome(
        success=result.success and not found.failures,
        failures=found.failures,
        warnings=found.warnings,
        landing=_landing_lists(result),
        run_id=result.run_id,
    )
