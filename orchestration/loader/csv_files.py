"""Loading one daily-export or catalog CSV file into its raw table, rejecting rows that fail their types."""

import tempfile
from dataclasses import replace
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


def _read_rows(con: duckdb.DuckDBPyConnection, source: CsvSource, path: Path) -> list[str]:
    """View csv_rows over the file at path (our alias); the header's columns the source does not know."""
    con.execute(
        "create or replace temp view csv_rows as "
        "select row_number() over () + 1 as line_number, * "
        f"from read_csv({path_literal(path)}, header = true, all_varchar = true, null_padding = true)"
    )
    header = [row[0] for row in con.execute("describe csv_rows").fetchall() if row[0] != "line_number"]
    missing = [c.name for c in source.columns if c.name not in header]
    if missing:
        raise CsvLayoutError(f"header lacks column(s) {', '.join(missing)} required for {source.table}")
    known = {c.name for c in source.columns}
    return [name for name in header if name not in known]


def _store_rows(
    con: duckdb.DuckDBPyConnection,
    source: CsvSource,
    file: LandingFile,
    load_id: int,
    earliest: datetime,
    load_time: datetime,
) -> FileOutcome:
    reason, column = rejection_reason_sql(source, earliest, load_time)
    row_text = scrub_text_sql(
        "concat_ws(',', " + ", ".join(f"coalesce(\"{c.name}\", '')" for c in source.columns) + ")"
    )
    con.execute(
        f"create or replace temp table judged_rows as "
        f"select line_number, {reason} as reason, {column} as column_name, {row_text} as raw_text, "
        f"{typed_columns_sql(source.columns)} from csv_rows"
    )
    names = ", ".join(f'"{c.name}"' for c in source.columns)
    params = {"load_id": load_id, "path": file.path}
    loaded = con.execute(
        f"insert into raw.{source.table} select {names}, $load_id, $path, line_number "
        "from judged_rows where reason is null order by line_number",
        params,
    ).fetchone()[0]
    rejected = con.execute(
        "insert into raw.rejected_rows "
        f"select $load_id, '{source.table}', $path, line_number, reason, column_name, raw_text, $load_time "
        "from judged_rows where reason is not null order by line_number",
        {**params, "load_time": load_time},
    ).fetchone()[0]
    return FileOutcome(rows=loaded + rejected, loaded=loaded, duplicates=0, rejected=rejected)


def load_csv_file(
    con: duckdb.DuckDBPyConnection,
    source: CsvSource,
    file: LandingFile,
    load_id: int,
    *,
    earliest: datetime = EARLIEST_TIMESTAMP,
    load_time: datetime,
) -> FileOutcome:
    """Store the file's typed rows and its rejected rows; UnreadableFileError when the file cannot be read.

    Dates more than a day after `load_time` are rejected, and the rejects are stamped with it.

    Columns the source does not know are not stored; the outcome names them, so they are never lost unseen.
    """
    if file.bytes == 0:
        return FileOutcome(rows=0, loaded=0, duplicates=0, rejected=0)  # no header, no rows: nothing to refuse
    if file.format.endswith(".gz"):
        ensure_whole_gzip(file)
    with tempfile.TemporaryDirectory(prefix="funnelhouse-") as workdir:
        alias = readable_alias(file, Path(workdir), "landed")
        try:
            extra = _read_rows(con, source, alias)
            outcome = _store_rows(con, source, file, load_id, earliest, load_time)
        except FILE_ERRORS as error:
            raise unreadable(file, error, alias) from error
    if not extra:
        return outcome
    return replace(outcome, warnings=(f"{file.path}: column(s) {', '.join(extra)} not in {source.table}, not loaded",))
