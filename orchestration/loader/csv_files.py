"""Loading daily-export and catalog CSV files into their raw table, rejecting rows that fail their types.

The files of a source are read one by one (each with its own header) into one table, judged by one query,
then stored file by file: the judging query's rules and personal-data patterns cost more to compile than
a day's export costs to judge, so it is compiled once per source and run, not once per file.
"""

import tempfile
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.loader.csv_sources import CsvSource, rejection_reason_sql, typed_columns_sql
from orchestration.loader.event_contract import EARLIEST_TIMESTAMP
from orchestration.loader.exact_reads import FILE_ERRORS, ensure_whole_gzip, readable_alias, unreadable
from orchestration.loader.ledger import FileOutcome, LandingFile, UnreadableFileError
from orchestration.loader.pii import scrub_text_sql
from orchestration.warehouse import path_literal


class CsvLayoutError(UnreadableFileError):
    """The file's header lacks columns the source needs: no row of it can be trusted."""


@dataclass(frozen=True)
class ReadCsv:
    """One file of a batch as read: the header's columns the source does not know, or why it cannot be read."""

    unknown_columns: tuple[str, ...] = ()
    error: UnreadableFileError | None = None


def _read_file(con: duckdb.DuckDBPyConnection, source: CsvSource, file_index: int, path: Path) -> tuple[str, ...]:
    """Append the rows of the file at path (our alias) to csv_rows; the header's columns the source does not know."""
    con.execute(
        "create or replace temp table csv_file as "
        "select row_number() over () + 1 as line_number, * "
        f"from read_csv({path_literal(path)}, header = true, all_varchar = true, null_padding = true)"
    )
    header = [row[0] for row in con.execute("describe csv_file").fetchall() if row[0] != "line_number"]
    missing = [c.name for c in source.columns if c.name not in header]
    if missing:
        raise CsvLayoutError(f"header lacks column(s) {', '.join(missing)} required for {source.table}")
    names = ", ".join(f'"{c.name}"' for c in source.columns)
    con.execute(f"insert into csv_rows select {file_index}, line_number, {names} from csv_file")
    known = {c.name for c in source.columns}
    return tuple(name for name in header if name not in known)


def _read_one(con: duckdb.DuckDBPyConnection, source: CsvSource, file_index: int, file: LandingFile) -> ReadCsv:
    if file.bytes == 0:
        return ReadCsv()  # no header, no rows: nothing to refuse
    try:
        if file.format.endswith(".gz"):
            ensure_whole_gzip(file)
        with tempfile.TemporaryDirectory(prefix="funnelhouse-") as workdir:
            alias = readable_alias(file, Path(workdir), "landed")
            try:
                return ReadCsv(unknown_columns=_read_file(con, source, file_index, alias))
            except FILE_ERRORS as error:
                raise unreadable(file, error, alias) from error
    except UnreadableFileError as error:
        return ReadCsv(error=error)


def judge_csv_files(
    con: duckdb.DuckDBPyConnection,
    source: CsvSource,
    files: list[LandingFile],
    *,
    earliest: datetime = EARLIEST_TIMESTAMP,
    load_time: datetime,
) -> list[ReadCsv]:
    """Temp table judged_rows: every row of the files, by file_index (the position in `files`), with its
    rejection reason or its typed cells. Dates more than a day after `load_time` are rejected.

    Only temp tables are written: a file that cannot be read is named in its ReadCsv and the rest are judged.
    """
    columns = ", ".join(f'"{c.name}" varchar' for c in source.columns)
    con.execute(f"create or replace temp table csv_rows (file_index integer, line_number bigint, {columns})")
    read = [_read_one(con, source, index, file) for index, file in enumerate(files)]
    reason, column = rejection_reason_sql(source, earliest, load_time)
    row_text = scrub_text_sql(
        "concat_ws(',', " + ", ".join(f"coalesce(\"{c.name}\", '')" for c in source.columns) + ")"
    )
    con.execute(
        f"create or replace temp table judged_rows as "
        f"select file_index, line_number, {reason} as reason, {column} as column_name, {row_text} as raw_text, "
        f"{typed_columns_sql(source.columns)} from csv_rows"
    )
    return read


def store_judged_rows(
    con: duckdb.DuckDBPyConnection,
    source: CsvSource,
    file_index: int,
    file: LandingFile,
    read: ReadCsv,
    load_id: int,
    *,
    load_time: datetime,
) -> FileOutcome:
    """Append the file's typed rows to its raw table and its rejected rows to raw.rejected_rows.

    Columns the source does not know are not stored; the outcome names them, so they are never lost unseen.
    """
    names = ", ".join(f'"{c.name}"' for c in source.columns)
    params = {"load_id": load_id, "path": file.path, "file_index": file_index}
    loaded = con.execute(
        f"insert into raw.{source.table} select {names}, $load_id, $path, line_number "
        "from judged_rows where file_index = $file_index and reason is null order by line_number",
        params,
    ).fetchone()[0]
    rejected = con.execute(
        "insert into raw.rejected_rows "
        f"select $load_id, '{source.table}', $path, line_number, reason, column_name, raw_text, $load_time "
        "from judged_rows where file_index = $file_index and reason is not null order by line_number",
        {**params, "load_time": load_time},
    ).fetchone()[0]
    outcome = FileOutcome(rows=loaded + rejected, loaded=loaded, duplicates=0, rejected=rejected)
    if not read.unknown_columns:
        return outcome
    unknown = ", ".join(read.unknown_columns)
    return replace(outcome, warnings=(f"{file.path}: column(s) {unknown} not in {source.table}, not loaded",))
