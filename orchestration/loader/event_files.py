"""Loading tracking-event files (JSONL, gzipped JSONL or Parquet) into raw.events, a batch at a time.

A file that cannot be read, or a Parquet file whose columns cannot hold the contract's fields, raises
UnreadableFileError naming it; the caller quarantines it and judges the rest of the batch without it.
"""

import gzip
import tempfile
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.loader.erasure_identities import ERASED_IDENTITY_COLUMNS
from orchestration.loader.event_contract import EARLIEST_TIMESTAMP, TOP_LEVEL_OBJECTS, TOP_LEVEL_STRINGS_REQUIRED
from orchestration.loader.event_validation import rewrite_query, validation_query
from orchestration.loader.exact_reads import FILE_ERRORS, ensure_whole_gzip, readable_alias, unreadable
from orchestration.loader.ledger import FileOutcome, LandingFile, UnreadableFileError
from orchestration.loader.pii import personal_data_hits_sql, scrub_text_sql
from orchestration.warehouse import path_literal

# A byte that cannot occur unescaped in valid JSON: reading lines as one CSV column split on it keeps
# every line whole. Lines that do contain it are invalid JSON and are caught by the sanitising pass.
_NO_SPLIT = "\x1e"
# Parquet column types that can hold the contract's fields; any other type fails every row the same way,
# so the file is refused as a whole instead of rejecting each of its rows.
_PARQUET_STRING_TYPES = ("VARCHAR",)
_PARQUET_TIMESTAMP_TYPES = ("VARCHAR", "TIMESTAMP WITH TIME ZONE")
_PARQUET_OBJECT_PREFIXES = ("STRUCT", "MAP", "JSON", "VARCHAR")
# Lines past this are beyond DuckDB's CSV reader; the sanitising pass rejects them as oversized.
_LONGEST_READABLE_LINE = 8 * 1024 * 1024
_KEPT_OVERSIZED_PREFIX = 4096


def _lines_from_text_file(path: Path) -> str:
    return (
        "select row_number() over () as line_number, raw "
        f"from read_csv({path_literal(path)}, columns = {{'raw': 'varchar'}}, delim = '{_NO_SPLIT}', "
        f"quote = '', escape = '', header = false, auto_detect = false, max_line_size = {_LONGEST_READABLE_LINE})"
    )


def _parquet_layout_errors(columns: dict[str, str]) -> list[str]:
    """Why a Parquet file's columns cannot carry contract events; a row-level fault is the validator's."""
    errors = [f"lacks column {name}" for name in TOP_LEVEL_STRINGS_REQUIRED if name not in columns]
    for name, column_type in columns.items():
        if name == "occurred_at" or name == "sent_at":
            allowed = column_type in _PARQUET_TIMESTAMP_TYPES
        elif name in TOP_LEVEL_STRINGS_REQUIRED:
            allowed = column_type in _PARQUET_STRING_TYPES
        elif name in TOP_LEVEL_OBJECTS:
            allowed = column_type.startswith(_PARQUET_OBJECT_PREFIXES)
        else:
            continue  # unknown fields are kept but ignored, whatever their type
        if not allowed:
            errors.append(f"column {name} is {column_type}")
    return errors


def _lines_from_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """Each Parquet row becomes the JSON object it stands for, so it meets the same rules as a JSONL line."""
    scan = f"read_parquet({path_literal(path)}, file_row_number = true)"
    columns = {name: column_type for name, column_type, *_ in con.execute(f"describe select * from {scan}").fetchall()}
    if errors := _parquet_layout_errors({k: v for k, v in columns.items() if k != "file_row_number"}):
        raise UnreadableFileError("Parquet file cannot hold tracking events: " + "; ".join(errors))
    members = []
    for name, column_type in columns.items():
        if name == "file_row_number":
            continue
        value = f'"{name}"'
        if name in TOP_LEVEL_OBJECTS and column_type == "VARCHAR":
            value = f"case when json_valid({value}) then {value}::json else to_json({value}) end"
        members.append(f'"{name}" := {value}')
    return (
        f"select file_row_number + 1 as line_number, to_json(struct_pack({', '.join(members)}))::varchar as raw "
        f"from {scan}"
    )


