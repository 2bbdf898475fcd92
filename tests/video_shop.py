"""The session's generated shop, built once in a process of its own from the moment the tests that need it
are collected, while the suite runs the others; every test process (pytest-xdist's workers too) waits for
the same build. Run as `python -m tests.video_shop FOLDER` it builds the shop into FOLDER."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import asdict
from datetime import date
from pathlib import Path

# Large enough that the planted video effects (CONVERSION_LIFT on the best host, format and segment) stand
# out of the sampling noise at p < 0.05 with a person-level conversion over the attribution lookback.
# The seed and its calendar are fixed together: every hotspot's click-through is held at the 3-SE level
# (0.27% two-sided), and at that level about four shops in ten have one of their 210 hotspots outside by
# chance: a fixed draw makes it a test of the marts, not of luck. On the calendar ending at the suite's
# pinned clock this seed draws its worst hotspot at p = 0.0028 (V001-H5), from truth.json's counts (the
# marts must show the same).
VIDEO_SHOP = {"days": 60, "visitors": 60_000, "seed": 42, "start_date": date(2026, 9, 1)}
WAIT_SECONDS = 1800  # a build that hangs fails the tests that need it instead of holding up the session
_REPO = Path(__file__).resolve().parents[1]


def _outcome(folder: Path) -> Path:
    return folder / "outcome.json"


def _pid(folder: Path) -> Path:
    return folder / "builder.pid"


def start_build(folder: Path) -> None:
    """Start building the shop into `folder` unless a process of this session already did (the folder is
    the token: whoever creates it builds)."""
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        return
    env = {name: value for name, value in os.environ.items() if name != "DAGSTER_HOME"}
    with (folder / "build.log").open("w") as log:
        builder = subprocess.Popen(
            [sys.executable, "-m", "tests.video_shop", str(folder)],
            cwd=_REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group: stopping it stops the dbt it started
        )
    _pid(folder).write_text(str(builder.pid))


def built_shop(folder: Path) -> tuple[dict, Path]:
    """(truth, warehouse path) once the build succeeded; fails the calling test when it failed or hung."""
    start_build(folder)
    deadline = time.monotonic() + WAIT_SECONDS
    while not _outcome(folder).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the video shop was not built within {WAIT_SECONDS} s: see {folder / 'build.log'}")
        time.sleep(1)
    outcome = json.loads(_outcome(folder).read_text())
    assert outcome["success"], "\n".join(outcome["failures"]) + f"\n(see {folder / 'build.log'})"
    return json.loads((folder / "landing" / "truth.json").read_text()), folder / "warehouse.duckdb"


def stop_build(folder: Path) -> None:
    """Stop a build still running when the session ends (it may end without needing it)."""
    if _pid(folder).exists() and not _outcome(folder).exists():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int(_pid(folder).read_text()), signal.SIGKILL)


def _build(folder: Path) -> None:
    """Any failure, importing the pipeline included, is an outcome: the waiting tests fail at once with it."""
    try:
        from orchestration.generator import generate_landing_zone
        from orchestration.pipeline import run_pipeline
        from orchestration.settings import Settings

        generate_landing_zone(folder / "landing", **VIDEO_SHOP)
        settings = Settings(landing_dir=folder / "landing", db_path=folder / "warehouse.duckdb")
        result = asdict(run_pipeline(settings))
    except Exception:
        result = {"success": False, "failures": [traceback.format_exc()]}
    written = _outcome(folder).with_suffix(".draft")
    written.write_text(json.dumps(result, default=str))
    written.rename(_outcome(folder))  # whole or absent: waiters read it as soon as it exists


if __name__ == "__main__":
    _build(Path(sys.argv[1]))
