"""The Dagster definitions load, and hold the job, schedule, sensor, load assets and checks."""

from pathlib import Path

import dagster as dg
from dagster._core.test_utils import create_run_for_test

from orchestration.alert_sensors import alert_sensors
from orchestration.assets.export import EXPORT_KEY
from orchestration.assets.landing import EVERY_FILE_LOADED_CHECK, REJECTED_SHARE_CHECK
from orchestration.assets.serving import SERVING_COPY_KEY
from orchestration.definitions import build_definitions
from orchestration.forget_job import FORGET_JOB
from orchestration.jobs import FUNNELHOUSE_JOB
from orchestration.loader.load import LANDING_SOURCES
from orchestration.sensors import new_landing_files_sensor
from orchestration.settings import SCHEDULED_SETTLE_SECONDS, SPARK, Settings
from tests.conftest import event, write_lines


def _definitions(tmp_path: Path, settle_seconds: int = 0) -> dg.Definitions:
    return build_definitions(
        Settings(landing_dir=tmp_path / "landing", db_path=tmp_path / "w.duckdb", settle_seconds=settle_seconds)
    )


STOPPED = dg.DefaultSensorStatus.STOPPED
LANDING_SENSOR = new_landing_files_sensor(STOPPED)


def _job_in_progress(instance: dg.DagsterInstance) -> None:
    create_run_for_test(instance, job_name=FUNNELHOUSE_JOB, status=dg.DagsterRunStatus.STARTED)


def test_definitions_hold_one_job_an_hourly_schedule_and_a_landing_sensor(tmp_path):
    defs = _definitions(tmp_path)

    job = defs.resolve_job_def(FUNNELHOUSE_JOB)
    assert job.executor_def.name == "in_process"
    assert defs.resolve_schedule_def("hourly_funnelhouse").cron_schedule == "0 * * * *"
    assert defs.resolve_sensor_def("new_landing_files_sensor").job_name == FUNNELHOUSE_JOB


def test_the_schedule_and_sensors_start_running_only_when_automation_is_on(tmp_path):
    landing, db = tmp_path / "landing", tmp_path / "w.duckdb"
    served = build_definitions(Settings(landing_dir=landing, db_path=db, automation=True))
    by_hand = build_definitions(Settings(landing_dir=landing, db_path=db))
    alerting = [sensor.name for sensor in alert_sensors(Settings(landing_dir=landing, db_path=db), STOPPED)]

    for defs, status in ((served, "RUNNING"), (by_hand, "STOPPED")):
        assert defs.resolve_schedule_def("hourly_funnelhouse").default_status.name == status
        for sensor in ("new_landing_files_sensor", *alerting):
            assert defs.resolve_sensor_def(sensor).default_status.name == status
    assert len(alerting) == 4


def test_on_spark_the_job_loads_and_builds_and_has_no_serving_copy_export_or_erasure(tmp_path):
    defs = build_definitions(Settings(landing_dir=tmp_path / "landing", db_path=tmp_path / "w.duckdb", target=SPARK))
    on_duckdb = _definitions(tmp_path).resolve_asset_graph().get_all_asset_keys()

    keys = defs.resolve_asset_graph().get_all_asset_keys()
    assert keys == on_duckdb - {SERVING_COPY_KEY, EXPORT_KEY}
    assert defs.resolve_job_def(FUNNELHOUSE_JOB).executor_def.name == "in_process"
    assert FORGET_JOB not in {job.name for job in defs.resolve_all_job_defs()}


def test_lineage_runs_from_every_raw_table_into_staging(tmp_path):
    graph = _definitions(tmp_path).resolve_asset_graph()
    raw_tables = [table for tables in LANDING_SOURCES.values() for table in tables]

    for table in raw_tables:
        key = dg.AssetKey(["raw", table])
        assert graph.get(key).is_materializable, f"raw/{table} has no load asset"
        children = {child.to_user_string() for child in graph.get(key).child_keys}
        assert any(child.startswith("staging/stg_") for child in children), f"raw/{table} feeds no staging model"


def test_checks_cover_rejected_share_of_every_load_and_the_dbt_tests(tmp_path):
    checks = _definitions(tmp_path).resolve_asset_graph().asset_check_keys
    names = {(check.asset_key.to_user_string(), check.name) for check in checks}

    for tables in LANDING_SOURCES.values():
        for table in tables:
            assert (f"raw/{table}", REJECTED_SHARE_CHECK) in names
            assert (f"raw/{table}", EVERY_FILE_LOADED_CHECK) in names
    assert any(
        asset == "staging/stg_events" and name.startswith("unique_combination_stg_events_event_id")
        for asset, name in names
    )


def test_sensor_requests_a_run_only_when_landing_files_change(tmp_path):
    landing = tmp_path / "landing"
    write_lines(landing, "events/a.jsonl", [event("e1")])
    resources = {"warehouse": _definitions(tmp_path).resources["warehouse"]}

    with dg.build_sensor_context(resources=resources, instance=dg.DagsterInstance.ephemeral()) as context:
        first = LANDING_SENSOR(context)
        again = LANDING_SENSOR(context)
        write_lines(landing, "events/b.jsonl", [event("e2")])
        after_new_file = LANDING_SENSOR(context)

    assert isinstance(first, dg.RunRequest)
    assert isinstance(again, dg.SkipReason)
    assert isinstance(after_new_file, dg.RunRequest)
    assert after_new_file.run_key != first.run_key


def test_sensor_waits_for_files_to_settle_and_skips_while_a_run_is_in_progress(tmp_path):
    write_lines(tmp_path / "landing", "events/a.jsonl", [event("e1")])
    settling = {"warehouse": _definitions(tmp_path, settle_seconds=3600).resources["warehouse"]}
    settled = {"warehouse": _definitions(tmp_path).resources["warehouse"]}
    instance = dg.DagsterInstance.ephemeral()

    with dg.build_sensor_context(resources=settling, instance=instance) as context:
        while_settling = LANDING_SENSOR(context)
    _job_in_progress(instance)
    with dg.build_sensor_context(resources=settled, instance=instance) as context:
        while_running = LANDING_SENSOR(context)

    assert isinstance(while_settling, dg.SkipReason)
    assert isinstance(while_running, dg.SkipReason)
    assert "in progress" in while_running.skip_message


def test_schedule_skips_while_a_run_is_in_progress_and_asks_scheduled_runs_to_let_files_settle(tmp_path):
    defs = _definitions(tmp_path, settle_seconds=90)
    schedule = defs.resolve_schedule_def("hourly_funnelhouse")
    resources = {"warehouse": defs.resources["warehouse"]}
    with dg.instance_for_test() as instance:
        with dg.build_schedule_context(instance=instance, resources=resources) as context:
            idle = schedule.evaluate_tick(context).run_requests
        _job_in_progress(instance)
        with dg.build_schedule_context(instance=instance, resources=resources) as context:
            busy = schedule.evaluate_tick(context)

    assert len(idle) == 1
    assert idle[0].run_config["ops"]["load_events"]["config"]["settle_seconds"] == 90
    assert not busy.run_requests and "in progress" in busy.skip_message


def test_settings_let_scheduled_runs_wait_for_files_and_manual_runs_take_them_at_once(tmp_path):
    settings = Settings(landing_dir=tmp_path, db_path=tmp_path / "w.duckdb")

    assert settings.settle_for(scheduled=True) == SCHEDULED_SETTLE_SECONDS > 0
    assert settings.settle_for(scheduled=False) == 0
    assert settings.serving_db == tmp_path / "serving.duckdb"
