"""The dbt unit tests (sessions, people, channels, orders, windows, statistics) pass. They test the models'
code, not the data, so they run here, once, and not in every pipeline build."""

import json
import os
import subprocess
from pathlib import Path

import yaml

from orchestration.assets.dbt_project import DBT_PROJECT_DIR, WRITING_TARGET, venv_dbt_executable
from orchestration.loader.load import load_landing_sources
from tests.conftest import TEST_SALT


def _defined_unit_tests() -> int:
    return sum(
        len((yaml.safe_load(path.read_text()) or {}).get("unit_tests", []))
        for path in (DBT_PROJECT_DIR / "models").rglob("*.yml")
    )


def _dbt(*args: str, db: Path, target: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            venv_dbt_executable(),
            *args,
            "--target",
            WRITING_TARGET,
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
        ],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "FUNNELHOUSE_DB": str(db)},
        capture_output=True,
        text=True,
    )


def test_every_dbt_unit_test_passes(tmp_path, landing):
    db, target = tmp_path / "w.duckdb", tmp_path / "target"
    load_landing_sources(landing, db, salt=TEST_SALT)  # the raw tables the models read
    # Unit tests read their inputs' columns from the warehouse: build every model empty first.
    empty = _dbt(
        "build",
        "--empty",
        "--exclude-resource-type",
        "unit_test",
        "--exclude-resource-type",
        "test",
        db=db,
        target=target,
    )
    assert empty.returncode == 0, empty.stdout[-3000:]

    unit = _dbt("test", "--select", "test_type:unit", db=db, target=target)

    assert unit.returncode == 0, unit.stdout[-5000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    passed = [r for r in results if r["unique_id"].startswith("unit_test.") and r["status"] == "pass"]
    assert len(passed) == _defined_unit_tests() > 0


def test_every_python_model_is_handed_the_vars_it_reads(tmp_path, landing):
    """dbt hands a Python model only the settings it finds in plain `dbt.config.meta_get("key")` statements; one
    wrapped in an expression is silently None (the forecast once ran on its defaults whatever the vars said)."""
    db, target = tmp_path / "w.duckdb", tmp_path / "target"
    load_landing_sources(landing, db, salt=TEST_SALT)
    python_models = sorted((DBT_PROJECT_DIR / "models").rglob("*.py"))
    meta = {}
    for path in DBT_PROJECT_DIR.joinpath("models").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            meta.update({model["name"]: model.get("config", {}).get("meta", {})})
    # A value of each var no default has: 7 + the position of the key, so each is told apart.
    asked = {key: 7 + i for i, key in enumerate(sorted({k for p in python_models for k in meta.get(p.stem, {})}))}
    assert len(asked) >= 6  # the forecast's and the CLV's settings at least

    compiled = _dbt(
        "compile", "--select", *(p.stem for p in python_models), "--vars", json.dumps(asked), db=db, target=target
    )

    assert compiled.returncode == 0, compiled.stdout[-3000:]
    for path in python_models:
        code = path.read_text()
        declared = set(meta.get(path.stem, {}))
        assert {key for key in declared if f'meta_get("{key}")' in code} == declared, path.stem
        handed = next((target / "compiled").rglob(path.name)).read_text()
        for key in declared:
            assert f"'{key}': {asked[key]}" in handed, f"{path.stem} is not handed var {key}"