def _sanitised_copy(path: Path, copy: Path) -> tuple[Path, list[tuple[int, str, str]]]:
    """For files DuckDB cannot read as UTF-8 text: blank out undecodable lines and reject them here.

    Only runs when the fast path failed, so corrupt files are loaded line by line and good files never are.
    """
    rejected: list[tuple[int, str, str]] = []
    opener = gzip.open if path.name.endswith(".gz") else open  # path is our alias: its suffix is lower case
    with opener(path, "rb") as source, copy.open("wb") as target:
        for line_number, line in enumerate(source, start=1):
            body = line.rstrip(b"\r\n")
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                rejected.append((line_number, "invalid_encoding", body.decode("utf-8", errors="replace")))
                target.write(b"\n")
                continue
            if len(body) >= _LONGEST_READABLE_LINE:
                rejected.append((line_number, "oversized_line", text[:_KEPT_OVERSIZED_PREFIX]))
                target.write(b"\n")
                continue
            if _NO_SPLIT in text:
                rejected.append((line_number, "invalid_json", text))
                target.write(b"\n")
                continue
            target.write(body + b"\n")
    return copy, rejected


def _append_lines(con: duckdb.DuckDBPyConnection, file_index: int, path: Path, workdir: Path) -> list[tuple]:
    """Append the lines of the file at path (our alias) to event_lines; the lines rejected before SQL."""
    if path.name.endswith(".parquet"):
        con.execute(f"insert into event_lines select {file_index}, * from ({_lines_from_parquet(con, path)})")
        return []
    try:
        con.execute(f"insert into event_lines select {file_index}, * from ({_lines_from_text_file(path)})")
        return []
    except duckdb.InvalidInputException:
        copy, prerejected = _sanitised_copy(path, workdir / f"sanitised-{file_index}.jsonl")
        con.execute(f"insert into event_lines select {file_index}, * from ({_lines_from_text_file(copy)})")
        return [(file_index, *line) for line in prerejected]


def _read_lines(con: duckdb.DuckDBPyConnection, file_index: int, file: LandingFile, workdir: Path) -> list[tuple]:
    """The file's lines, read by its exact name and whole; UnreadableFileError when it cannot be."""
    if file.bytes == 0:
        return []  # an empty file holds no events; no reader needs to see it (an empty Parquet file has no footer)
    if file.format.endswith(".gz"):
        ensure_whole_gzip(file)
    alias = readable_alias(file, workdir, f"landed-{file_index}")
    try:
        return _append_lines(con, file_index, alias, workdir)
    except FILE_ERRORS as error:
        raise unreadable(file, error, alias) from error


def _judge_prerejected(con: duckdb.DuckDBPyConnection, prerejected: list[tuple]) -> None:
    if not prerejected:
        return
    con.execute(
        "create or replace temp table prerejected (file_index integer, line_number bigint, reason varchar, raw varchar)"
    )
    con.executemany("insert into prerejected values (?, ?, ?, ?)", prerejected)
    con.execute(
        "delete from judged_lines where (file_index, line_number) in "
        "(select (file_index, line_number) from prerejected)"
    )
    con.execute(
        f"insert into judged_lines (file_index, line_number, reason, rejected_text) "
        f"select file_index, line_number, reason, {scrub_text_sql('raw')} from prerejected"
    )


def _mark_first_deliveries(con: duckdb.DuckDBPyConnection) -> None:
    """first_deliveries: the valid lines whose event_id neither the warehouse nor an earlier line holds.

    Judged for the whole batch at once, so the warehouse's event ids are scanned once per batch, not once
    per file. Files then commit one by one in batch order, which keeps first delivery = first in path order.
    """
    con.execute(
        """
        create or replace temp table first_deliveries as
        with first_in_batch as (
            select file_index, line_number, event_id
            from judged_lines
            where reason is null
                and (file_index, line_number) not in (select (file_index, line_number) from forgotten_lines)
            qualify row_number() over (partition by event_id order by file_index, line_number) = 1
        )
        select file_index, line_number
        from first_in_batch as candidate
        where not exists (select 1 from raw.events as stored where stored.event_id = candidate.event_id)
        """
    )


def _take_out_personal_data(con: duckdb.DuckDBPyConnection) -> None:
    """The few lines the validator flagged go through Python (pii.Pseudonymiser), gathered in a table of
    their own first: a Python function called inside the big query gets a handful of rows per call, and
    its fixed cost per call was a third of the whole cost of personal data."""
    con.execute(
        """
        create or replace temp table python_lines as
        select lines.file_index, lines.line_number, lines.raw, judged.is_json
        from event_lines as lines
        inner join judged_lines as judged
            on lines.file_index = judged.file_index and lines.line_number = judged.line_number
        where judged.needs_python
        """
    )
    con.execute(
        "create or replace temp table rewritten_lines as select file_index, line_number, "
        f"pii_event_line(raw, is_json, {personal_data_hits_sql('raw')}) as line from python_lines"
    )
    con.execute(rewrite_query())


