"""Landing zone -> raw: every landing file not loaded yet, each in one transaction with its ledger row.

A file is the unit of failure: a file that cannot be read is quarantined alone (raw.rejected_files) and
retried only when its content changes; every other file loads. Problems are reported, not raised: each
TableLoad names its failed, quarantined, waiting, in-progress and ignored files.
"""

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

import duckdb

from orchestration import warehouse
from orchestration.clock import current_instant
from orchestration.loader import pii
from orchestration.loader.csv_files import judge_csv_files, store_judged_rows
from orchestration.loader.csv_sources import CSV_SOURCES, table_ddl
from orchestration.loader.event_contract import EARLIEST_TIMESTAMP
from orchestration.loader.event_files import judge_event_files, store_judged_events
from orchestration.loader.exact_reads import unreadable
from orchestration.loader.landing_zone import (
    EVENTS,
    IGNORED,
    IN_PROGRESS,
    LANDING_SOURCES,
    READY,
    WAITING,
    LandingListing,
    list_landing_zone,
)
from orchestration.loader.ledger import (
    ChangedFileError,
    FileOutcome,
    LandingFile,
    UnreadableFileError,
    ensure_raw_schema,
    landing_file,
    loaded_files,
    next_load_id,
    quarantine,
    quarantined_files,
    record_load,
    restamp,
)
from orchestration.loader.salt import pin_salt, salt_for

# Files are judged in batches of about this much text (compressed files count at an assumed ratio):
# one parallel query per batch instead of one mostly serial query (and one query compilation) per file.
BATCH_BYTES = 256 * 1024 * 1024
COMPRESSION_RATIO = 5
COMPRESSED_FORMATS = ("jsonl.gz", "parquet", "csv.gz")
LOAD_CHECKPOINT_THRESHOLD = "1GB"
# A file with a larger share of its lines (or rows) rejected is worth a look: the load's check warns about it
# (assets/landing.py), and so does `funnelhouse status` about the last loads of each table.
REJECTED_SHARE_LIMIT = 0.01

Progress = Callable[[str], None]


@dataclass(frozen=True)
class FileRejections:
    """What share of one loaded file's lines (or rows) was rejected: a bad file is judged on its own, not
    diluted by the good files loaded beside it."""

    path: str
    rows: int
    rejected: int

    @property
    def share(self) -> float:
        return self.rejected / self.rows if self.rows else 0.0


@dataclass
class TableLoad:
    """What one run of the loader did to one raw table, and every file of its source it did not load."""

    table: str
    files_loaded: int = 0
    files_already_loaded: int = 0
    files_hashed: int = 0  # files read to hash their content: new, changed, or with a stat the ledger lacks
    rows: int = 0
    loaded: int = 0
    duplicates: int = 0
    rejected: int = 0
    forgotten: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    quarantined: list[str] = field(default_factory=list)  # "path: error", quarantined by this run
    still_quarantined: list[str] = field(default_factory=list)  # paths whose same content was quarantined before
    errors: list[str] = field(default_factory=list)  # "path: error": changed after load, or failed to store
    waiting: list[str] = field(default_factory=list)  # paths modified within the settle time
    in_progress: list[str] = field(default_factory=list)  # paths under a temporary name
    ignored: list[str] = field(default_factory=list)  # paths no source takes
    warnings: list[str] = field(default_factory=list)  # empty zone, no events/ folder, CSV columns not loaded
    load_ids: list[int] = field(default_factory=list)
    file_rejections: list[FileRejections] = field(default_factory=list)  # one per file loaded by this run
    # Where the load's time went ("list and hash", "read and judge", "store", ...), for `make bench`.
    seconds_by_phase: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds_by_phase[name] = self.seconds_by_phase.get(name, 0.0) + time.perf_counter() - started

    def add(self, load_id: int, path: str, outcome: FileOutcome) -> None:
        self.files_loaded += 1
        self.load_ids.append(load_id)
        self.file_rejections.append(FileRejections(path, outcome.rows, outcome.rejected))
        self.rows += outcome.rows
        self.loaded += outcome.loaded
        self.duplicates += outcome.duplicates
        self.rejected += outcome.rejected
        self.forgotten += outcome.forgotten
        self.warnings += outcome.warnings

    @property
    def rejected_share(self) -> float:
        return self.rejected / self.rows if self.rows else 0.0

    def files_rejecting_over(self, limit: float) -> list[FileRejections]:
        """The files of this load with more than `limit` of their rows rejected, worst first."""
        over = [file for file in self.file_rejections if file.share > limit]
        return sorted(over, key=lambda file: (-file.share, file.path))

    @property
    def failed_files(self) -> list[str]:
        """Files this run could not load and that need someone: quarantined now, or in error."""
        return self.quarantined + self.errors


