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
