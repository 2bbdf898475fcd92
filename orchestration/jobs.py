"""One job for everything: load every landing source, then build and test every dbt model."""

import dagster as dg

FUNNELHOUSE_JOB = "funnelhouse_job"

funnelhouse_job = dg.define_asset_job(
    FUNNELHOUSE_JOB,
    selection=dg.AssetSelection.all(),
    description="Load new landing files into raw, then dbt build (models, seeds and tests).",
    # DuckDB takes one writer per file: steps run one after another in one process.
    executor_def=dg.in_process_executor,
)
