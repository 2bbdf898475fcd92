"""A new version of the project, installed beside the repository as an upgrade would install it, and its
`funnelhouse` command: the tests of safe upgrades run the warehouse through it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from orchestration.project_files import REPO_ROOT

# What the new version changes: a video event's position moves by a second. int_video_events is incremental
# (replaced by device): without a rebuild, the rows of devices no later delivery touches keep the old value.
CHANGED_MODEL = "int_video_events"
CHANGED_FILE = Path("dbt_project/models/intermediate/int_video_events.sql")
OLD_LOGIC = "        events.position_s,\n"
NEW_LOGIC = "        events.position_s + 1 as position_s,\n"
# Every video event's position in the new version, from the staged event it comes from: (with a position,
# with another than the new version's).
POSITIONS = """
    select count(video.position_s), count(*) filter (where video.position_s <> staged.position_s + 1)
    from intermediate.int_video_events as video
    inner join staging.stg_events as staged using (event_id)
"""


def install_new_version(project: Path) -> Path:
    """The project's code, models and seeds, none of its builds, with CHANGED_MODEL's logic changed."""
    generated = shutil.ignore_patterns("target", "logs", "__pycache__", ".user.yml")
    for folder in ("orchestration", "dbt_project", "seeds"):
        shutil.copytree(REPO_ROOT / folder, project / folder, ignore=generated)
    shutil.copy2(REPO_ROOT / "uv.lock", project / "uv.lock")
    source = project / CHANGED_FILE
    assert OLD_LOGIC in source.read_text()
    source.write_text(source.read_text().replace(OLD_LOGIC, NEW_LOGIC))
    return project


def funnelhouse(project: Path, *args: str) -> str:
    """`funnelhouse ARGS` of that version (its own orchestration package first on the path): what it printed,
    Dagster's log of the run (stderr) included."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    env.pop("DAGSTER_HOME", None)
    result = subprocess.run(
        [sys.executable, "-c", "from orchestration.cli import main; main()", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr
