"""`forget_person`: a privacy request run from the Dagster UI, as `funnelhouse forget` runs it from a shell.

The job erases the person and republishes the serving copy at once; the sensor then starts the main job,
whose build redoes what the erasure changed, and deletes the erasure run from Dagster's storage: its run
config names the person.
"""

import dagster as dg

from orchestration.erasure import ErasureRequest, forget
from orchestration.export import export_marts
from orchestration.jobs import funnelhouse_job
from orchestration.loader.pii import Pseudonymiser
from orchestration.loader.salt import salt_for
from orchestration.resources import WarehouseResource
from orchestration.schedules import scheduled_run_request
from orchestration.serving import publish_serving_copy
from orchestration.writer_lock import writer_lock

FORGET_JOB = "forget_person"


class ForgetConfig(dg.Config):
    """Who to forget: any of the ids the shop knows the person by."""

    user_id: list[str] = []
    anonymous_id: list[str] = []
    email: list[str] = []


@dg.op(description="Erase a person from every table of the warehouse and from the serving copy.")
def erase_person(context: dg.OpExecutionContext, config: ForgetConfig, warehouse: WarehouseResource) -> None:
    request = ErasureRequest(tuple(config.user_id), tuple(config.anonymous_id), tuple(config.email))
    if not request.describe():
        raise dg.Failure(description="name the person: user_id, anonymous_id or email")
    pseudonymiser = Pseudonymiser(salt_for(warehouse.landing), warehouse.phone_region_codes)
    with writer_lock(warehouse.db):
        erasure = forget(warehouse.db, request, pseudonymiser)
        publish_serving_copy(warehouse.db, warehouse.serving_db, run_id=context.run.run_id)
        if warehouse.export_dir.exists():  # the pipeline's own export holds the person too
            export_marts(warehouse.serving_db, warehouse.export_dir)
    context.log.info(
        f"erasure {erasure.erasure_id}: {erasure.events} events of {erasure.devices} devices; "
        f"{erasure.total_rows} rows removed"
    )
    context.add_output_metadata({"erasure_id": erasure.erasure_id, "rows_removed": erasure.rows_removed})


@dg.job(name=FORGET_JOB, description="Forget a person (GDPR art. 17); the main job then rebuilds what changed.")
def forget_person_job():
    erase_person()


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[forget_person_job],
    request_job=funnelhouse_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After an erasure: rebuild the models it changed, and drop the erasure run, which names the person.",
)
def rebuild_after_erasure(context: dg.RunStatusSensorContext, warehouse: WarehouseResource):
    context.instance.delete_run(context.dagster_run.run_id)
    # Skipped while another run is in progress: the erasure waits in raw.pending_rebuilds for the next run.
    return scheduled_run_request(context, warehouse, run_key=f"after-erasure-{context.dagster_run.run_id}")
