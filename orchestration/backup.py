"""`funnelhouse backup` and `funnelhouse restore`: a consistent copy of the warehouse, and putting one back.

A backup is the warehouse file itself, copied byte for byte under the pipeline's writer lock (no run of ours
writes meanwhile) while the file is open read-only (no other DuckDB process can open it for writing either).
Byte for byte rather than DuckDB's `COPY FROM DATABASE` or `EXPORT DATABASE`: those re-create every object
from its SQL, and dbt's views name the database they read by the file's name (`w.raw.ad_spend`), so a logical
copy's views fail under any other name; the byte copy is also the fastest, and its sha256 proves it whole.
Only the warehouse is kept: the serving copy, the Parquet export and the dbt build folders are derived from it.

Each backup is a folder `<out>/<UTC time>/` holding the file and `manifest.json`; it is written under a
hidden name and renamed into place, so a folder with a manifest is always a whole backup.
"""

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import duckdb

from orchestration.export import export_marts
from orchestration.loader.ledger import file_sha256
from orchestration.serving import publish_serving_copy
from orchestration.warehouse import wal_path
from orchestration.writer_lock import writer_lock

MANIFEST = "manifest.json"
# The manifest's first key: how a folder is known to be a whole Funnelhouse backup.
MANIFEST_KIND = "funnelhouse-backup"
DEFAULT_KEEP = 7
# A backup waits this long for a run to finish before it gives up.
DEFAULT_WAIT_SECONDS = 600
_DRAFT_SUFFIX = ".partial"


class BackupError(Exception):
    """The backup or the restore cannot be made; nothing was changed."""


@dataclass(frozen=True)
class Backup:
    folder: Path
    manifest: dict
    pruned: list[Path]  # older backups removed to keep the newest N


@dataclass(frozen=True)
class Restore:
    backup: Path
    manifest: dict
    set_aside: Path | None  # the warehouse that was replaced, kept under another name
    republished: bool  # the serving copy was published again from the restored warehouse; else it was removed
    erasures_lost: int  # erasures recorded in the replaced warehouse and not in the backup


def _stamp(instant: datetime) -> str:
    """A UTC time that sorts as it reads; milliseconds, so that two backups in one second do not collide."""
    return instant.strftime("%Y%m%dT%H%M%S") + f".{instant.microsecond // 1000:03d}Z"


# --- backup --------------------------------------------------------------------------------------------------


def backup_warehouse(
    db: Path, out: Path, *, keep: int = DEFAULT_KEEP, wait_seconds: float = DEFAULT_WAIT_SECONDS
) -> Backup:
    """Copy the warehouse to `out/<UTC time>/` with its manifest, then keep only the newest `keep` backups.

    Raises WarehouseBusy when a run still writes after `wait_seconds`, BackupError for anything else."""
    if not db.is_file():
        raise BackupError(f"no warehouse at {db}: set FUNNELHOUSE_DB or pass --db")
    out.mkdir(parents=True, exist_ok=True)
    draft = out / f".backup.{os.getpid()}{_DRAFT_SUFFIX}"
    shutil.rmtree(draft, ignore_errors=True)
    draft.mkdir()
    try:
        copy = draft / db.name
        taken_at = _copy_between_runs(db, copy, wait_seconds)
        manifest = _manifest(db, copy, taken_at)
        (draft / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        folder = out / _stamp(taken_at)
        os.rename(draft, folder)
    except BaseException:
        shutil.rmtree(draft, ignore_errors=True)
        raise
    return Backup(folder=folder, manifest=manifest, pruned=prune_backups(out, keep))


def _copy_between_runs(db: Path, copy: Path, wait_seconds: float) -> datetime:
    """The file and its write-ahead log as they stand between two runs, and when they were copied. The lock is
    held for the copy alone."""
    with writer_lock(db, wait_seconds=wait_seconds):
        try:
            # Held open read-only: no other process (a notebook, say) can open the file for writing meanwhile.
            reader = duckdb.connect(str(db), read_only=True)
        except duckdb.IOException as error:
            raise BackupError(
                f"{db} is open for writing in another process that is not a Funnelhouse run (a notebook?): {error}"
            ) from error
        try:
            taken_at = datetime.now(UTC)
            shutil.copyfile(db, copy)
            if wal_path(db).is_file():  # left by a writer that died: its last transactions are only there
                shutil.copyfile(wal_path(db), wal_path(copy))
        finally:
            reader.close()
    if wal_path(copy).is_file():
        # Folded into the copy itself, so that the backup is one file and its sha256 covers all of it.
        with duckdb.connect(str(copy)) as con:
            con.execute("checkpoint")
    return taken_at


def _manifest(db: Path, copy: Path, taken_at: datetime) -> dict:
    with duckdb.connect(str(copy), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        rows = {
            f"{schema}.{table}": con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            for schema, table in tables
        }
        salt = _first(con, "raw", "pii_salt", "select fingerprint from raw.pii_salt")
        build = _first(con, "meta", "build_settings", "select max(build_id) from meta.build_settings where is_built")
    return {
        "kind": MANIFEST_KIND,
        "created_at": taken_at.isoformat(timespec="milliseconds"),
        "source": str(db),
        "file": copy.name,
        "bytes": copy.stat().st_size,
        "sha256": file_sha256(copy),
        "pii_salt_fingerprint": salt,
        "last_build_id": build,
        "funnelhouse_version": version("funnelhouse"),
        "duckdb_version": duckdb.__version__,
        "rows": rows,
    }


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
        ).fetchone()[0]
    )


