"""Opening the DuckDB warehouse file the way every writer of ours must."""

import os
from pathlib import Path

import duckdb

DEFAULT_MEMORY_LIMIT = "2GB"


def memory_limit() -> str:
    return os.environ.get("FUNNELHOUSE_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)


def spill_directory(db_path: Path) -> Path:
    return db_path.parent / f"{db_path.stem}.spill"


def wal_path(db_path: Path) -> Path:
    """DuckDB's write-ahead log of the file: committed transactions not yet checkpointed into it."""
    return db_path.with_name(db_path.name + ".wal")


def builds_folder(db_path: Path) -> Path:
    """Where a warehouse's dbt builds write their target folders (about 15 MB each): beside the warehouse, so
    that pruning one warehouse's past builds never removes the folder of another warehouse's build running."""
    return db_path.with_name(f"{db_path.stem}.dbt_builds")


def connect(db_path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection capped in memory that spills to disk beside the warehouse instead of dying.

    Insertion order is preserved on purpose: line numbers of landing files come from scan order.
    """
    if not read_only:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db_path), read_only=read_only)
    con.execute(f"set memory_limit = '{memory_limit()}'")
    con.execute(f"set temp_directory = '{spill_directory(db_path)}'")
    con.execute("set preserve_insertion_order = true")
    con.execute("set timezone = 'UTC'")
    con.execute("set enable_progress_bar = false")  # runs report progress per file, not per query
    return con


def path_literal(path: Path) -> str:
    """A file path as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"
