"""The load ledger: which landing file was loaded, with which content, and what became of its rows; and
the quarantine: which file content could not be read at all, and why."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.loader.pii import scrub_text_sql

RAW_SCHEMA_DDL = (
    "create schema if not exists raw",
    """create table if not exists raw.load_ledger (
        load_id bigint primary key,
        source varchar not null,
        path varchar not null unique,
        sha256 varchar not null,
        bytes bigint not null,
        rows bigint not null,
        loaded bigint not null,
        duplicates bigint not null,
        rejected bigint not null,
        loaded_at timestamptz not null
    )""",
    """create table if not exists raw.events (
        event_id varchar not null,
        event_name varchar not null,
        occurred_at timestamptz not null,
        sent_at timestamptz,
        anonymous_id varchar not null,
        user_id varchar,
        page json,
        campaign json,
        context json,
        properties json,
        load_id bigint not null,
        source_file varchar not null,
        source_line bigint not null,
        loaded_at timestamptz not null
    )""",
    """create table if not exists raw.rejected_events (
        load_id bigint not null,
        source_file varchar not null,
        line_number bigint not null,
        reason varchar not null,
        raw_text varchar,
        rejected_at timestamptz not null
    )""",
    """create table if not exists raw.rejected_rows (
        load_id bigint not null,
        source varchar not null,
        source_file varchar not null,
        line_number bigint not null,
        reason varchar not null,
        column_name varchar,
        raw_text varchar,
        rejected_at timestamptz not null
    )""",
    # Warehouses loaded before erasures existed gain the column; their loads forgot nobody.
    "alter table raw.load_ledger add column if not exists forgotten bigint default 0",
    # A line's top-level keys the contract does not name (kept but ignored, CONTRACT section 4), after
    # personal data was taken out; null when it had none. Events loaded before the column existed have null.
    "alter table raw.events add column if not exists unknown_fields json",
    # One row per erasure (`funnelhouse forget`): whom, by a hash of what was asked, and what it removed.
    """create table if not exists raw.erasures (
        erasure_id bigint primary key,
        requested_as varchar not null,
        request_sha256 varchar not null,
        devices bigint not null,
        events bigint not null,
        rows_removed json not null,
        erased_at timestamptz not null
    )""",
    # The identities an erasure removed, as sha256(salt || kind || ':' || value): later loads drop their events.
    """create table if not exists raw.erased_identities (
        erasure_id bigint not null,
        kind varchar not null,
        identity_sha256 varchar not null
    )""",
    # Devices whose models an erasure changed, for the next build to redo (anonymous_id null: the device is
    # gone, only the days it spanned are redone). Emptied by the first build that succeeds after it.
    """create table if not exists raw.pending_rebuilds (
        erasure_id bigint not null,
        anonymous_id varchar,
        first_occurred_at timestamptz not null,
        last_occurred_at timestamptz not null
    )""",
    # One row per quarantined content of a path: a file is retried only when its content changes.
    """create table if not exists raw.rejected_files (
        source varchar not null,
        path varchar not null,
        sha256 varchar not null,
        bytes bigint not null,
        error varchar not null,
        rejected_at timestamptz not null,
        primary key (path, sha256)
    )""",
    # The file's modification time (ns) when its content was hashed: a file listed with the same size and
    # time is that content, and is not read again (as git's index does). Null for rows older than the column.
    "alter table raw.load_ledger add column if not exists modified_ns bigint",
    "alter table raw.rejected_files add column if not exists modified_ns bigint",
)


class ChangedFileError(Exception):
    """A landed file changed after it was loaded: files are immutable once landed."""

    def __init__(self, path: str, loaded_sha256: str, current_sha256: str):
        super().__init__(
            f"{path} changed after it was loaded (sha256 {loaded_sha256[:12]}… now {current_sha256[:12]}…); "
            "landed files are immutable: land the new content under a new file name"
        )
        self.path = path


class UnreadableFileError(Exception):
    """A landed file that cannot be read as a whole, or whose layout is not its source's: it is quarantined."""


