"""Start the job when new files land, without opening the warehouse (a run may be writing to it)."""

import hashlib
from pathlib import Path

import dagster as dg

from orchestration.jobs import funnelhouse_job
from orchestration.loader.load import LANDING_SOURCES
from orchestration.resources import WarehouseResource
from orchestration.schedules import scheduled_run_request


def landing_fingerprint(landing: Path) -> tuple[str, int]:
    """A digest of every landing file's path, size and mtime, and the file count."""
    digest = hashlib.sha256()
    count = 0
    for folder in LANDING_SOURCES:  # each landing source is a folder of the landing zone
        root = landing / folder
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(f"{path.relative_to(landing)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
            count += 1
    return digest.hexdigest(), count


@dg.sensor(
    job=funnelhouse_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Requests a run when files appear or change in the landing zone, unless a run is in progress.",
)
def new_landing_files_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    fingerprint, count = landing_fingerprint(warehouse.landing)
    if fingerprint == context.cursor:
        return dg.SkipReason(f"no new files among the {count} in {warehouse.landing}")
    request = scheduled_run_request(
        context,
        warehouse,
        run_key=fingerprint,
        tags={"trigger": "new_landing_files", "landing_files": str(count)},
    )
    if isinstance(request, dg.RunRequest):  # while a run is in progress the cursor stays, so this fires again
        context.update_cursor(fingerprint)
    return request
