"""Landing zone -> raw: every landing file not loaded yet, each in one transaction with its ledger row."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import duckdb

from orchestration import warehouse
from orchestration.loader import pii
from orchestration.loader.csv_files import CsvLayoutError, load_csv_file
from orchestration.loader.csv_sources import CSV_SOURCES, table_ddl
from orchestration.loader.event_files import EVENT_FILE_PATTERNS, judge_event_files, store_judged_events
from orchestration.loader.ledger import (
    ChangedFileError,
    FileOutcome,
    LandingFile,
    ensure_raw_schema,
    landing_file,
    loaded_hashes,
    next_load_id,
    record_load,
)

EVENTS = "events"
# Landing sources as the Dagster load assets see them: the catalog folder feeds three raw tables.
LANDING_SOURCES: dict[str, tuple[str, ...]] = {
    EVENTS: (EVENTS,),
    "catalog": ("products", "videos", "hotspots"),
    "inventory": ("inventory",),
    "ad_spend": ("ad_spend",),
    "social": ("social",),
    "fx_rates": ("fx_rates",),
}

# Event files are judged in batches of about this much text (compressed files count at an assumed ratio):
# one parallel query per batch instead of one mostly serial query per file.
BATCH_BYTES = 256 * 1024 * 1024
COMPRESSION_RATIO = 5
LOAD_CHECKPOINT_THRESHOLD = "1GB"

Progress = Callable[[str], None]


class LoadFailed(Exception):
    """Some files could not be loaded; every other file was."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class TableLoad:
    """What one run of the loader did to one raw table."""

    table: str
    files_loaded: int = 0
    files_already_loaded: int = 0
    rows: int = 0
    loaded: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    load_ids: list[int] = field(default_factory=list)

    def add(self, load_id: int, outcome: FileOutcome) -> None:
        self.files_loaded += 1
        self.load_ids.append(load_id)
        self.rows += outcome.rows
        self.loaded += outcome.loaded
        self.duplicates += outcome.duplicates
        self.rejected += outcome.rejected

    @property
    def rejected_share(self) -> float:
        return self.rejected / self.rows if self.rows else 0.0


def _files_of(landing: Path, table: str) -> list[Path]:
    if table == EVENTS:
        folder, patterns = landing / EVENTS, EVENT_FILE_PATTERNS
    else:
        source = CSV_SOURCES[table]
        folder, patterns = landing / source.folder, (f"**/{source.pattern}",)
    if not folder.is_dir():
        return []
    found = {path for pattern in patterns for path in folder.glob(pattern) if path.is_file()}
    return sorted(found, key=lambda p: p.relative_to(landing).as_posix())


def _commit_file(
    con: duckdb.DuckDBPyConnection, file: LandingFile, store: Callable[[int], FileOutcome]
) -> tuple[int, FileOutcome]:
    """Store one file's rows and its ledger row in one transaction: all of it lands, or none."""
    con.begin()
    try:
        load_id = next_load_id(con)
        outcome = store(load_id)
        record_load(con, load_id, file, outcome)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return load_id, outcome


def _event_batches(files: list[LandingFile]) -> Iterator[list[LandingFile]]:
    """Consecutive files of about BATCH_BYTES of text: enough rows for every core, little enough for memory."""
    batch: list[LandingFile] = []
    weight = 0
    for file in files:
        batch.append(file)
        weight += file.bytes * (1 if file.path.endswith(".jsonl") else COMPRESSION_RATIO)
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


def _pending_files(landing: Path, table: str, report: TableLoad, already: dict[str, str]) -> list[LandingFile]:
    """Files not loaded yet; a loaded file whose content changed is an error, not a reload."""
    pending = []
    for path in _files_of(landing, table):
        file = landing_file(landing, table, path)
        if file.path not in already:
            pending.append(file)
        elif already[file.path] != file.sha256:
            report.errors.append(str(ChangedFileError(file.path, already[file.path], file.sha256)))
        else:
            report.files_already_loaded += 1
    return pending


def _stored(report: TableLoad, file: LandingFile, load_id: int, outcome: FileOutcome, progress: Progress) -> None:
    report.add(load_id, outcome)
    progress(
        f"{report.table:<10} {report.files_loaded:>5} new  {file.path}  "
        f"{outcome.loaded:,} loaded, {outcome.duplicates:,} duplicate, {outcome.rejected:,} rejected"
    )


def _load_event_files(
    con: duckdb.DuckDBPyConnection, files: list[LandingFile], report: TableLoad, salt: str, progress: Progress
) -> None:
    load_time = datetime.now(UTC)
    for batch in _event_batches(files):
        try:
            judge_event_files(con, batch, load_time, salt)
        except duckdb.Error as error:
            report.errors += [f"{file.path}: {error}" for file in batch]
            continue
        for index, file in enumerate(batch):
            load_id, outcome = _commit_file(con, file, partial(store_judged_events, con, index, file))
            _stored(report, file, load_id, outcome, progress)


def _load_csv_files(
    con: duckdb.DuckDBPyConnection, files: list[LandingFile], report: TableLoad, progress: Progress
) -> None:
    source = CSV_SOURCES[report.table]
    for file in files:
        try:
            load_id, outcome = _commit_file(con, file, partial(load_csv_file, con, source, file))
        except (CsvLayoutError, duckdb.Error) as error:
            report.errors.append(f"{file.path}: {error}")
            continue
        _stored(report, file, load_id, outcome, progress)


def load_table(
    con: duckdb.DuckDBPyConnection, landing: Path, table: str, *, salt: str, progress: Progress
) -> TableLoad:
    report = TableLoad(table)
    pending = _pending_files(landing, table, report, loaded_hashes(con))
    if table == EVENTS:
        _load_event_files(con, pending, report, salt, progress)
    else:
        _load_csv_files(con, pending, report, progress)
    report.rejected_by_reason = _rejections_by_reason(con, table, report.load_ids)
    return report


def load_landing_sources(
    landing: Path,
    db_path: Path,
    sources: Iterable[str] = tuple(LANDING_SOURCES),
    *,
    salt: str | None = None,
    progress: Progress = lambda _line: None,
) -> list[TableLoad]:
    """Load every new file of the given landing sources; raise LoadFailed after the rest loaded if any failed."""
    salt = salt if salt is not None else pii.salt_from_env()
    con = warehouse.connect(db_path)
    # Each file commits on its own; checkpointing after every one would rewrite the table in small steps.
    # The WAL keeps every commit durable in between, and DuckDB checkpoints when the connection closes.
    con.execute(f"set checkpoint_threshold = '{LOAD_CHECKPOINT_THRESHOLD}'")
    try:
        ensure_raw_schema(con)
        for csv_source in CSV_SOURCES.values():
            con.execute(table_ddl(csv_source))
        pii.register_functions(con)
        reports = [
            load_table(con, landing, table, salt=salt, progress=progress)
            for source in sources
            for table in LANDING_SOURCES[source]
        ]
    finally:
        con.close()
    errors = [error for report in reports for error in report.errors]
    if errors:
        raise LoadFailed(errors)
    return reports
