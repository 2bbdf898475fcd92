"""A new version of the project changes an incremental model's logic between two runs: the next run, with no
flag, rebuilds that model and the incremental models downstream of it in full, says so, and its warehouse
equals a full refresh of the same data, row for row."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.build_settings import mark_built, plan_build
from orchestration.generator import generate_landing_zone
from orchestration.model_changes import keep_built_manifest, kept_manifest_sha256
from orchestration.project_files import REPO_ROOT
from tests.conftest import event, load, query, write_lines
from tests.test_incremental_equals_full_refresh import _deliver, _model_tables, _rows, _same_row

# The change the new version makes: a video event's position moves by a second. int_video_events is
# incremental (replaced by device): without a rebuild, the rows of the first delivery would keep the old value.
CHANGED_MODEL = "int_video_events"
CHANGED_FILE = Path("dbt_project/models/intermediate/int_video_events.sql")
OLD_LOGIC = "        events.position_s,\n"
NEW_LOGIC = "        events.position_s + 1 as position_s,\n"


@dataclass
class Upgrade:
    project: Path
    db: Path
    upgrade_run: str  # what the run after the upgrade printed
    positions: tuple[int, int]  # video events after the upgrade: with a position, and with the old code's
    after_upgrade: dict[str, list[tuple]]  # every model table
    full_refresh: dict[str, list[tuple]]


def _copy_of_project(project: Path) -> Path:
    """The project as a new version would be installed: its code, models and seeds, none of its builds."""
    generated = shutil.ignore_patterns("target", "logs", "__pycache__", ".user.yml")
    for folder in ("orchestration", "dbt_project", "seeds"):
        shutil.copytree(REPO_ROOT / folder, project / folder, ignore=generated)
    shutil.copy2(REPO_ROOT / "uv.lock", project / "uv.lock")
    return project


def _run(project: Path, landing: Path, db: Path, *flags: str) -> str:
    """`funnelhouse run` of that project's code (its own orchestration package first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    env.pop("DAGSTER_HOME", None)
    result = subprocess.run(
        [sys.executable, "-c", "from orchestration.cli import main; main()", "run", "--landing", str(landing),
         "--db", str(db), *flags],
        cwd=project, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr  # Dagster's log of the run is on stderr


def _every_table(db: Path) -> dict[str, list[tuple]]:
    return {table: _rows(db, table) for table in _model_tables(db)}


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory) -> Upgrade:
    root = tmp_path_factory.mktemp("upgrade")
    project = _copy_of_project(root / "project")
    shop, landing, db = root / "shop", root / "landing", root / "warehouse.duckdb"
    generate_landing_zone(shop, days=3, visitors=300, seed=7)
    events = sorted((shop / "events").rglob("*.*"))
    half = len(events) // 2
    _deliver(shop, landing, sorted(shop.rglob("*.csv")) + events[:half])
    _run(project, landing, db)

    source = project / CHANGED_FILE
    assert OLD_LOGIC in source.read_text()
    source.write_text(source.read_text().replace(OLD_LOGIC, NEW_LOGIC))
    _deliver(shop, landing, events[half:])
    upgrade_run = _run(project, landing, db)
    after_upgrade = _every_table(db)
    positions = query(
        db,
        "select count(video.position_s), count(*) filter (where video.position_s <> staged.position_s + 1) "
        "from intermediate.int_video_events as video inner join staging.stg_events as staged using (event_id)",
    )[0]

    _run(project, landing, db, "--full-refresh")
    return Upgrade(project, db, upgrade_run, positions, after_upgrade, _every_table(db))


def _incremental_descendants(manifest: dict, model: str) -> set[str]:
    """The model and every incremental model downstream of it, from the build's manifest: a hand-made walk."""
    nodes = manifest["nodes"]
    start = next(key for key, node in nodes.items() if node["resource_type"] == "model" and node["name"] == model)
    reached, frontier = {start}, [start]
    while frontier:
        for child in manifest["child_map"][frontier.pop()]:
            if child not in reached and child.startswith("model."):
                reached.add(child)
                frontier.append(child)
    return {nodes[key]["name"] for key in reached if nodes[key]["config"]["materialized"] == "incremental"}


def test_the_run_after_an_upgrade_names_the_changed_model_and_what_it_rebuilt_in_full(upgraded):
    manifest = json.loads((upgraded.db.with_name("warehouse.dbt_builds") / "built_state" / "manifest.json").read_text())
    rebuilt = sorted(_incremental_descendants(manifest, CHANGED_MODEL))

    assert f"Changed since build 1: {CHANGED_MODEL}." in upgraded.upgrade_run
    assert f"incremental models rebuilt in full: {', '.join(rebuilt)}." in upgraded.upgrade_run
    assert "stg_events" not in rebuilt  # upstream of the change: stays incremental


def test_the_changed_logic_reaches_the_rows_of_the_first_delivery(upgraded):
    with_position, with_old_position = upgraded.positions
    assert with_position > 100
    assert with_old_position == 0


def test_the_upgrade_run_equals_a_full_refresh_in_every_model_table(upgraded):
    full_refresh = upgraded.full_refresh
    differing = [
        table
        for table, rows in upgraded.after_upgrade.items()
        if len(rows) != len(full_refresh[table]) or not all(map(_same_row, rows, full_refresh[table]))
    ]
    assert sorted(upgraded.after_upgrade) == sorted(full_refresh)
    assert differing == []


def _loaded_warehouse(tmp_path: Path) -> Path:
    db = tmp_path / "warehouse.duckdb"
    write_lines(tmp_path / "landing", "events/a.jsonl", [event("e1")])
    load(tmp_path / "landing", db)
    return db


def test_a_changed_project_without_a_kept_manifest_rebuilds_everything_in_full(tmp_path, monkeypatch):
    db = _loaded_warehouse(tmp_path)
    mark_built(db, plan_build(db, {}, full_refresh=False))  # a build of before manifests were kept
    monkeypatch.setattr("orchestration.build_settings.code_version", lambda: "a new version")

    plan = plan_build(db, {}, full_refresh=False)

    assert plan.full_refresh
    assert "the project changed since build 1" in plan.reason
    assert plan.code_changed_since is None


def test_a_changed_project_with_the_last_builds_manifest_kept_compares_with_it(tmp_path, monkeypatch):
    db, build = _loaded_warehouse(tmp_path), tmp_path / "build"
    build.mkdir()
    (build / "manifest.json").write_text('{"nodes": {}}')
    mark_built(db, plan_build(db, {}, full_refresh=False), manifest_sha256=keep_built_manifest(build, db))
    monkeypatch.setattr("orchestration.build_settings.code_version", lambda: "a new version")

    plan = plan_build(db, {}, full_refresh=False)
    (db.with_name("warehouse.dbt_builds") / "built_state" / "manifest.json").write_text('{"nodes": {"x": 1}}')
    after_the_kept_manifest_changed = plan_build(db, {}, full_refresh=False)

    assert kept_manifest_sha256(db) is not None
    assert (plan.full_refresh, plan.code_changed_since) == (False, 1)
    assert after_the_kept_manifest_changed.full_refresh