def _note_listing(report: TableLoad, listing: LandingListing) -> None:
    """The table's files the run does not take; the events report also carries the zone's own findings."""
    tables = (report.table, None) if report.table == EVENTS else (report.table,)
    for table in tables:
        report.waiting += [f.relative for f in listing.of(table, WAITING)]
        report.in_progress += [f.relative for f in listing.of(table, IN_PROGRESS)]
        report.ignored += [f.relative for f in listing.of(table, IGNORED)]
    if report.table == EVENTS:
        report.warnings += listing.warnings


def _commit_file(
    con: duckdb.DuckDBPyConnection, file: LandingFile, store: Callable[[int], FileOutcome], load_time: datetime
) -> tuple[int, FileOutcome]:
    """Store one file's rows and its ledger row in one transaction: all of it lands, or none."""
    con.begin()
    try:
        load_id = next_load_id(con)
        outcome = store(load_id)
        record_load(con, load_id, file, outcome, load_time)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return load_id, outcome


def _batches(files: list[LandingFile]) -> Iterator[list[LandingFile]]:
    """Consecutive files of about BATCH_BYTES of text: enough rows for every core, little enough for memory."""
    batch: list[LandingFile] = []
    weight = 0
    for file in files:
        batch.append(file)
        weight += file.bytes * (COMPRESSION_RATIO if file.format in COMPRESSED_FORMATS else 1)
        if weight >= BATCH_BYTES:
            yield batch
            batch, weight = [], 0
    if batch:
        yield batch


def _rejections_by_reason(con: duckdb.DuckDBPyConnection, table: str, load_ids: list[int]) -> dict[str, int]:
    if not load_ids:
        return {}
    rejects = "raw.rejected_events" if table == EVENTS else "raw.rejected_rows"
    rows = con.execute(
        f"select reason, count(*) from {rejects} where load_id in (select unnest($ids)) group by reason order by 1",
        {"ids": load_ids},
    ).fetchall()
    return dict(rows)


def _pending_files(
    con: duckdb.DuckDBPyConnection, listing: LandingListing, report: TableLoad, *, verify: bool
) -> list[LandingFile]:
    """Ready files not loaded yet; a loaded file whose content changed is an error, not a reload.

    A file listed with the size and modification time the ledger (or the quarantine) recorded is taken for
    the content hashed then and not read; any other is hashed. `verify` hashes every file. A quarantined
    file is not read again until its content changes: same path and hash is skipped.
    """
    loaded, quarantined = loaded_files(con), quarantined_files(con)
    pending = []
    for listed in listing.of(report.table, READY):
        seen = loaded.get(listed.relative)
        if not verify and seen is not None and seen.unchanged(listed.bytes, listed.mtime_ns):
            report.files_already_loaded += 1
            continue
        quarantined_as = quarantined.get(listed.relative, [])
        if not verify and any(q.unchanged(listed.bytes, listed.mtime_ns) for q in quarantined_as):
            report.still_quarantined.append(listed.relative)
            continue
        file = landing_file(report.table, listed.relative, listed.absolute, listed.format)
        report.files_hashed += 1
        if seen is not None:
            if seen.sha256 != file.sha256:
                report.errors.append(str(ChangedFileError(file.path, seen.sha256, file.sha256)))
            else:
                report.files_already_loaded += 1
                restamp(con, file)
        elif any(q.sha256 == file.sha256 for q in quarantined_as):
            report.still_quarantined.append(file.path)
        else:
            pending.append(file)
    return pending


def _stored(report: TableLoad, file: LandingFile, load_id: int, outcome: FileOutcome, progress: Progress) -> None:
    report.add(load_id, file.path, outcome)
    progress(
        f"{report.table:<10} {report.files_loaded:>5} new  {file.path}  "
        f"{outcome.loaded:,} loaded, {outcome.duplicates:,} duplicate, {outcome.rejected:,} rejected"
    )


def _quarantined(
    con: duckdb.DuckDBPyConnection,
    report: TableLoad,
    file: LandingFile,
    error: Exception,
    load_time: datetime,
    progress: Progress,
) -> None:
    text = str(unreadable(file, error))
    quarantine(con, file, text, load_time)
    report.quarantined.append(f"{file.path}: {text}")
    progress(f"{report.table:<10} quarantined {file.path}: {text}")


def _failed(report: TableLoad, file: LandingFile, error: Exception, progress: Progress) -> None:
    """A file that could not be stored for a reason other than its content: it is tried again next run."""
    report.errors.append(f"{file.path}: {unreadable(file, error)}")
    progress(f"{report.table:<10} failed {file.path}: {unreadable(file, error)}")


