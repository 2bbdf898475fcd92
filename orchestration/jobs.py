"""One job for everything: load every landing source, build and test every dbt model, publish the serving copy."""

import dagster as dg

from orchestration.loader.load import LANDING_SOURCES

FUNNELHOUSE_JOB = "funnelhouse_job"

funnelhouse_job = dg.define_asset_job(
    FUNNELHOUSE_JOB,
    selection=dg.AssetSelection.all(),
    description="Load new landing files into raw, dbt build (models, seeds and tests), publish the serving copy.",
    # DuckDB takes one writer per file: steps run one after another in one process.
    executor_def=dg.in_process_executor,
)


def job_run_config(
    *, settle_seconds: int, full_refresh: bool = False, dbt_vars: str = "", verify: bool = False
) -> dict:
    """The run config every way of starting the job (CLI, schedule, sensor) builds its run from."""
    load = {"settle_seconds": settle_seconds, "verify": verify}
    return {
        "ops": {
            **{f"load_{source}": {"config": load} for source in LANDING_SOURCES},
            "funnelhouse_dbt_models": {"config": {"full_refresh": full_refresh, "vars": dbt_vars}},
        }
    }
