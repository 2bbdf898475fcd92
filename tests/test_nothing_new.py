"""A run with nothing new: told from the landing zone's listing, the ledger and the build records, without
Dagster or dbt; and anything a build reads (a file, a var, a seed, the code, an erasure) makes it a real run."""

import os
import shutil

import dagster as dg
import duckdb
import pytest

from orchestration import build_settings
from orchestration.build_settings import mark_built, plan_build
from orchestration.definitions import build_definitions
from orchestration.nothing_new import current_build
from orchestration.serving import publish_serving_copy, published_build
from orchestration.settings import Settings
from tests.conftest import event, load, write_lines


@pytest.fixture
def built(landing, db, tmp_path):
    """A warehouse with one loaded file, one finished build and its serving copy: (landing, db, serving, build)."""
    write_lines(landing, "events/a.jsonl", [event("e1")])
    load(landing, db)
    plan = plan_build(db, {}, full_refresh=False)
    mark_built(db, plan)
    serving = tmp_path / "serving.duckdb"
    publish_serving_copy(db, serving)
    return landing, db, serving, plan.build_id


def _current(built) -> int | None:
    landing, db, serving, _ = built
    return current_build(landing, db, published_build(serving), settle_seconds=0)


def test_with_nothing_new_the_published_build_is_current_and_a_plan_builds_nothing(built):
    landing, db, serving, build = built

    assert _current(built) == build
    assert plan_build(db, {}, full_refresh=False, published_build=build).unchanged_since == build
    assert plan_build(db, {}, full_refresh=True, published_build=build).unchanged_since is None


def test_a_new_file_or_a_touched_one_makes_a_real_run(built):
    landing = built[0]
    path = landing / "events/a.jsonl"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1))
    assert _current(built) is None

    load(landing, built[1])  # hashed again: the same content, its new time recorded
    assert _current(built) == built[3]

    write_lines(landing, "events/b.jsonl", [event("e2")])
    assert _current(built) is None


def test_a_loaded_file_is_new_to_the_build(built):
    landing, db, serving, build = built
    write_lines(landing, "events/b.jsonl", [event("e2")])
    load(landing, db)

    assert plan_build(db, {}, full_refresh=False, published_build=build).unchanged_since is None


def test_a_var_set_makes_a_real_run_and_stays_in_force(built):
    landing, db, serving, build = built
    setting = {"cart_recovery_delay_hours": 2}

    assert plan_build(db, setting, full_refresh=False, published_build=build).unchanged_since is None
    assert _current(built) is None  # the var is recorded: the next run builds with it, asked or not


def test_a_seed_changed_makes_a_real_run(built, tmp_path, monkeypatch):
    seeds = tmp_path / "seeds"
    shutil.copytree(build_settings.SEEDS_DIR, seeds)
    monkeypatch.setattr(build_settings, "SEEDS_DIR", seeds)
    assert _current(built) == built[3]

    (seeds / "channel_grouping.csv").write_text((seeds / "channel_grouping.csv").read_text() + "\n")

    assert _current(built) is None


def test_a_new_version_of_the_code_makes_a_real_run(built, monkeypatch):
    monkeypatch.setattr(build_settings, "code_version", lambda: "a new version of the project")

    assert _current(built) is None


def test_an_erasure_makes_a_real_run(built):
    with duckdb.connect(str(built[1])) as con:
        con.execute("insert into raw.erasures values (1, 'anonymous_id', 'x', 1, 1, '{}', now())")

    assert _current(built) is None


def test_a_build_the_serving_copy_does_not_publish_is_not_current(built, tmp_path):
    landing, db, serving, build = built
    mark_built(db, plan_build(db, {}, full_refresh=True))  # built, then its publication failed

    assert _current(built) is None
    assert current_build(landing, db, published_build(tmp_path / "no serving copy.duckdb"), settle_seconds=0) is None


def test_a_file_waiting_in_progress_or_quarantined_makes_a_real_run_that_names_it(built):
    landing = built[0]
    write_lines(landing, "events/c.jsonl.partial", [event("e3")])

    assert _current(built) is None


def test_the_hourly_schedule_skips_when_nothing_is_new_and_runs_when_a_file_lands(built):
    landing, db, serving, build = built
    defs = build_definitions(Settings(landing_dir=landing, db_path=db, serving_db_path=serving, settle_seconds=0))
    schedule = defs.resolve_schedule_def("hourly_funnelhouse")
    resources = {"warehouse": defs.resources["warehouse"]}
    with dg.instance_for_test() as instance:
        with dg.build_schedule_context(instance=instance, resources=resources) as context:
            idle = schedule.evaluate_tick(context)
        write_lines(landing, "events/b.jsonl", [event("e2")])
        with dg.build_schedule_context(instance=instance, resources=resources) as context:
            landed = schedule.evaluate_tick(context)

    assert not idle.run_requests and f"nothing new since build {build}" in idle.skip_message
    assert len(landed.run_requests) == 1