def _load_event_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[LandingFile],
    report: TableLoad,
    load_time: datetime,
    salt: str,
    earliest: datetime,
    progress: Progress,
) -> None:
    try:
        with report.phase("read and judge events"):
            judge_event_files(con, batch, load_time, salt=salt, earliest=earliest)
    except (UnreadableFileError, duckdb.Error) as error:
        if len(batch) == 1:
            _quarantined(con, report, batch[0], error, load_time, progress)
            return
        # A bad file fails its whole batch: judge each file alone to find it; the others load as usual,
        # in path order, so the first delivery of an event id still wins.
        for file in batch:
            _load_event_batch(con, [file], report, load_time, salt, earliest, progress)
        return
    for index, file in enumerate(batch):
        try:
            store = partial(store_judged_events, con, index, file, load_time=load_time)
            with report.phase("store events"):
                load_id, outcome = _commit_file(con, file, store, load_time)
        except duckdb.Error as error:
            _failed(report, file, error, progress)
            continue
        _stored(report, file, load_id, outcome, progress)


def _load_csv_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[LandingFile],
    report: TableLoad,
    earliest: datetime,
    load_time: datetime,
    progress: Progress,
) -> None:
    source = CSV_SOURCES[report.table]
    try:
        with report.phase("read and judge CSV files"):
            read = judge_csv_files(con, source, batch, earliest=earliest, load_time=load_time)
    except duckdb.Error as error:
        if len(batch) == 1:
            _failed(report, batch[0], error, progress)
            return
        for file in batch:  # judged alone, the file that fails the query fails alone
            _load_csv_batch(con, [file], report, earliest, load_time, progress)
        return
    for index, (file, file_read) in enumerate(zip(batch, read, strict=True)):
        if file_read.error is not None:
            _quarantined(con, report, file, file_read.error, load_time, progress)
            continue
        store = partial(store_judged_rows, con, source, index, file, file_read, load_time=load_time)
        try:
            with report.phase("store CSV rows"):
                load_id, outcome = _commit_file(con, file, store, load_time)
        except duckdb.Error as error:
            _failed(report, file, error, progress)
            continue
        _stored(report, file, load_id, outcome, progress)


def load_table(
    con: duckdb.DuckDBPyConnection,
    listing: LandingListing,
    table: str,
    *,
    salt: str,
    earliest: datetime,
    load_time: datetime,
    progress: Progress,
    verify: bool = False,
) -> TableLoad:
    report = TableLoad(table)
    _note_listing(report, listing)
    with report.phase("find new files"):
        pending = _pending_files(con, listing, report, verify=verify)
    for batch in _batches(pending):
        if table == EVENTS:
            _load_event_batch(con, batch, report, load_time, salt, earliest, progress)
        else:
            _load_csv_batch(con, batch, report, earliest, load_time, progress)
    report.rejected_by_reason = _rejections_by_reason(con, table, report.load_ids)
    return report


def load_landing_sources(
    landing: Path,
    db_path: Path,
    sources: Iterable[str] = tuple(LANDING_SOURCES),
    *,
    salt: str | None = None,
    phone_regions: tuple[str, ...] = pii.DEFAULT_PHONE_REGIONS,
    progress: Progress = lambda _line: None,
    settle_seconds: float = 0,
    earliest: datetime = EARLIEST_TIMESTAMP,
    load_time: datetime | None = None,
    verify: bool = False,
) -> list[TableLoad]:
    """Load every new, complete file of the given landing sources; report, per raw table, what was not loaded.

    A file modified within the last settle_seconds is left for a later run: it may still be uploading.
    Events and export rows dated before `earliest` are rejected (timestamp_out_of_range), and those dated more
    than a day after `load_time` (default: the product clock, orchestration.clock) as future_timestamp and
    timestamp_out_of_range; every time the load writes (loaded_at, rejected_at, the ledger's) is `load_time`,
    so a replay with a pinned clock writes what the original load wrote.
    Files the ledger holds with the same size and modification time are not read; `verify` re-hashes every
    landed file, to find one changed in place.
    Personal data is hashed with `salt` (by default FUNNELHOUSE_PII_SALT, see salt.py); SaltError, before
    anything is loaded, when the warehouse was built with another salt or a real landing zone has none.
    """
    salt = salt if salt is not None else salt_for(landing)
    load_time = load_time if load_time is not None else current_instant()
    listing = list_landing_zone(landing, settle_seconds=settle_seconds)
    con = warehouse.connect(db_path)
    # Each file commits on its own; checkpointing after every one would rewrite the table in small steps.
    # The WAL keeps every commit durable in between, and DuckDB checkpoints when the connection closes.
    con.execute(f"set checkpoint_threshold = '{LOAD_CHECKPOINT_THRESHOLD}'")
    try:
        ensure_raw_schema(con)
        pin_salt(con, salt, load_time)
        for csv_source in CSV_SOURCES.values():
            con.execute(table_ddl(csv_source))
        pii.Pseudonymiser(salt, phone_regions).register(con)
        reports = [
            load_table(
                con,
                listing,
                table,
                salt=salt,
                earliest=earliest,
                load_time=load_time,
                progress=progress,
                verify=verify,
            )
            for source in sources
            for table in LANDING_SOURCES[source]
        ]
    finally:
        con.close()
    for report in reports:
        for warning in report.warnings:
            progress(f"{report.table:<10} warning: {warning}")
    return reports
