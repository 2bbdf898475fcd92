"""The dbt project as dagster-dbt sees it, with its manifest kept current by code, not by hand."""

import fcntl
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.project_files import DBT_PROJECT_DIR, SEEDS_DIR

# The profile's default target reads the serving copy (for people typing `dbt` or `mf`); runs write here.
WRITING_TARGET = "local"
# The same models on Apache Spark (README "Spark"), built with SPARK_DBT below.
SPARK_TARGET = "spark"
SPARK_DBT = "funnelhouse-dbt-spark"  # dbt, with Python models run in its Spark session (orchestration/spark_dbt.py)
PARSE_LOCK = ".parse.lock"
DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target=WRITING_TARGET)


def venv_dbt_executable() -> str:
    """The dbt installed beside this Python: dagster-dbt would otherwise look on PATH and miss an inactive venv."""
    return str(Path(sys.executable).parent / "dbt")


def spark_dbt_executable() -> str:
    """The Spark target's dbt, installed beside this Python as the project's console script."""
    return str(Path(sys.executable).parent / SPARK_DBT)


def _newest_source_mtime() -> float:
    target = DBT_PROJECT_DIR / "target"
    files = [
        path
        for folder in (DBT_PROJECT_DIR, SEEDS_DIR)
        for path in folder.rglob("*")
        # dbt's own .user.yml (an anonymous user id it rewrites) is no source of the project.
        if path.is_file() and target not in path.parents and "logs" not in path.parts and path.name != ".user.yml"
    ]
    return max(path.stat().st_mtime for path in files)


def ensure_manifest() -> Path:
    """Parse the project when manifest.json is missing or older than any model, macro, test or seed.

    One process parses at a time, and the others wait for it: processes started together (the test workers,
    a code server beside a `funnelhouse run`) would otherwise write the manifest over each other, and one
    could read it half-written."""
    manifest = DBT_PROJECT.manifest_path
    if _is_current(manifest):
        return manifest
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with (manifest.parent / PARSE_LOCK).open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_current(manifest):
            dbt = DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=venv_dbt_executable(), target=WRITING_TARGET)
            dbt.cli(["parse", "--quiet"], target_path=DBT_PROJECT.target_path).wait()
    return manifest


def _is_current(manifest: Path) -> bool:
    return manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime()
