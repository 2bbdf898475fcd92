"""The raw layer as Parquet, for engines that do not read DuckDB files (the Spark target, README "Spark").

The loader judges, rejects and records every file in its DuckDB database exactly as for the DuckDB target;
this module then mirrors the raw tables the models read into one folder of Parquet files per table, which
Spark registers as tables (macros/raw_parquet_tables.sql). Append-only tables are written one file per load,
so an hourly run writes only its new loads; a load whose rows changed since it was written (an erasure
removed some) is written again, and a load gone from the database loses its file. The few small tables that
are updated in place (the ledger, the pending rebuilds) are rewritten whole.

Every file is written aside and renamed into place: a reader sees a load's file whole or not at all.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration import warehouse
from orchestration.warehouse import path_literal

# The raw tables the dbt models read (models/staging/_sources.yml); each appended to one load at a time.
PER_LOAD_TABLES = (
    "events",
    "rejected_events",
    "rejected_rows",
    "products",
    "videos",
    "hotspots",
    "inventory",
    "ad_spend",
    "social",
    "fx_rates",
    "messages",
)
# Small tables that change in place: written whole on every export.
WHOLE_TABLES = ("load_ledger", "pending_rebuilds")
LOAD_FILE = "load-{load_id:012d}.parquet"
# A table with no loads yet still needs a file: Spark takes a table's columns from its files.
EMPTY_FILE = "empty.parquet"
ROW_COUNTS = "_rows_by_load.tsv"  # per-load row counts of the files written, to find loads that changed


@dataclass(frozen=True)
class RawExport:
    folder: Path
    files_written: int
    files_removed: int


def raw_parquet_folder(db_path: Path) -> Path:
    """Beside the loader's database, like its spill and dbt build folders."""
    return db_path.with_name(f"{db_path.stem}.raw_parquet")


def spark_folder(db_path: Path) -> Path:
    """The Spark target's own folder, beside the loader's database as its raw layer is: the Spark warehouse
    (`warehouse/`, every model a folder of Parquet files) and its table catalog (`metastore/`)."""
    return db_path.with_name(f"{db_path.stem}.spark")


def export_raw_layer(db_path: Path, folder: Path | None = None) -> RawExport:
    """Bring the Parquet raw layer level with the loader's database; returns what it wrote and removed."""
    folder = folder or raw_parquet_folder(db_path)
    written = removed = 0
    con = warehouse.connect(db_path, read_only=True)
    try:
        for table in PER_LOAD_TABLES:
            table_written, table_removed = _export_per_load(con, table, folder / table)
            written += table_written
            removed += table_removed
        for table in WHOLE_TABLES:
            _write_parquet(con, f"select * from raw.{table}", folder / table / f"{table}.parquet")
            written += 1
    finally:
        con.close()
    return RawExport(folder=folder, files_written=written, files_removed=removed)


def _export_per_load(con: duckdb.DuckDBPyConnection, table: str, folder: Path) -> tuple[int, int]:
    folder.mkdir(parents=True, exist_ok=True)
    current = dict(con.execute(f"select load_id, count(*) from raw.{table} group by load_id").fetchall())
    exported = _exported_counts(folder)
    written = removed = 0
    for load_id, rows in sorted(current.items()):
        if exported.get(load_id) != rows:
            _write_parquet(
                con,
                f"select * from raw.{table} where load_id = {int(load_id)}",
                folder / LOAD_FILE.format(load_id=load_id),
            )
            written += 1
    for load_id in exported.keys() - current.keys():
        (folder / LOAD_FILE.format(load_id=load_id)).unlink(missing_ok=True)
        removed += 1
    empty = folder / EMPTY_FILE
    if current:
        empty.unlink(missing_ok=True)
    elif not empty.exists():
        _write_parquet(con, f"select * from raw.{table} limit 0", empty)
        written += 1
    _record_counts(folder, current)
    return written, removed


def _exported_counts(folder: Path) -> dict[int, int]:
    counts_file = folder / ROW_COUNTS
    if not counts_file.exists():
        return {}
    counts = {}
    for line in counts_file.read_text().splitlines():
        load_id, rows = line.split("\t")
        if (folder / LOAD_FILE.format(load_id=int(load_id))).exists():
            counts[int(load_id)] = int(rows)
    return counts


def _record_counts(folder: Path, counts: dict[int, int]) -> None:
    aside = folder / f"{ROW_COUNTS}.{os.getpid()}"
    aside.write_text("".join(f"{load_id}\t{rows}\n" for load_id, rows in sorted(counts.items())))
    os.replace(aside, folder / ROW_COUNTS)


def _write_parquet(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A leading dot: Spark and Hadoop skip hidden files, so a file being written is never read.
    aside = path.with_name(f".{path.name}.{os.getpid()}")
    con.execute(f"copy ({query}) to {path_literal(aside)} (format parquet)")
    os.replace(aside, path)
