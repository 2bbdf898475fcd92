"""The Dagster definitions load, and hold the job, schedule, sensor, load assets and checks."""

from pathlib import Path

import dagster as dg

from orchestration.assets.landing import REJECTED_SHARE_CHECK
from orchestration.definitions import build_definitions
from orchestration.jobs import FUNNELHOUSE_JOB
from orchestration.loader.load import LANDING_SOURCES
from orchestration.sensors import new_landing_files_sensor
from orchestration.settings import Settings
from tests.conftest import event, write_lines


def _definitions(tmp_path: Path) -> dg.Definitions:
    return build_definitions(Settings(landing_dir=tmp_path / "landing", db_path=tmp_path / "w.duckdb"))


def test_definitions_hold_one_job_an_hourly_schedule_and_a_landing_sensor(tmp_path):
    defs = _definitions(tmp_path)

    job = defs.resolve_job_def(FUNNELHOUSE_JOB)
    assert job.executor_def.name == "in_process"
    assert defs.resolve_schedule_def("hourly_funnelhouse").cron_schedule == "0 * * * *"
    assert defs.resolve_sensor_def("new_landing_files_sensor").job_name == FUNNELHOUSE_JOB


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
    assert ("staging/stg_events", "unique_stg_events_event_id") in names


def test_sensor_requests_a_run_only_when_landing_files_change(tmp_path):
    landing = tmp_path / "landing"
    write_lines(landing, "events/a.jsonl", [event("e1")])
    resources = {"warehouse": _definitions(tmp_path).resources["warehouse"]}

    with dg.build_sensor_context(resources=resources) as context:
        first = new_landing_files_sensor(context)
        again = new_landing_files_sensor(context)
        write_lines(landing, "events/b.jsonl", [event("e2")])
        after_new_file = new_landing_files_sensor(context)

    assert isinstance(first, dg.RunRequest)
    assert isinstance(again, dg.SkipReason)
    assert isinstance(after_new_file, dg.RunRequest)
    assert after_new_file.run_key != first.run_key
