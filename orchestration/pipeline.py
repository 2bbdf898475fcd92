"""Running the Funnelhouse job in this process, exactly as the schedule and the sensor run it."""

import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from orchestration.definitions import build_definitions
from orchestration.jobs import FUNNELHOUSE_JOB
from orchestration.settings import Settings


@dataclass(frozen=True)
class PipelineOutcome:
    success: bool
    failures: list[str]
    warnings: list[str]  # failed non-blocking checks: the run succeeds, the user should look


def _instance() -> dg.DagsterInstance:
    """The persistent instance when DAGSTER_HOME is set, so runs show in `dagster dev`; else a throwaway one."""
    home = os.environ.get("DAGSTER_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def _failed_checks(result: dg.ExecuteInProcessResult, severity: dg.AssetCheckSeverity) -> list[str]:
    return [
        f"check failed: {evaluation.asset_key.to_user_string()} {evaluation.check_name}"
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity == severity
    ]


def run_pipeline(settings: Settings, *, full_refresh: bool = False) -> PipelineOutcome:
    job = build_definitions(settings).resolve_job_def(FUNNELHOUSE_JOB)
    run_config = {
        "ops": {"funnelhouse_dbt_models": {"config": {"full_refresh": full_refresh}}},
        "loggers": {"progress": {}},
    }
    with _instance() as instance:
        result = job.execute_in_process(
            run_config=run_config,
            instance=instance,
            raise_on_error=False,
        )
    failures = [
        f"step failed: {event.step_key}: {event.event_specific_data.error.message.strip()}"
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.STEP_FAILURE
    ]
    failures += _failed_checks(result, dg.AssetCheckSeverity.ERROR)
    return PipelineOutcome(
        success=result.success and not failures,
        failures=failures,
        warnings=_failed_checks(result, dg.AssetCheckSeverity.WARN),
    )
