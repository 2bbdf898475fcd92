"""What lies in a landing zone: each file with the raw table it feeds and whether it may be taken now.

Names are data, never patterns: folders are walked and suffixes matched by string, case-insensitively, so
`q?.jsonl` is one file and never also `qa.jsonl`. Nothing is skipped without a word: every file the loader
does not take is listed as in progress (temporary name), waiting (still settling) or ignored.
"""

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.loader.csv_sources import CSV_SOURCES

EVENTS = "events"
# `funnelhouse generate` writes what it planted beside the data; no shop's landing zone holds it.
DEMO_TRUTH_FILE = "truth.json"


def _landing_sources() -> dict[str, tuple[str, ...]]:
    sources: dict[str, tuple[str, ...]] = {EVENTS: (EVENTS,)}
    for csv_source in CSV_SOURCES.values():
        sources[csv_source.folder] = (*sources.get(csv_source.folder, ()), csv_source.table)
    return sources


# Landing sources (folders) as the Dagster load assets see them: the catalog folder feeds three raw tables.
LANDING_SOURCES: dict[str, tuple[str, ...]] = _landing_sources()

# Accepted spellings (lower-cased) -> the format the readers know. Longer suffixes first: `.jsonl.gz`
# must not be taken for something ending in `.gz` alone.
EVENT_FORMATS = {
    ".jsonl.gz": "jsonl.gz",
    ".ndjson.gz": "jsonl.gz",
    ".json.gz": "jsonl.gz",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
}
CSV_FORMATS = {".csv.gz": "csv.gz", ".csv": "csv"}

# Names uploaders, browsers and Spark/Hadoop give files (and folders) still being written or not data.
TEMPORARY_SUFFIXES = (".tmp", ".partial", ".part", ".crdownload")
TEMPORARY_PREFIXES = (".", "~", "_")

READY, IN_PROGRESS, WAITING, IGNORED = "ready", "in_progress", "waiting", "ignored"


@dataclass(frozen=True)
class ListedFile:
    """One entry of the landing zone; a temporary folder is listed once, as itself."""

    relative: str  # posix, relative to the landing zone: the ledger key
    absolute: Path
    source: str | None  # the landing folder it lies in; None at the root or in an unknown folder
    table: str | None  # the raw table it feeds (or is reported with); None when it belongs to no source
    state: str  # READY, IN_PROGRESS, WAITING or IGNORED
    format: str | None  # the reader's format of a READY or WAITING file
    bytes: int
    mtime_ns: int


@dataclass
class LandingListing:
    landing: Path
    files: list[ListedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # about the zone as a whole

    def of(self, table: str | None, state: str) -> list[ListedFile]:
        return [f for f in self.files if f.table == table and f.state == state]


def is_temporary(name: str) -> bool:
    lower = name.lower()
    return lower.startswith(TEMPORARY_PREFIXES) or lower.endswith(TEMPORARY_SUFFIXES)


def _format_of(name: str, formats: dict[str, str]) -> str | None:
    lower = name.lower()
    return next((fmt for suffix, fmt in formats.items() if lower.endswith(suffix)), None)


def _table_by_prefix(source: str, name: str) -> str | None:
    """The catalog maps files to tables by name prefix (products*, videos*, hotspots*); other folders feed one."""
    tables = LANDING_SOURCES[source]
    if len(tables) == 1:
        return tables[0]
    lower = name.lower()
    return next((t for t in tables if lower.startswith(CSV_SOURCES[t].prefix)), None)


def _classify(source: str | None, name: str) -> tuple[str | None, str | None]:
    """(table, format) of a finished file; (None, None) when no source takes it."""
    if source is None:
        return None, None
    fmt = _format_of(name, EVENT_FORMATS if source == EVENTS else CSV_FORMATS)
    table = _table_by_prefix(source, name)
    return (table, fmt) if table and fmt else (None, None)


def _walk(root: Path) -> Iterator[tuple[Path, bool]]:
    """(path, is_temporary_folder) of every file under root, and of every temporary folder, not entered."""
    for folder, subfolders, files in os.walk(root):
        for name in sorted(subfolders):
            if is_temporary(name):
                yield Path(folder) / name, True
        subfolders[:] = sorted(name for name in subfolders if not is_temporary(name))
        for name in sorted(files):
            yield Path(folder) / name, False


def _source_of(landing: Path, path: Path) -> str | None:
    parts = path.relative_to(landing).parts
    return parts[0] if len(parts) > 1 and parts[0] in LANDING_SOURCES else None


def _listed(landing: Path, path: Path, is_folder: bool, settled_before_ns: int | None) -> ListedFile:
    source = _source_of(landing, path)
    stat = path.stat()
    table, fmt = _classify(source, path.name)
    if is_folder or is_temporary(path.name):
        state = IN_PROGRESS
    elif table is None:
        state = IGNORED
    elif settled_before_ns is not None and stat.st_mtime_ns > settled_before_ns:
        state = WAITING
    else:
        state = READY
    if table is None and source is not None:
        # A folder's stray or unfinished files are reported with the table they name, else its first table.
        table = _table_by_prefix(source, path.name) or LANDING_SOURCES[source][0]
    relative = path.relative_to(landing).as_posix() + ("/" if is_folder else "")
    return ListedFile(relative, path, source, table, state, fmt, stat.st_size, stat.st_mtime_ns)


def _zone_warnings(landing: Path, files: list[ListedFile]) -> list[str]:
    if not landing.is_dir():
        return [f"landing zone {landing} does not exist"]
    warnings = []
    if not files:
        warnings.append(f"landing zone {landing} is empty: nothing to load")
    if not (landing / EVENTS).is_dir():
        warnings.append(
            f"landing zone {landing} has no {EVENTS}/ folder: is it the folder that holds "
            f"{', '.join(f'{s}/' for s in LANDING_SOURCES)}?"
        )
    return warnings


def is_demo_landing_zone(landing: Path) -> bool:
    """Written by `funnelhouse generate`: synthetic people only, so the public demo salt may hash them."""
    return (landing / DEMO_TRUTH_FILE).is_file()


def list_landing_zone(landing: Path, *, settle_seconds: float = 0, now: float | None = None) -> LandingListing:
    """Every file of the landing zone with its source, table and state, in path order.

    A file modified within the last settle_seconds may still be growing: it waits for a later run.
    """
    settled_before_ns = None
    if settle_seconds > 0:
        settled_before_ns = int(((now if now is not None else time.time()) - settle_seconds) * 1e9)
    files = []
    if landing.is_dir():
        files = [_listed(landing, path, is_folder, settled_before_ns) for path, is_folder in _walk(landing)]
    files.sort(key=lambda f: f.relative)
    return LandingListing(landing, files, _zone_warnings(landing, files))
