"""Which warehouse an upgrade compares with: the kept manifest of the last finished build, or, without one,
nothing, and every model is rebuilt in full. A run of a new version that changes an incremental model, and
equals a full refresh after it, is in tests/test_incremental_equals_full_refresh.py."""

from pathlib import Path

from orchestration.build_settings import mark_built, plan_build
from orchestration.model_changes import built_state_folder, keep_built_manifest, kept_manifest_sha256
from tests.conftest import event, load, write_lines


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
    (built_state_folder(db) / "manifest.json").write_text('{"nodes": {"x": 1}}')  # another build's
    after_the_kept_manifest_changed = plan_build(db, {}, full_refresh=False)

    assert kept_manifest_sha256(db) is not None
    assert (plan.full_refresh, plan.code_changed_since) == (False, 1)
    assert after_the_kept_manifest_changed.full_refresh


def test_an_unchanged_project_compares_with_nothing(tmp_path):
    db = _loaded_warehouse(tmp_path)
    mark_built(db, plan_build(db, {}, full_refresh=False))

    plan = plan_build(db, {}, full_refresh=False)

    assert (plan.full_refresh, plan.code_changed_since) == (False, None)
