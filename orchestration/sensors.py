"""Start the job when new files land, without opening the warehouse (a run may be writing to it)."""

import hashlib
from pathlib import Path

import dagster as dg

from orchestration.jobs import funnelhouse_job
from orchestration.loader.landing_zone import READY, list_landing_zone
from orchestration.resources import WarehouseResource
from orchestration.schedules import scheduled_run_request

LANDING_SENSOR_NAME = "new_landing_files_sensor"


def landing_fingerprint(landing: Path, settle_seconds: int) -> tuple[str, int]:
    """A digest of the path, size and mtime of every file a run would take now, and their count.

    Files still under a temporary name or settling are left out: the sensor fires once they are ready.
    """
    ready = [file for file in list_landing_zone(landing, settle_seconds=settle_seconds).files if file.state == READY]
    digest = hashlib.sha256()
    for file in ready:
        digest.update(f"{file.relative}|{file.bytes}|{file.mtime_ns}\n".encode())
    return digest.hexdigest(), len(ready)


def new_landing_files_sensor(default_status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.sensor(
        name=LANDING_SENSOR_NAME,
        job=funnelhouse_job,
        minimum_interval_seconds=60,
        default_status=default_status,
        description="Requests a run when files appear or change in the landing zone, unless a run is in progress.",
    )
    def new_landing_files(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        fingerprint, count = landing_fingerprint(warehouse.landing, warehouse.scheduled_settle_seconds)
        if count == 0 or fingerprint == context.cursor:
            return dg.SkipReason(f"no new files among the {count} ready in {warehouse.landing}")
        request = scheduled_run_request(
            context,
            warehouse,
            run_key=fingerprint,
            tags={"trigger": "new_landing_files", "landing_files": str(count)},
        )
        if isinstance(request, dg.RunRequest):  # while a run is in progress the cursor stays, so this fires again
            context.update_cursor(fingerprint)
        return request

    return new_landing_files
