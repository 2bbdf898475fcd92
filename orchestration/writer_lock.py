"""One writer at a time: a run holds `<warehouse>.lock` while it writes, and a second one is told who holds it.

DuckDB's own file lock only says "Could not set lock" once a writer is already half-way in; this lock is
taken before anything is read or written, names the process that holds it, and is released by the
operating system even when the holder dies. Re-entrant within a process: the CLI takes it for the whole
job, and each step of the job takes it again for runs that Dagster's daemon starts.
"""

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

_POLL_SECONDS = 0.5
_held: set[Path] = set()


class WarehouseBusy(Exception):
    """Another process is writing to the warehouse."""

    def __init__(self, db_path: Path, holder: str, waited_s: float):
        waited = f" after waiting {waited_s:.0f} s" if waited_s else ""
        super().__init__(
            f"{db_path} is being written by another run{waited}: {holder}. "
            "Funnelhouse runs one writer at a time; wait for that run to finish (or pass --wait SECONDS)."
        )


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    try:
        who = json.loads(handle.read() or "{}")
    except json.JSONDecodeError:
        return "a process that did not say who it is"
    return f"pid {who.get('pid')} on {who.get('host')} ({who.get('command')}), since {who.get('since')}"


def _identify(handle: IO[str]) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(
        json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "command": " ".join(os.path.basename(arg) if i == 0 else arg for i, arg in enumerate(sys.argv)),
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
    )
    handle.flush()


@contextmanager
def writer_lock(db_path: Path, *, wait_seconds: float = 0) -> Iterator[None]:
    """Hold the warehouse's writer lock; wait up to `wait_seconds` for it, then raise WarehouseBusy."""
    key = db_path.resolve()
    if key in _held:  # the outermost holder releases it
        yield
        return
    key.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_path(key).open("a+")
    started = time.monotonic()
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            waited = time.monotonic() - started
            if waited >= wait_seconds:
                holder = _holder(handle)
                handle.close()
                raise WarehouseBusy(key, holder, waited) from None
            time.sleep(_POLL_SECONDS)
    _identify(handle)
    _held.add(key)
    try:
        yield
    finally:
        _held.discard(key)
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
