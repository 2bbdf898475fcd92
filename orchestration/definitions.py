"""The one Definitions object of Funnelhouse: assets, checks, jobs, schedules, sensors and resources."""

import dagster as dg

from orchestration.alert_sensors import alert_sensors
from orchestration.assets.dbt import funnelhouse_dbt_models
from orchestration.assets.export import parquet_export
from orchestration.assets.landing import LANDING_ASSETS
from orchestration.assets.serving import serving_copy
from orchestration.forget_job import forget_person_job, rebuild_after_erasure
from orchestration.housekeeping_job import housekeeping_job
from orchestration.jobs import funnelhouse_job
from orchestration.loggers import progress_logger
from orchestration.resources import build_resources
from orchestration.schedules import daily_housekeeping_schedule, hourly_schedule
from orchestration.sensors import new_landing_files_sensor
from orchestration.settings import DUCKDB, Settings


def build_definitions(settings: Settings) -> dg.Definitions:
    """The schedules, the landing sensor and the alert sensors start running when `settings.automation` is on
    (`funnelhouse serve`).

    On Spark the readers read the Spark tables in place: there is no serving copy to publish or export
    from, and no erasure yet (it removes a person from the DuckDB tables only), so neither is defined."""
    on_duckdb = settings.target == DUCKDB
    schedule_status, sensor_status = (
        (dg.DefaultScheduleStatus.RUNNING, dg.DefaultSensorStatus.RUNNING)
        if settings.automation
        else (dg.DefaultScheduleStatus.STOPPED, dg.DefaultSensorStatus.STOPPED)
    )
    return dg.Definitions(
        assets=[*LANDING_ASSETS, funnelhouse_dbt_models, *([serving_copy, parquet_export] if on_duckdb else [])],
        jobs=[funnelhouse_job, housekeeping_job, *([forget_person_job] if on_duckdb else [])],
        schedules=[hourly_schedule(schedule_status), daily_housekeeping_schedule(schedule_status)],
        sensors=[
            new_landing_files_sensor(sensor_status),
            *alert_sensors(settings, sensor_status),
            *([rebuild_after_erasure] if on_duckdb else []),
        ],
        resources=build_resources(settings),
        executor=dg.in_process_executor,
        loggers={"progress": progress_logger},
    )


# What `dagster dev` loads through workspace.yaml; the CLI builds its own from its arguments.
defs = build_definitions(Settings.from_env())
