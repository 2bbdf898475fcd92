"""Every public mart as a Parquet file (activation audiences also as CSV, for the tools that send messages),
with a manifest of row counts and the run they come from.

The export reads the serving copy, one publication through one read-only connection, so it never waits for
a run and never mixes two runs. It is written to a hidden folder beside the destination and renamed into
place: a reader of the destination sees the previous export or this one, never a half-written one.
"""

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.warehouse import path_literal

MANIFEST = "manifest.json"
# The manifest's first key: how a folder is known to be an export that may be replaced.
MANIFEST_KIND = "funnelhouse-export"
AUDIENCE_PREFIX = "audience_"


class ExportError(Exception):
    """The export cannot be written; nothing at the destination was changed."""


@dataclass(frozen=True)
class Export:
    path: Path
    rows: dict[str, int]  # mart -> rows
    published_at: str
    run_id: str | None


def export_marts(serving_db: Path, out: Path) -> Export:
    if not serving_db.exists():
        raise ExportError(f"no serving copy at {serving_db}: run `funnelhouse run` first")
    _refuse_to_replace_other_files(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    draft = out.with_name(f".{out.name}.{os.getpid()}.partial")
    shutil.rmtree(draft, ignore_errors=True)
    draft.mkdir()
    try:
        export = _write(serving_db, draft, out)
    except BaseException:
        shutil.rmtree(draft, ignore_errors=True)
        raise
    _rename_into_place(draft, out)
    return export


def _write(serving_db: Path, folder: Path, out: Path) -> Export:
    with duckdb.connect(str(serving_db), read_only=True) as con:
        published_at, run_id = con.execute(
            "select cast(published_at as varchar), run_id from meta.publication"
        ).fetchone()
        marts = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        rows, files = {}, {}
        for mart in marts:
            files[mart] = [f"{mart}.parquet"]
            con.execute(f'copy marts."{mart}" to {path_literal(folder / files[mart][0])} (format parquet)')
            if mart.startswith(AUDIENCE_PREFIX):
                files[mart].append(f"{mart}.csv")
                con.execute(f'copy marts."{mart}" to {path_literal(folder / files[mart][1])} (format csv, header)')
            rows[mart] = con.execute(f'select count(*) from marts."{mart}"').fetchone()[0]
    manifest = {
        "kind": MANIFEST_KIND,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "serving_copy": str(serving_db),
        "published_at": published_at,
        "run_id": run_id,
        "marts": {mart: {"rows": rows[mart], "files": files[mart]} for mart in marts},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return Export(path=out, rows=rows, published_at=published_at, run_id=run_id)


def _refuse_to_replace_other_files(out: Path) -> None:
    """An export replaces only an earlier export, never a folder of someone's own files."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        manifest = out / MANIFEST
        try:
            is_export = json.loads(manifest.read_text()).get("kind") == MANIFEST_KIND
        except (OSError, ValueError, AttributeError):
            is_export = False
        if not is_export:
            raise ExportError(f"{out} exists and is not a Funnelhouse export: choose an empty or new folder")


def _rename_into_place(draft: Path, out: Path) -> None:
    """Two renames with the previous export set aside: between them a reader finds no export, never half of one.

    The previous export is kept aside until the next export, not deleted at once, so a reader in the middle
    of reading it (its manifest read, its files not yet) can finish.
    """
    previous = out.with_name(f".{out.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    if out.exists():
        os.replace(out, previous)
    os.replace(draft, out)