def _first(con: duckdb.DuckDBPyConnection, schema: str, table: str, sql: str):
    """The first value of `sql` on schema.table, or None when the warehouse has no such table yet (nothing
    loaded or built) or the table no rows."""
    if not _has_table(con, schema, table):
        return None
    row = con.execute(sql).fetchone()
    return row[0] if row else None


def _read_manifest(folder: Path) -> dict | None:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("kind") == MANIFEST_KIND else None


def complete_backups(out: Path) -> list[Path]:
    """Whole backups in `out`, oldest first: folders renamed into place, with their manifest."""
    if not out.is_dir():
        return []
    return sorted(
        folder
        for folder in out.iterdir()
        if folder.is_dir() and not folder.name.startswith(".") and _read_manifest(folder) is not None
    )


def prune_backups(out: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` backups, and the drafts of backups whose process died."""
    removed = complete_backups(out)[:-keep] if keep > 0 else []
    removed += [draft for draft in out.glob(f".*{_DRAFT_SUFFIX}") if not _process_alive(_draft_pid(draft))]
    for folder in removed:
        shutil.rmtree(folder)
    return removed


def _draft_pid(draft: Path) -> int:
    return int(draft.name.removesuffix(_DRAFT_SUFFIX).rsplit(".", 1)[-1])


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


# --- restore -------------------------------------------------------------------------------------------------


def chosen_backup(source: Path) -> tuple[Path, dict]:
    """`source` itself when it is a backup; else the newest whole backup in it."""
    if (manifest := _read_manifest(source)) is not None:
        return source, manifest
    backups = complete_backups(source)
    if not backups:
        raise BackupError(f"no Funnelhouse backup in {source}: a backup is a folder with a {MANIFEST}")
    return backups[-1], _read_manifest(backups[-1])


def restore_warehouse(source: Path, db: Path, serving: Path, export_dir: Path, *, wait_seconds: float = 0) -> Restore:
    """Put the newest backup in `source` (or the backup `source` is) in place of the warehouse, then republish.

    Refused (WarehouseBusy) while a run holds the warehouse after `wait_seconds`, and (BackupError) when the
    backup's file is not the one its manifest describes, or is the backup of a warehouse of another name."""
    backup, manifest = chosen_backup(source)
    if Path(manifest["file"]).stem != db.stem:
        raise BackupError(
            f"{backup} is a backup of a warehouse named {manifest['file']}, not {db.name}: dbt's views name their "
            f"database by the file's name, so restore it as {db.with_name(manifest['file'])}"
        )
    with writer_lock(db, wait_seconds=wait_seconds):
        draft = db.with_name(f".{db.name}.{os.getpid()}.restoring")
        try:
            _verified_copy(backup / manifest["file"], draft, manifest)
        except BaseException:
            draft.unlink(missing_ok=True)
            raise
        previous_erasures = _erasures(db)
        set_aside = _swap_in(draft, db)
        erasures_lost = len(previous_erasures - _erasures(db))
        republished = _republish(db, serving, export_dir)
    return Restore(backup, manifest, set_aside, republished, erasures_lost)


def _verified_copy(backup_file: Path, draft: Path, manifest: dict) -> None:
    """The backup's file copied beside the warehouse, and checked there: the bytes put in place are the ones
    the backup recorded."""
    if not backup_file.is_file():
        raise BackupError(f"{backup_file} is missing: the backup is incomplete")
    shutil.copyfile(backup_file, draft)
    if file_sha256(draft) != manifest["sha256"]:
        raise BackupError(
            f"{backup_file} does not match its manifest (sha256 differs): the backup was damaged or changed; "
            "restore another one"
        )


def _swap_in(draft: Path, db: Path) -> Path | None:
    """The warehouse kept under another name (a second link to it, so that at every instant `db` is a whole
    file, the old or the restored), and the restored file renamed over it. A write-ahead log left by a writer
    that died goes aside with its file: replayed on the restored file it would corrupt it."""
    if not db.exists():
        os.replace(draft, db)
        return None
    set_aside = db.with_name(f"{db.name}.before-restore-{_stamp(datetime.now(UTC))}")
    os.link(db, set_aside)
    if wal_path(db).exists():
        os.replace(wal_path(db), wal_path(set_aside))
    os.replace(draft, db)
    return set_aside


def _erasures(db: Path) -> set[tuple[int, str]]:
    """The erasures a warehouse records; none when it has none or cannot be read (then nothing is compared)."""
    if not db.is_file():
        return set()
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            if not _has_table(con, "raw", "erasures"):
                return set()
            return set(con.execute("select erasure_id, request_sha256 from raw.erasures").fetchall())
    except duckdb.Error:
        return set()


def _republish(db: Path, serving: Path, export_dir: Path) -> bool:
    """The serving copy of the restored warehouse, so that readers and the next run's "nothing new" see the
    build it holds, not a later one it lost. When the backup's newest build did not finish, its marts may be
    half-built: the serving copy is removed instead, and the next run builds and publishes."""
    with duckdb.connect(str(db), read_only=True) as con:
        newest = _first(
            con, "meta", "build_settings", "select is_built from meta.build_settings order by build_id desc limit 1"
        )
    if not newest:
        serving.unlink(missing_ok=True)
        return False
    try:
        publish_serving_copy(db, serving)
    except BaseException:
        serving.unlink(missing_ok=True)  # it publishes a build of the replaced warehouse, which may share an id
        raise
    if export_dir.exists():  # the run's own export would hold the marts of the replaced warehouse
        export_marts(serving, export_dir)
    return True
