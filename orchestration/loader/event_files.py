"""Loading one tracking-event file (JSONL, gzipped JSONL or Parquet) into raw.events."""

import gzip
import tempfile
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.loader.event_contract import TOP_LEVEL_OBJECTS
from orchestration.loader.event_validation import validation_query
from orchestration.loader.ledger import FileOutcome, LandingFile
from orchestration.loader.pii import mask_free_text

EVENT_FILE_PATTERNS = ("**/*.jsonl", "**/*.jsonl.gz", "**/*.parquet")
# A byte that cannot occur unescaped in valid JSON: reading lines as one CSV column split on it keeps
# every line whole. Lines that do contain it are invalid JSON and are caught by the sanitising pass.
_NO_SPLIT = "\x1e"
# Lines past this are beyond DuckDB's CSV reader; the sanitising pass rejects them as oversized.
_LONGEST_READABLE_LINE = 8 * 1024 * 1024
_KEPT_OVERSIZED_PREFIX = 4096


def _lines_from_text_file(path: Path) -> str:
    return (
        "select row_number() over () as line_number, raw "
        f"from read_csv('{_quoted(path)}', columns = {{'raw': 'varchar'}}, delim = '{_NO_SPLIT}', "
        f"quote = '', escape = '', header = false, auto_detect = false, max_line_size = {_LONGEST_READABLE_LINE})"
    )


def _lines_from_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """Each Parquet row becomes the JSON object it stands for, so it meets the same rules as a JSONL line."""
    scan = f"read_parquet('{_quoted(path)}', file_row_number = true)"
    columns = con.execute(f"describe select * from {scan}").fetchall()
    members = []
    for name, column_type, *_ in columns:
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


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _sanitised_copy(path: Path, workdir: Path) -> tuple[Path, list[tuple[int, str, str]]]:
    """For files DuckDB cannot read as UTF-8 text: blank out undecodable lines and reject them here.

    Only runs when the fast path failed, so corrupt files are loaded line by line and good files never are.
    """
    rejected: list[tuple[int, str, str]] = []
    copy = workdir / "sanitised.jsonl"
    opener = gzip.open if path.name.endswith(".gz") else open
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


def _judge_lines(con: duckdb.DuckDBPyConnection, lines_sql: str, load_time: datetime, salt: str) -> None:
    # Materialised on purpose: reading a (gzipped) file and numbering its lines is serial, the validation
    # that follows runs in parallel over the row groups of this table.
    con.execute(f"create or replace temp table event_lines as {lines_sql}")
    con.execute(
        f"create or replace temp table judged_lines as {validation_query()}",
        {"load_time": load_time, "salt": salt},
    )


def _judge_prerejected(con: duckdb.DuckDBPyConnection, prerejected: list[tuple[int, str, str]]) -> None:
    if not prerejected:
        return
    con.execute("create or replace temp table prerejected (line_number bigint, reason varchar, raw varchar)")
    con.executemany("insert into prerejected values (?, ?, ?)", prerejected)
    con.execute("delete from judged_lines where line_number in (select line_number from prerejected)")
    con.execute(
        f"insert into judged_lines (line_number, reason, rejected_text) "
        f"select line_number, reason, {mask_free_text('raw')} from prerejected"
    )


def judge_event_file(con: duckdb.DuckDBPyConnection, file: LandingFile, load_time: datetime, salt: str) -> None:
    """Fill the temp table judged_lines with one verdict per line of the file."""
    if file.path.endswith(".parquet"):
        _judge_lines(con, _lines_from_parquet(con, file.absolute), load_time, salt)
        return
    try:
        _judge_lines(con, _lines_from_text_file(file.absolute), load_time, salt)
    except duckdb.InvalidInputException:
        with tempfile.TemporaryDirectory() as workdir:
            copy, prerejected = _sanitised_copy(file.absolute, Path(workdir))
            _judge_lines(con, _lines_from_text_file(copy), load_time, salt)
            _judge_prerejected(con, prerejected)


def store_judged_events(con: duckdb.DuckDBPyConnection, file: LandingFile, load_id: int) -> FileOutcome:
    """Append first deliveries to raw.events and rejects to raw.rejected_events; count the rest."""
    params = {"load_id": load_id, "path": file.path}
    loaded = con.execute(
        """
        insert into raw.events
        with first_in_file as (
            select * from judged_lines
            where reason is null
            qualify row_number() over (partition by event_id order by line_number) = 1
        )
        select
            event_id, event_name, occurred_at, sent_at, anonymous_id, user_id,
            page, campaign, context, properties,
            $load_id, $path, line_number, now()
        from first_in_file as candidate
        where not exists (select 1 from raw.events as stored where stored.event_id = candidate.event_id)
        order by line_number
        """,
        params,
    ).fetchone()[0]
    con.execute(
        """
        insert into raw.rejected_events
        select $load_id, $path, line_number, reason, rejected_text, now()
        from judged_lines where reason is not null
        order by line_number
        """,
        params,
    )
    rows, rejected = con.execute(
        "select count(*), count(*) filter (where reason is not null) from judged_lines"
    ).fetchone()
    return FileOutcome(rows=rows, loaded=loaded, duplicates=rows - rejected - loaded, rejected=rejected)
