"""Safe upgrades: a new version of the project rebuilds what changed, in full where an incremental model's
kept rows were built by code that changed.

Every finished build keeps the dbt manifest it built with beside the warehouse, and records its sha256 with
the build (build_settings.py). When the project's code changed since the last finished build, dbt's state
selection against that manifest names the models, seeds and snapshots that changed (`state:modified`: their
SQL, config or contract, a macro they call; new ones too), and the incremental models among them and
downstream of them (`state:modified+`). Those are rebuilt in full through the `rebuilt_in_full` var, which
the project's `should_full_refresh()` reads (macros/rebuilt_in_full.sql): the other incremental models stay
incremental, and tables and views are rebuilt by every build anyway. When the project changed and no kept
manifest belongs to the last build (a warehouse built before manifests were kept, or restored from a backup
of another build), nothing tells what changed, and build_settings.plan_build rebuilds everything in full.
"""

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.warehouse import builds_folder

if TYPE_CHECKING:  # build_settings reads the kept manifest before Dagster and dbt are loaded (nothing_new.py)
    from dagster_dbt import DbtCliResource

REBUILT_IN_FULL_VAR = "rebuilt_in_full"
# In the warehouse's builds folder, beside the build folders it prunes: `dbt --state` reads manifest.json here.
BUILT_STATE = "built_state"
MANIFEST = "manifest.json"
_LISTED = "PrintEvent"  # how dbt logs each line `dbt ls` prints, with JSON logs


@dataclass(frozen=True)
class ModelChanges:
    since_build: int
    changed: tuple[str, ...]  # models, seeds and snapshots dbt finds new or modified since that build
    rebuilt_in_full: tuple[str, ...]  # incremental models among them or downstream of them

    def describe(self) -> str:
        if not self.changed:
            return f"The project changed since build {self.since_build}, but none of its models, seeds or snapshots."
        rebuilt = (
            f"incremental models rebuilt in full: {', '.join(self.rebuilt_in_full)}"
            if self.rebuilt_in_full
            else "no incremental model is among them or downstream of them"
        )
        return (
            f"Changed since build {self.since_build}: {', '.join(self.changed)}. Every table and view is rebuilt "
            f"as on every build; {rebuilt}."
        )


def built_state_folder(db: Path) -> Path:
    return builds_folder(db) / BUILT_STATE


def kept_manifest_sha256(db: Path) -> str | None:
    """The sha256 of the manifest kept from the warehouse's last finished build, if one is kept."""
    manifest = built_state_folder(db) / MANIFEST
    return hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.is_file() else None


def keep_built_manifest(build_target: Path, db: Path) -> str:
    """Keep the manifest a finished build ran with, for the next upgrade to compare with; its sha256."""
    folder = built_state_folder(db)
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / MANIFEST
    # Written aside and renamed: a half-copied manifest would compare as every model changed, or fail.
    aside = kept.with_name(f"{MANIFEST}.{os.getpid()}")
    shutil.copyfile(build_target / MANIFEST, aside)
    os.replace(aside, kept)
    return hashlib.sha256(kept.read_bytes()).hexdigest()


def model_changes(
    dbt: "DbtCliResource", db: Path, *, since_build: int, target_path: Path, vars_argument: str
) -> ModelChanges:
    """What dbt's state selection finds changed between the kept manifest and the project as it is now."""

    def listed(selection: str, *resource_types: str) -> tuple[str, ...]:
        types = [flag for resource_type in resource_types for flag in ("--resource-type", resource_type)]
        args = ["ls", "--select", selection, *types, "--state", str(built_state_folder(db)), "--vars", vars_argument]
        return tuple(sorted(_listed_names(dbt.cli([*args, "--output", "name"], target_path=target_path))))

    return ModelChanges(
        since_build=since_build,
        changed=listed("state:modified", "model", "seed", "snapshot"),
        rebuilt_in_full=listed("state:modified+,config.materialized:incremental", "model"),
    )


def _listed_names(invocation) -> list[str]:
    """The names `dbt ls` printed: dagster-dbt runs dbt with JSON logs, a line of the listing per event."""
    return [
        event.raw_event["data"]["msg"]
        for event in invocation.stream_raw_events()
        if event.raw_event.get("info", {}).get("name") == _LISTED
    ]
