"""Dagster's run history pruned past a retention: finished runs, their event logs and what they printed.

Every run leaves its rows in the run and event-log databases, and on this machine two things more: the stdout
and stderr its steps printed (DAGSTER_HOME/storage/<run id>/compute_logs/) and, with the SQLite storage, its
own event-log database (DAGSTER_HOME/history/runs/<run id>.db, about 130 KB), which `delete_run` empties but
leaves behind. An hourly pipeline and a sensor that may start one every minute grow both without bound.
Schedule and sensor ticks are pruned by Dagster's daemon itself (`retention:` in dagster.yaml); dbt's own log
is rotated by dbt (10 MB, 5 old files) and each run's dbt folder is pruned by the build (assets/dbt.py).
"""

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.local_compute_log_manager import LocalComputeLogManager

# Only runs that ended: never one queued, starting, running or being cancelled.
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
# The folder under a run's id in which Dagster keeps the stdout and stderr its steps printed.
COMPUTE_LOGS = "compute_logs"


@dataclass(frozen=True)
class PruneReport:
    cutoff: datetime  # runs last updated (ended) before this are deleted
    runs: tuple[str, ...]  # the finished runs deleted, with their event logs
    leftovers: tuple[str, ...]  # runs deleted before (an erasure's, by its sensor) whose files were still here
    files: int  # captured stdout/stderr files and per-run event-log databases removed
    bytes: int
    dry_run: bool = False

    def describe(self) -> str:
        delete, remove = ("Would delete", "would remove") if self.dry_run else ("Deleted", "removed")
        text = (
            f"{delete} {_count(len(self.runs), 'run')} that finished before {self.cutoff:%Y-%m-%d %H:%M} UTC, with "
            f"their event logs; {remove} {_count(self.files, 'file')} ({self.bytes / 1e6:,.1f} MB) of captured "
            "stdout/stderr and per-run event logs"
        )
        if self.leftovers:
            text += f", among them those of {_count(len(self.leftovers), 'run')} deleted earlier"
        return text + "."


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def prune_history(
    instance: dg.DagsterInstance, *, keep_days: int, now: datetime | None = None, dry_run: bool = False
) -> PruneReport:
    """Delete the finished runs last updated more than `keep_days` before `now`, with their event logs and
    files, and the files of runs deleted earlier. A dry run deletes nothing and reports the same.

    `now` is the wall clock, not the product's (orchestration/clock.py): Dagster stamps its runs with it."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days)
    expired = tuple(instance.get_run_ids(filters=dg.RunsFilter(statuses=FINISHED, updated_before=cutoff)))
    leftovers = tuple(sorted(_runs_gone_with_files_left(instance)))
    files = [path for run_id in expired + leftovers for path in _run_files(instance, run_id)]
    report = PruneReport(
        cutoff=cutoff,
        runs=expired,
        leftovers=leftovers,
        files=len(files),
        bytes=sum(path.stat().st_size for path in files),
        dry_run=dry_run,
    )
    if not dry_run:
        for run_id in expired:
            instance.delete_run(run_id)
        for run_id in expired + leftovers:
            _delete_run_files(instance, run_id)
    return report


def _runs_gone_with_files_left(instance: dg.DagsterInstance) -> set[str]:
    """Runs whose files are on disk and whose record is gone.

    The files are listed before the records are read: Dagster records a run before it writes any file of it,
    so a run starting meanwhile is among the records, and its files are never taken for leftovers."""
    with_files = set(_runs_with_captured_logs(instance)) | set(_runs_with_event_log_databases(instance))
    return with_files - set(instance.get_run_ids())


def _captured_logs_root(instance: dg.DagsterInstance) -> Path | None:
    """Where the instance keeps what runs printed on this machine (DAGSTER_HOME/storage by default); None when
    a compute log manager keeps it elsewhere (S3, GCS, Azure), whose store's own lifecycle rules prune it."""
    manager = instance.compute_log_manager
    if not isinstance(manager, LocalComputeLogManager):
        return None
    return Path(manager._base_dir).resolve()  # the local manager has no public accessor for its folder


def _runs_with_captured_logs(instance: dg.DagsterInstance) -> list[str]:
    root = _captured_logs_root(instance)
    if root is None or not root.is_dir():
        return []
    # The folder also holds the outputs of assets, by asset key: only a run's folder has compute_logs in it.
    return [folder.parent.name for folder in root.glob(f"*/{COMPUTE_LOGS}") if folder.is_dir()]


def _runs_with_event_log_databases(instance: dg.DagsterInstance) -> list[str]:
    storage = instance.event_log_storage
    return list(storage.get_all_run_ids()) if isinstance(storage, SqliteEventLogStorage) else []


def _event_log_database(instance: dg.DagsterInstance, run_id: str) -> list[Path]:
    """The run's own SQLite event-log database and its write-ahead files, with the SQLite storage."""
    storage = instance.event_log_storage
    if not isinstance(storage, SqliteEventLogStorage):
        return []
    database = Path(storage.path_for_shard(run_id))
    candidates = (database, database.with_name(f"{database.name}-wal"), database.with_name(f"{database.name}-shm"))
    return [path for path in candidates if path.is_file()]


def _run_files(instance: dg.DagsterInstance, run_id: str) -> list[Path]:
    root = _captured_logs_root(instance)
    captured = sorted(path for path in (root / run_id / COMPUTE_LOGS).rglob("*") if path.is_file()) if root else []
    return captured + _event_log_database(instance, run_id)


def _delete_run_files(instance: dg.DagsterInstance, run_id: str) -> None:
    instance.compute_log_manager.delete_logs(prefix=[run_id, COMPUTE_LOGS])
    if (root := _captured_logs_root(instance)) is not None:
        with contextlib.suppress(OSError):  # not empty: an op of the run stored its outputs there, kept
            (root / run_id).rmdir()
    for path in _event_log_database(instance, run_id):
        path.unlink(missing_ok=True)