@dataclass(frozen=True)
class LandingFile:
    source: str  # the raw table it feeds
    path: str  # relative to the landing zone, posix: the ledger key
    absolute: Path
    format: str  # as landing_zone names it: jsonl, jsonl.gz, parquet, csv, csv.gz
    sha256: str
    bytes: int
    modified_ns: int


@dataclass(frozen=True)
class SeenFile:
    """A landing file's content as the ledger (or the quarantine) last hashed it, with the stat it had then."""

    sha256: str
    bytes: int
    modified_ns: int | None

    def unchanged(self, size: int, modified_ns: int) -> bool:
        """Same size and modification time as when hashed: the same content, unless someone rewrote the file
        byte-count for byte-count within the same nanosecond (`funnelhouse run --verify` re-hashes to be sure)."""
        return self.bytes == size and self.modified_ns == modified_ns


@dataclass(frozen=True)
class FileOutcome:
    rows: int
    loaded: int
    duplicates: int
    rejected: int
    forgotten: int = 0  # lines of people erased before: dropped, never stored
    warnings: tuple[str, ...] = ()  # what the report should say about the file, e.g. columns not loaded


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def landing_file(source: str, path: str, absolute: Path, fmt: str) -> LandingFile:
    """The file with its content's hash; the stat is taken before reading, so a write during the hash shows
    as a changed modification time next run and the file is hashed again."""
    stat = absolute.stat()
    return LandingFile(
        source=source,
        path=path,
        absolute=absolute,
        format=fmt,
        sha256=file_sha256(absolute),
        bytes=stat.st_size,
        modified_ns=stat.st_mtime_ns,
    )


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in RAW_SCHEMA_DDL:
        con.execute(ddl)


def loaded_files(con: duckdb.DuckDBPyConnection) -> dict[str, SeenFile]:
    rows = con.execute("select path, sha256, bytes, modified_ns from raw.load_ledger").fetchall()
    return {path: SeenFile(*seen) for path, *seen in rows}


def quarantined_files(con: duckdb.DuckDBPyConnection) -> dict[str, list[SeenFile]]:
    """Every quarantined content of each path: a path may have been quarantined with several contents."""
    quarantined: dict[str, list[SeenFile]] = {}
    for path, *seen in con.execute("select path, sha256, bytes, modified_ns from raw.rejected_files").fetchall():
        quarantined.setdefault(path, []).append(SeenFile(*seen))
    return quarantined


def restamp(con: duckdb.DuckDBPyConnection, file: LandingFile) -> None:
    """A loaded file hashed again to the same content (touched, copied, or loaded before the stat was kept):
    its new stat is recorded, so the next run need not read it."""
    con.execute(
        "update raw.load_ledger set modified_ns = ? where path = ? and sha256 = ?",
        [file.modified_ns, file.path, file.sha256],
    )


def quarantine(con: duckdb.DuckDBPyConnection, file: LandingFile, error: str, load_time: datetime) -> None:
    """Record the file's content as unreadable. The error text is masked: DuckDB quotes the offending line."""
    con.execute(
        "insert into raw.rejected_files (source, path, sha256, bytes, error, rejected_at, modified_ns) "
        f"select ?, ?, ?, ?, {scrub_text_sql('error')}, ?, ? from (select ? as error)",
        [file.source, file.path, file.sha256, file.bytes, load_time, file.modified_ns, error],
    )


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select coalesce(max(load_id), 0) + 1 from raw.load_ledger").fetchone()[0]


def record_load(
    con: duckdb.DuckDBPyConnection, load_id: int, file: LandingFile, outcome: FileOutcome, load_time: datetime
) -> None:
    con.execute(
        "insert into raw.load_ledger "
        "(load_id, source, path, sha256, bytes, rows, loaded, duplicates, rejected, loaded_at, forgotten, modified_ns) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            file.source,
            file.path,
            file.sha256,
            file.bytes,
            outcome.rows,
            outcome.loaded,
            outcome.duplicates,
            outcome.rejected,
            load_time,
            outcome.forgotten,
            file.modified_ns,
        ],
    )
