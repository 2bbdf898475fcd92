"""`funnelhouse status`: the warehouse's state at a glance, for a person or a monitor, and what needs attention.

It reads what the warehouse records (the build records, the ledger, the quarantine) and lists the landing zone
by name and stat alone: no file is hashed. It never takes the writer lock, and it holds the warehouse open
read-only for a moment only. While a run writes the warehouse DuckDB refuses even that, and the status is read
from the serving copy instead, as of its publication.

Times of loads and builds are the product clock's (orchestration.clock), the one they were stamped with; the
age of a landing file is the wall clock's, like the file's modification time.
"""

import json
import re
import textwrap
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration import warehouse
from orchestration.clock import current_instant
from orchestration.loader.csv_sources import CSV_SOURCES
from orchestration.loader.landing_zone import EVENTS, IGNORED, IN_PROGRESS, READY, WAITING, list_landing_zone
from orchestration.loader.ledger import SeenFile
from orchestration.loader.load import REJECTED_SHARE_LIMIT
from orchestration.nothing_new import readers_build
from orchestration.settings import SPARK, Settings

EXIT_OK, EXIT_ATTENTION, EXIT_CANNOT_TELL = 0, 1, 2
# Landing folders delivered when their content changes, not on a schedule: no freshness is expected of them.
UNSCHEDULED_FOLDERS = ("catalog",)
# Files named in a finding; the rest are counted.
_NAMED_FILES = 5
_WIDTH = 118


@dataclass(frozen=True)
class Finding:
    check: str  # stable name, for monitors: no_build, stale_build, readers_behind, stale_source, ...
    problem: str
    action: str
    source: str | None = None  # the raw table a stale_source or rejected_share finding is about


@dataclass(frozen=True)
class Build:
    build_id: int
    built_at: datetime | None  # None for a build finished before the warehouse recorded the time
    readers_build: int | None  # the build the serving copy publishes (on Spark: the Spark tables hold)
    loads_waiting: int | None  # loads no finished build has folded in; None when read from the serving copy
    oldest_waiting_at: datetime | None


@dataclass(frozen=True)
class FileShare:
    load_id: int
    path: str
    rows: int
    rejected: int


@dataclass(frozen=True)
class SourceLoads:
    """One raw table: when its newest file was loaded, and what the loads of that moment (its last run) rejected."""

    table: str
    expected_hours: float | None  # a file is expected within this many hours; None for the catalog
    newest_loaded_at: datetime | None = None
    last_files: int = 0
    last_rows: int = 0
    last_rejected: int = 0
    files_over_limit: list[FileShare] = field(default_factory=list)

    @property
    def last_share(self) -> float:
        return self.last_rejected / self.last_rows if self.last_rows else 0.0


@dataclass(frozen=True)
class LandingFile:
    path: str
    age_hours: float  # since its last modification, by the wall clock
    error: str | None = None  # why it was quarantined


@dataclass(frozen=True)
class Landing:
    path: Path
    exists: bool
    pending: list[LandingFile] = field(default_factory=list)  # ready, and not in the ledger
    quarantined: list[LandingFile] = field(default_factory=list)  # the content that could not be read, still there
    waiting: int = 0
    in_progress: int = 0
    ignored: int = 0


@dataclass(frozen=True)
class Status:
    now: datetime
    warehouse: Path
    exit_code: int
    read_from: str | None = None  # "warehouse" or "serving copy"
    note: str | None = None  # why it was read from the serving copy, or why it cannot tell
    build: Build | None = None
    newest_event_at: datetime | None = None
    sources: list[SourceLoads] = field(default_factory=list)
    landing: Landing | None = None
    sizes: dict[str, int | None] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=_json_value)


