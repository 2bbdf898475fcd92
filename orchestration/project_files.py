"""Where the project's own files are, and one fingerprint of the code a build runs: light to import, so the
CLI can tell a run with nothing to do before Dagster and dbt are loaded."""

import hashlib
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = REPO_ROOT / "seeds"
ORCHESTRATION_DIR = REPO_ROOT / "orchestration"
# dbt's own output, never an input of a build.
_GENERATED = ("target", "logs", "dbt_packages", "__pycache__", ".user.yml")


def _code_files() -> list[Path]:
    files = [path for folder in (DBT_PROJECT_DIR, SEEDS_DIR) for path in folder.rglob("*") if path.is_file()]
    # The dbt Python models import the forecast, CLV and propensity code from orchestration/.
    files += ORCHESTRATION_DIR.rglob("*.py")
    files += [lock] if (lock := REPO_ROOT / "uv.lock").is_file() else []
    return sorted(path for path in files if not set(path.relative_to(REPO_ROOT).parts) & set(_GENERATED))


@cache
def code_version() -> str:
    """sha256 of every model, macro, test, seed, setting and Python module a build runs, and of the locked
    package versions: a new version of the project rebuilds even when no data is new."""
    digest = hashlib.sha256()
    for path in _code_files():
        digest.update(path.relative_to(REPO_ROOT).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
