"""What went wrong in a run, read from the events Dagster stored for it: `funnelhouse run` prints it, and the
alert sensors send it (orchestration/alert_sensors.py), so a person reads the same lines in both."""

from dataclasses import dataclass

import dagster as dg

# Only these events are read: a dbt build stores thousands of others.
_EVENT_TYPES = {
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.ASSET_CHECK_EVALUATION,
    dg.DagsterEventType.RUN_FAILURE,
}


@dataclass(frozen=True)
class RunFailures:
    failures: list[str]  # each with its cause: the step or check, the file, the underlying error
    warnings: list[str]  # failed non-blocking checks: the run succeeds, the user should look


def run_failures(instance: dg.DagsterInstance, run_id: str) -> RunFailures:
    """Every failed step with its cause chain, then every failed error-severity check; a run that failed with no
    step failing (its process died, a resource could not start) says why the run failed instead."""
    events = [entry.dagster_event for entry in instance.all_logs(run_id, of_type=_EVENT_TYPES) if entry.dagster_event]
    failures = _step_failures(events) or _run_failure(events)
    return RunFailures(
        failures=failures + _failed_checks(events, dg.AssetCheckSeverity.ERROR),
        warnings=_failed_checks(events, dg.AssetCheckSeverity.WARN),
    )


def _with_causes(error) -> str:
    """An error and the chain of errors that caused it: the last one is usually what a person can act on."""
    lines = [error.message.strip()]
    while (error := error.cause or error.context) is not None:
        lines.append(f"  caused by {error.cls_name}: {error.message.strip()}")
    return "\n".join(lines)


def _step_failures(events: list[dg.DagsterEvent]) -> list[str]:
    return [
        f"step failed: {event.step_key}: {_with_causes(event.event_specific_data.error)}"
        for event in events
        if event.event_type == dg.DagsterEventType.STEP_FAILURE
    ]


def _run_failure(events: list[dg.DagsterEvent]) -> list[str]:
    failed = []
    for event in events:
        if event.event_type != dg.DagsterEventType.RUN_FAILURE:
            continue
        error = event.event_specific_data.error if event.event_specific_data else None
        failed.append(f"run failed: {_with_causes(error) if error else event.message}")
    return failed


def _failed_checks(events: list[dg.DagsterEvent], severity: dg.AssetCheckSeverity) -> list[str]:
    failed = []
    for event in events:
        if event.event_type != dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            continue
        evaluation = event.event_specific_data
        if evaluation.passed or evaluation.severity != severity:
            continue
        line = f"check failed: {evaluation.asset_key.to_user_string()} {evaluation.check_name}"
        if _names_its_cause(evaluation) and evaluation.description:
            line += "\n" + "\n".join(f"  {detail}" for detail in evaluation.description.splitlines())
        failed.append(line)
    return failed


def _names_its_cause(evaluation) -> bool:
    """Error checks, and the loader's warnings (they name the files, like the per-file rejected share); a
    warning of a dbt test says its name, and the details are in the test's own output."""
    return evaluation.severity == dg.AssetCheckSeverity.ERROR or evaluation.asset_key.path[0] == "raw"