def _mark_forgotten(con: duckdb.DuckDBPyConnection, salt: str) -> None:
    """forgotten_lines: the lines of people erased before (raw.erased_identities), valid or not."""
    con.execute("create or replace temp table forgotten_lines (file_index integer, line_number bigint)")
    if not con.execute("select count(*) from raw.erased_identities").fetchone()[0]:
        return  # hashing every line's ids costs; most warehouses never erase anyone
    identities = " or ".join(
        f"sha256($salt || '{kind}:' || {value}) in "
        f"(select identity_sha256 from raw.erased_identities where kind = '{kind}')"
        for kind, value in ERASED_IDENTITY_COLUMNS.items()
    )
    con.execute(
        f"insert into forgotten_lines select file_index, line_number from judged_lines where {identities}",
        {"salt": salt},
    )


def judge_event_files(
    con: duckdb.DuckDBPyConnection,
    files: list[LandingFile],
    load_time: datetime,
    *,
    salt: str,
    earliest: datetime = EARLIEST_TIMESTAMP,
) -> None:
    """Judge every line of a batch of files in one parallel query: temp tables judged_lines, forgotten_lines,
    first_deliveries.

    Events that occurred (or were sent) before `earliest` are rejected as timestamp_out_of_range; lines of
    people erased before, hashed with `salt`, are forgotten.

    Only temp tables are written, so this runs outside any transaction: a file DuckDB cannot read as text
    fails here and is re-read line by line without an aborted transaction in the way, and a file that
    cannot be read at all raises UnreadableFileError with nothing to roll back.
    """
    con.execute("create or replace temp table event_lines (file_index integer, line_number bigint, raw varchar)")
    with tempfile.TemporaryDirectory() as workdir:
        prerejected = [
            line for index, file in enumerate(files) for line in _read_lines(con, index, file, Path(workdir))
        ]
    con.execute(
        f"create or replace temp table judged_lines as {validation_query()}",
        {"load_time": load_time, "earliest": earliest},
    )
    _take_out_personal_data(con)
    _judge_prerejected(con, prerejected)
    _mark_forgotten(con, salt)
    _mark_first_deliveries(con)


def store_judged_events(
    con: duckdb.DuckDBPyConnection, file_index: int, file: LandingFile, load_id: int, *, load_time: datetime
) -> FileOutcome:
    """Append the file's first deliveries to raw.events and its rejects to raw.rejected_events, stamped with
    the load's time; forgotten people's lines go nowhere."""
    params = {"file_index": file_index, "load_id": load_id, "path": file.path, "load_time": load_time}
    # Columns named: a warehouse older than unknown_fields has it last (added by RAW_SCHEMA_DDL's alter).
    loaded = con.execute(
        """
        insert into raw.events (
            event_id, event_name, occurred_at, sent_at, anonymous_id, user_id, page, campaign, context,
            properties, unknown_fields, load_id, source_file, source_line, loaded_at
        )
        select
            judged.event_id, judged.event_name, judged.occurred_at, judged.sent_at, judged.anonymous_id,
            judged.user_id, judged.page, judged.campaign, judged.context, judged.properties, judged.unknown_fields,
            $load_id, $path, judged.line_number, $load_time
        from judged_lines as judged
        inner join first_deliveries as first
            on judged.file_index = first.file_index and judged.line_number = first.line_number
        where judged.file_index = $file_index
        order by judged.line_number
        """,
        params,
    ).fetchone()[0]
    con.execute(
        """
        insert into raw.rejected_events
        select $load_id, $path, line_number, reason, rejected_text, $load_time
        from judged_lines
        where file_index = $file_index and reason is not null
            and line_number not in (select line_number from forgotten_lines where file_index = $file_index)
        order by line_number
        """,
        params,
    )
    rows, rejected, forgotten = con.execute(
        """
        select
            count(*),
            count(*) filter (where reason is not null and forgotten.line_number is null),
            count(forgotten.line_number)
        from judged_lines as judged
        left join forgotten_lines as forgotten
            on judged.file_index = forgotten.file_index and judged.line_number = forgotten.line_number
        where judged.file_index = $file_index
        """,
        {"file_index": file_index},
    ).fetchone()
    return FileOutcome(
        rows=rows,
        loaded=loaded,
        duplicates=rows - rejected - loaded - forgotten,
        rejected=rejected,
        forgotten=forgotten,
    )