def _json_value(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


@dataclass(frozen=True)
class _Records:
    """What the status reads from the warehouse, or from the serving copy, in one short connection."""

    build: Build | None
    newest_event_at: datetime | None
    sources: list[SourceLoads]
    loaded: dict[str, SeenFile]
    quarantined: dict[str, tuple[SeenFile, str]]


class _WarehouseBusy(Exception):
    """DuckDB refused to open the warehouse: a run holds it for writing."""


class _CannotTell(Exception):
    """Neither the warehouse nor the serving copy can be read."""


def check_status(settings: Settings) -> Status:
    """The state of the warehouse of `settings`, with a finding for everything that needs someone."""
    now = current_instant()
    try:
        records, read_from, note = _records(settings)
    except _CannotTell as unknown:
        return Status(now=now, warehouse=settings.db_path, exit_code=EXIT_CANNOT_TELL, note=str(unknown))
    landing = _landing(settings, records)
    # The serving copy's ledger stops at its publication: files loaded since would look pending for hours.
    live = read_from == "warehouse"
    findings = [
        *_build_findings(records.build, settings, now, checks_readers=live),
        *_source_findings(records.sources, now, settings.landing_dir),
        *_rejection_findings(records.sources),
        *_landing_findings(landing, settings, checks_pending=live),
    ]
    return Status(
        now=now,
        warehouse=settings.db_path,
        exit_code=EXIT_ATTENTION if findings else EXIT_OK,
        read_from=read_from,
        note=note,
        build=records.build,
        newest_event_at=records.newest_event_at,
        sources=records.sources,
        landing=landing,
        sizes=_sizes(settings),
        findings=findings,
    )


# --- reading the records -----------------------------------------------------------------------------------


def _records(settings: Settings) -> tuple[_Records, str, str | None]:
    """The records, where they were read from, and a note when that was the serving copy."""
    db = settings.db_path
    if not db.is_file():
        raise _CannotTell(f"no warehouse at {db}: set FUNNELHOUSE_DB or pass --db (or run it first)")
    try:
        return _read(db, settings), "warehouse", None
    except _WarehouseBusy as busy:
        if settings.target == SPARK or not settings.serving_db.is_file():
            raise _CannotTell(f"a run holds the warehouse ({busy}), and there is no serving copy to read") from busy
        note = (
            f"a run is writing the warehouse ({busy}): read from the serving copy as of its publication, which "
            "does not know the newest event, the loads since, or whether files are stuck"
        )
    except duckdb.Error as error:
        raise _CannotTell(f"cannot read {db}: {error}") from error
    try:
        return _read_serving_copy(settings.serving_db, settings), "serving copy", note
    except duckdb.Error as error:
        raise _CannotTell(f"a run holds the warehouse, and its serving copy cannot be read: {error}") from error


def _read(db: Path, settings: Settings) -> _Records:
    readers = readers_build(settings.target, settings.serving_db, settings.spark_dir)  # before the warehouse opens
    try:
        con = warehouse.connect(db, read_only=True)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise _WarehouseBusy(_lock_holder(error)) from error
        raise
    try:
        return _Records(
            build=_warehouse_build(con, readers),
            newest_event_at=_newest_event(con),
            sources=_sources(con, settings),
            loaded=_loaded(con),
            quarantined=_quarantined(con),
        )
    finally:
        con.close()


def _newest_event(con: duckdb.DuckDBPyConnection) -> datetime | None:
    return _scalar(con, "select max(occurred_at) from raw.events") if _has(con, "raw", "events") else None


def _read_serving_copy(serving: Path, settings: Settings) -> _Records:
    """The loader's reports and the build as the serving copy published them."""
    with warehouse.connect(serving, read_only=True) as con:
        return _Records(
            build=_published_build(con),
            newest_event_at=None,
            sources=_sources(con, settings),
            loaded=_loaded(con),
            quarantined=_quarantined(con),
        )


def _lock_holder(error: duckdb.IOException) -> str:
    """DuckDB names the process that holds the file: "... Conflicting lock is held in <program> (PID n) ..."."""
    held = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", str(error))
    return f"held by {held[1]}, PID {held[2]}" if held else str(error).splitlines()[0]


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns where table_catalog = current_database() "
        "and table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return {name for (name,) in rows}


def _has(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(_columns(con, schema, table))


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchone()[0]


def _warehouse_build(con: duckdb.DuckDBPyConnection, readers: int | None) -> Build | None:
    """The last finished build, and the loads stamped after it: those no build has folded in yet."""
    columns = _columns(con, "meta", "build_settings")
    if "is_built" not in columns:
        return None
    finished = "coalesce(built_at, recorded_at)" if "built_at" in columns else "recorded_at"
    last = con.execute(
        f"select build_id, {finished} from meta.build_settings where is_built order by build_id desc limit 1"
    ).fetchone()
    if last is None:
        return None
    build_id, built_at = last
    waiting, oldest = con.execute(
        "select count(*), min(loaded_at) from raw.load_ledger where loaded_at > ?", [built_at]
    ).fetchone()
    return Build(build_id, built_at, readers, waiting, oldest)


def _published_build(con: duckdb.DuckDBPyConnection) -> Build | None:
    columns = _columns(con, "meta", "publication")
    if "build_id" not in columns:
        return None
    built_at = "built_at" if "built_at" in columns else "null"  # copies published before it was recorded
    build_id, finished = con.execute(f"select build_id, {built_at} from meta.publication").fetchone()
    return None if build_id is None else Build(build_id, finished, build_id, None, None)


def _expected_hours(table: str, settings: Settings) -> float | None:
    limits = settings.status_limits
    if table in limits.freshness_hours_by_table:
        return limits.freshness_hours_by_table[table]
    if table == EVENTS:
        return limits.events_freshness_hours
    if CSV_SOURCES[table].folder in UNSCHEDULED_FOLDERS:
        return None
    return limits.exports_freshness_hours


def _sources(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[SourceLoads]:
    """Every raw table the loader feeds, with the loads of its newest load time: the last run that loaded it."""
    rows = []
    if _has(con, "raw", "load_ledger"):
        rows = con.execute(
            """
            with newest as (select source, max(loaded_at) as loaded_at from raw.load_ledger group by 1)
            select source, loaded_at, load_id, path, rows, rejected
            from raw.load_ledger join newest using (source, loaded_at)
            order by source, path
            """
        ).fetchall()
    sources = []
    for table in (EVENTS, *CSV_SOURCES):
        last = [row for row in rows if row[0] == table]
        shares = [FileShare(*share) for _, _, *share in last]
        sources.append(
            SourceLoads(
                table=table,
                expected_hours=_expected_hours(table, settings),
                newest_loaded_at=last[0][1] if last else None,
                last_files=len(shares),
                last_rows=sum(share.rows for share in shares),
                last_rejected=sum(share.rejected for share in shares),
                files_over_limit=sorted(
                    (share for share in shares if share.rows and share.rejected / share.rows > REJECTED_SHARE_LIMIT),
                    key=lambda share: -share.rejected / share.rows,
                ),
            )
        )
    return sources


def _loaded(con: duckdb.DuckDBPyConnection) -> dict[str, SeenFile]:
    if not _has(con, "raw", "load_ledger"):
        return {}
    modified = "modified_ns" if "modified_ns" in _columns(con, "raw", "load_ledger") else "null"
    rows = con.execute(f"select path, sha256, bytes, {modified} from raw.load_ledger").fetchall()
    return {path: SeenFile(*seen) for path, *seen in rows}


def _quarantined(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[SeenFile, str]]:
    """The newest quarantined content of every path not loaded since: a re-delivered file that loaded is done."""
    if not _has(con, "raw", "rejected_files"):
        return {}
    modified = "modified_ns" if "modified_ns" in _columns(con, "raw", "rejected_files") else "null"
    rows = con.execute(
        f"""
        select path, sha256, bytes, {modified}, error
        from raw.rejected_files
        where path not in (select path from raw.load_ledger)
        qualify row_number() over (partition by path order by rejected_at desc) = 1
        """
    ).fetchall()
    return {path: (SeenFile(sha256, size, modified_ns), error) for path, sha256, size, modified_ns, error in rows}


# --- the landing zone ----------------------------------------------------------------------------------------


def _landing(settings: Settings, records: _Records) -> Landing:
    """The files not in the ledger (by path: nothing is hashed): quarantined ones still there unchanged, ready
    ones (pending; a quarantined file re-delivered with another content too, as the next run tries it), and
    those waiting, in progress or ignored."""
    if not settings.landing_dir.is_dir():
        return Landing(settings.landing_dir, exists=False)
    listing = list_landing_zone(settings.landing_dir, settle_seconds=settings.settle_for(scheduled=True))
    unloaded = [file for file in listing.files if file.relative not in records.loaded]
    wall_now = time.time()
    pending, quarantined = [], []
    for file in unloaded:
        age_hours = (wall_now - file.mtime_ns / 1e9) / 3600
        seen, error = records.quarantined.get(file.relative, (None, None))
        if seen is not None and seen.unchanged(file.bytes, file.mtime_ns):
            quarantined.append(LandingFile(file.relative, age_hours, error))
        elif file.state == READY:
            pending.append(LandingFile(file.relative, age_hours))
    counts = {state: sum(file.state == state for file in unloaded) for state in (WAITING, IN_PROGRESS, IGNORED)}
    return Landing(
        settings.landing_dir,
        exists=True,
        pending=sorted(pending, key=lambda file: -file.age_hours),
        quarantined=quarantined,
        waiting=counts[WAITING],
        in_progress=counts[IN_PROGRESS],
        ignored=counts[IGNORED],
    )


def _sizes(settings: Settings) -> dict[str, int | None]:
    db = settings.db_path
    sizes = {
        "warehouse": _bytes(db) + _bytes(warehouse.wal_path(db)),
        "dbt builds": _folder_bytes(warehouse.builds_folder(db)),
    }
    if settings.target != SPARK:
        sizes["serving copy"] = _bytes(settings.serving_db) if settings.serving_db.is_file() else None
    return sizes


def _bytes(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else 0


# --- findings: each says what is wrong and what to do ---------------------------------------------------------


def _hours_since(then: datetime, now: datetime) -> float:
    return (now - then).total_seconds() / 3600


def _build_findings(build: Build | None, settings: Settings, now: datetime, *, checks_readers: bool) -> list[Finding]:
    if build is None:
        return [
            Finding(
                "no_build",
                "No build has finished in this warehouse.",
                "Run `funnelhouse run`; when it fails, its output names every failed step and check.",
            )
        ]
    limit = settings.status_limits.stale_build_hours
    findings = []
    if build.oldest_waiting_at is not None and _hours_since(build.oldest_waiting_at, now) > limit:
        findings.append(
            Finding(
                "stale_build",
                f"{build.loads_waiting} load(s) have waited {_hours_since(build.oldest_waiting_at, now):.1f} h for a "
                f"build (limit {limit:g} h): no build has finished since build {build.build_id}.",
                "The builds fail or do not run: run `funnelhouse run` and read its failures (or the failed runs in "
                "`make dev`).",
            )
        )
    built_long_ago = build.built_at is None or _hours_since(build.built_at, now) > limit
    if checks_readers and build.readers_build != build.build_id and built_long_ago:
        readers = "the Spark tables hold" if settings.target == SPARK else "the serving copy publishes"
        seen = f"build {build.readers_build}" if build.readers_build is not None else "no build"
        findings.append(
            Finding(
                "readers_behind",
                f"The last build is {build.build_id}, but {readers} {seen}: readers do not see it.",
                "Run `funnelhouse run`: it builds and publishes again, and names the step that fails.",
            )
        )
    return findings


def _source_findings(sources: list[SourceLoads], now: datetime, landing: Path) -> list[Finding]:
    return [finding for source in sources if (finding := _source_finding(source, now, landing)) is not None]


def _source_finding(source: SourceLoads, now: datetime, landing: Path) -> Finding | None:
    """A source that delivered before and stopped; events, the shop's heartbeat, also when they never came.
    An export that never delivered is not expected: not every shop sends every export."""
    if source.expected_hours is None or (source.newest_loaded_at is None and source.table != EVENTS):
        return None
    folder = landing / (EVENTS if source.table == EVENTS else CSV_SOURCES[source.table].folder)
    if source.newest_loaded_at is None:
        return Finding(
            "stale_source",
            "raw.events: no events file was ever loaded.",
            f"Point the tracker's delivery at {folder}/ and run `funnelhouse run`.",
            source=EVENTS,
        )
    age = _hours_since(source.newest_loaded_at, now)
    if age <= source.expected_hours:
        return None
    return Finding(
        "stale_source",
        f"raw.{source.table}: no file loaded for {age:.1f} h (expected within {source.expected_hours:g} h).",
        f"Check that files still land in {folder}/ and that the hourly schedule or the landing sensor is on "
        "(`make dev`); pending files are landed but not loaded.",
        source=source.table,
    )


def _rejection_findings(sources: list[SourceLoads]) -> list[Finding]:
    """Judged file by file, as the load's own check does: one broken file among many good ones must show."""
    findings = []
    for source in sources:
        if not source.files_over_limit:
            continue
        worst = ", ".join(
            f"{share.path} {share.rejected / share.rows:.1%} ({share.rejected:,} of {share.rows:,})"
            for share in source.files_over_limit[:_NAMED_FILES]
        )
        rejects = "raw.rejected_events" if source.table == EVENTS else "raw.rejected_rows"
        load_ids = ", ".join(str(load_id) for load_id in sorted(share.load_id for share in source.files_over_limit))
        findings.append(
            Finding(
                "rejected_share",
                f"raw.{source.table}: {len(source.files_over_limit)} of the {source.last_files} file(s) of its last "
                f"load had more than {REJECTED_SHARE_LIMIT:.0%} of their rows rejected: {worst}.",
                f"Read the reasons (select reason, count(*) from {rejects} where load_id in ({load_ids}) group by 1) "
                'and fix the tracker or export at its source; README "Bad input" explains each reason.',
                source=source.table,
            )
        )
    return findings


def _landing_findings(landing: Landing, settings: Settings, *, checks_pending: bool) -> list[Finding]:
    if not landing.exists:
        return [
            Finding(
                "no_landing_zone",
                f"The landing zone {landing.path} does not exist: runs load nothing.",
                "Set FUNNELHOUSE_LANDING or pass --landing to the folder the shop delivers to.",
            )
        ]
    findings = []
    if landing.quarantined:
        named = "; ".join(
            f"{file.path}: {(file.error or '').splitlines()[0]}" for file in landing.quarantined[:_NAMED_FILES]
        )
        findings.append(
            Finding(
                "quarantined",
                f"{len(landing.quarantined)} file(s) could not be read and are not loaded: {named}.",
                "Re-deliver each one whole (a new content under the same path is tried again) or remove it; "
                "select * from raw.rejected_files.",
            )
        )
    limit = settings.status_limits.pending_file_hours
    stuck = [file for file in landing.pending if file.age_hours > limit] if checks_pending else []
    if stuck:
        named = ", ".join(file.path for file in stuck[:_NAMED_FILES])
        findings.append(
            Finding(
                "pending_files",
                f"{len(stuck)} ready file(s) landed more than {limit:g} h ago are not loaded (oldest "
                f"{stuck[0].age_hours:.1f} h): {named}.",
                "No run takes them: switch on the hourly schedule or the landing sensor (`make dev`), or run "
                "`funnelhouse run`.",
            )
        )
    return findings


# --- the report ----------------------------------------------------------------------------------------------


def format_status(status: Status) -> str:
    if status.exit_code == EXIT_CANNOT_TELL:
        return f"Funnelhouse status at {_when(status.now)}: CANNOT TELL\n  {status.note}"
    verdict = f"{len(status.findings)} finding(s)" if status.findings else "OK, nothing needs attention"
    lines = [f"Funnelhouse status at {_when(status.now)}: {verdict}", f"Warehouse  {status.warehouse}"]
    if status.note:
        lines.append(_wrapped(f"  note: {status.note}", indent="    "))
    lines += _build_lines(status)
    lines += _source_lines(status)
    if status.landing is not None:
        lines += _landing_lines(status.landing)
    lines.append("Sizes      " + ", ".join(f"{name} {_size(size)}" for name, size in status.sizes.items()))
    for finding in status.findings:
        lines.append(_wrapped(f"! {finding.check}: {finding.problem}", indent="  "))
        lines.append(_wrapped(f"  what to do: {finding.action}", indent="    "))
    return "\n".join(lines)


def _build_lines(status: Status) -> list[str]:
    build = status.build
    if build is None:
        return ["  last build       none finished"]
    finished = f"finished {_when(build.built_at)}, {_ago(build.built_at, status.now)}" if build.built_at else ""
    lines = [f"  last build       {build.build_id} {finished}".rstrip()]
    if build.loads_waiting:
        lines.append(f"  loads waiting    {build.loads_waiting} since {_when(build.oldest_waiting_at)}")
    if status.read_from == "warehouse":
        seen = build.readers_build if build.readers_build is not None else "none"
        lines.append(f"  readers see      build {seen}")
    if status.newest_event_at is not None:
        lines.append(
            f"  newest event     occurred {_when(status.newest_event_at)}, {_ago(status.newest_event_at, status.now)}"
        )
    return lines


def _source_lines(status: Status) -> list[str]:
    lines = [
        f"  {'source':<14} {'newest file loaded':<22} {'age':>10}  {'expected':>8}  {'last load: files':>16} "
        f"{'rows':>9} {'rejected':>9}"
    ]
    for source in status.sources:
        loaded_at = _when(source.newest_loaded_at) if source.newest_loaded_at else "never"
        age = _ago(source.newest_loaded_at, status.now) if source.newest_loaded_at else ""
        expected = f"{source.expected_hours:g} h" if source.expected_hours is not None else "-"
        rejected = f"{source.last_share:.1%}" if source.last_rows else ""
        lines.append(
            f"  {source.table:<14} {loaded_at:<22} {age:>10}  {expected:>8}  {source.last_files:>16} "
            f"{source.last_rows:>9,} {rejected:>9}"
        )
    return lines


def _landing_lines(landing: Landing) -> list[str]:
    if not landing.exists:
        return [f"Landing    {landing.path} (missing)"]
    oldest = f" (oldest {landing.pending[0].age_hours:.1f} h)" if landing.pending else ""
    return [
        f"Landing    {landing.path}",
        f"  {len(landing.pending)} pending{oldest}, {landing.waiting} waiting, {landing.in_progress} in progress, "
        f"{len(landing.quarantined)} quarantined, {landing.ignored} ignored",
    ]


def _wrapped(text: str, *, indent: str) -> str:
    """Wrapped at spaces only: file names and SQL stay whole on a line."""
    return textwrap.fill(text, _WIDTH, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


def _when(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M UTC")


def _ago(then: datetime, now: datetime) -> str:
    """How long ago; an event's time comes from a device's clock, which can run ahead of ours."""
    hours = _hours_since(then, now)
    when = "ago" if hours >= 0 else "ahead of this clock"
    hours = abs(hours)
    if hours < 1:
        return f"{hours * 60:.0f} min {when}"
    if hours < 48:
        return f"{hours:.1f} h {when}"
    return f"{hours / 24:.1f} d {when}"


def _size(size: int | None) -> str:
    if size is None:
        return "(none)"
    return f"{size / 1e6:,.1f} MB"
