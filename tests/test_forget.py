"""`funnelhouse forget` at the loader's level: who the person is, what goes, what is kept, and the Dagster job."""

import json

import dagster as dg
import duckdb
import pytest

from orchestration.definitions import build_definitions
from orchestration.erasure import ErasureRequest, NobodyToForget, forget
from orchestration.forget_job import FORGET_JOB, rebuild_after_erasure
from orchestration.loader.pii import Pseudonymiser
from orchestration.settings import Settings
from tests.conftest import TEST_SALT, event, load, query, write_lines

EMAIL = "Maria.Bianchi@Example.it"
CUSTOMER = "cus_maria"
SIGN_UP_DEVICE, LOGIN_DEVICE, STRANGER = "device-signup", "device-login", "device-stranger"


def _person_and_a_stranger() -> list:
    return [
        event("e1", "sign_up", anonymous_id=SIGN_UP_DEVICE, properties={"method": "form", "email": EMAIL}),
        event("e2", anonymous_id=SIGN_UP_DEVICE),
        event("e3", anonymous_id=LOGIN_DEVICE, user_id=CUSTOMER),
        event("e4", anonymous_id=STRANGER),
        event("r1", "sign_upp", anonymous_id=LOGIN_DEVICE, user_id=CUSTOMER),  # rejected: unknown event name
        event("r2", "sign_upp", anonymous_id=STRANGER),
    ]


@pytest.fixture
def loaded(landing, db):
    write_lines(landing, "events/a.jsonl", _person_and_a_stranger())
    load(landing, db)
    return db


def _erase(db, **request) -> object:
    return forget(db, ErasureRequest(**request), Pseudonymiser(TEST_SALT))


def test_an_email_finds_the_sign_up_device_and_the_customer_it_signed_up_as(landing, db):
    write_lines(
        landing,
        "events/a.jsonl",
        [
            event(
                "e1",
                "sign_up",
                anonymous_id=SIGN_UP_DEVICE,
                user_id=CUSTOMER,
                properties={"method": "form", "email": EMAIL},
            ),
            event("e2", anonymous_id=SIGN_UP_DEVICE),
            event("e3", anonymous_id=LOGIN_DEVICE, user_id=CUSTOMER),
            event("e4", anonymous_id=STRANGER),
            event("r1", "sign_upp", anonymous_id=LOGIN_DEVICE, user_id=CUSTOMER),
        ],
    )
    load(landing, db)

    erasure = _erase(db, emails=(f" {EMAIL.upper()} ",))

    assert query(db, "select event_id from raw.events") == [("e4",)]
    assert query(db, "select count(*) from raw.rejected_events") == [(0,)]
    assert (erasure.events, erasure.rows_removed["raw.events"], erasure.rows_removed["raw.rejected_events"]) == (
        3,
        3,
        1,
    )


def test_a_customer_id_takes_their_events_and_rejected_lines_and_leaves_a_strangers(loaded):
    _erase(loaded, user_ids=(CUSTOMER,))

    assert query(loaded, "select event_id from raw.events order by 1") == [("e1",), ("e2",), ("e4",)]
    assert [json.loads(text)["event_id"] for (text,) in query(loaded, "select raw_text from raw.rejected_events")] == [
        "r2"
    ]


def test_the_erasure_log_names_nobody(loaded):
    _erase(loaded, user_ids=(CUSTOMER,), emails=(EMAIL,))

    logged = query(loaded, "select * from raw.erasures") + query(loaded, "select * from raw.erased_identities")
    text = repr(logged)
    assert CUSTOMER not in text and EMAIL.lower() not in text and SIGN_UP_DEVICE not in text
    assert query(loaded, "select requested_as from raw.erasures") == [("user_id, email",)]


def test_their_events_delivered_again_are_forgotten_valid_or_rejected(landing, loaded):
    _erase(loaded, user_ids=(CUSTOMER,))
    write_lines(landing, "events/b.jsonl", _person_and_a_stranger())

    report = load(landing, loaded)["events"]

    # e3 and r1 are the customer's; e1, e2, e4 are stored already; the stranger's r2 is rejected again.
    assert (report.forgotten, report.loaded, report.duplicates, report.rejected) == (2, 0, 3, 1)
    assert query(loaded, "select forgotten from raw.load_ledger where path = 'events/b.jsonl'") == [(2,)]
    rejected = query(loaded, "select raw_text from raw.rejected_events")
    assert [json.loads(text)["event_id"] for (text,) in rejected] == ["r2", "r2"]


def test_a_request_naming_nobody_the_warehouse_holds_changes_nothing(loaded):
    before = query(loaded, "select count(*) from raw.events")

    with pytest.raises(NobodyToForget):
        _erase(loaded, user_ids=("cus_nobody",))

    assert query(loaded, "select count(*) from raw.events") == before
    assert query(loaded, "select count(*) from raw.erasures") == [(0,)]


def _an_export_naming_the_person(folder):
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"kind": "funnelhouse-export", "marts": {"fct_sessions": {}}}))
    sessions = folder / "fct_sessions.parquet"
    duckdb.sql(f"copy (select '{CUSTOMER}' as customer_id) to '{sessions}' (format parquet)")
    return sessions


def test_the_dagster_job_erases_publishes_and_its_sensor_asks_for_the_rebuild_and_drops_the_run(landing, loaded):
    settings = Settings(landing_dir=landing, db_path=loaded)
    definitions = build_definitions(settings)
    earlier_export = _an_export_naming_the_person(settings.export_dir)
    with dg.instance_for_test() as instance:
        result = definitions.resolve_job_def(FORGET_JOB).execute_in_process(
            run_config={"ops": {"erase_person": {"config": {"user_id": [CUSTOMER]}}}}, instance=instance
        )
        assert result.success
        assert query(loaded, "select count(*) from raw.erasures") == [(1,)]
        with duckdb.connect(str(settings.serving_db), read_only=True) as serving:
            assert serving.execute("select count(*) from raw.rejected_events").fetchone() == (1,)
        assert not earlier_export.exists()  # the pipeline's own export is written again from the new copy
        assert json.loads((settings.export_dir / "manifest.json").read_text())["run_id"] == result.run_id

        success = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_SUCCESS)
        context = dg.build_run_status_sensor_context(
            sensor_name=rebuild_after_erasure.name,
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            dagster_event=success,
            resources={"warehouse": definitions.resources["warehouse"]},
        )
        request = rebuild_after_erasure(context)

        assert isinstance(request, dg.RunRequest)
        assert instance.get_run_by_id(result.run_id) is None
