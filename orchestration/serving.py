"""The serving copy: what analysts and BI tools open, so that no reader ever holds the warehouse file.

After every successful build the public marts (and the loader's reports of what it loaded and rejected) are
written to a new file, which is then renamed over the old one. A rename is atomic: a reader opening the
serving file sees the previous run or this one, never half of one, and a reader that holds the old file
open keeps reading the old file, undisturbed, while the pipeline goes on.
"""

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration import warehouse
from orchestration.warehouse import path_literal

# Schemas published whole, and the loader's tables published beside them.
PUBLISHED_SCHEMAS = ("marts",)
PUBLISHED_RAW_TABLES = ("load_ledger", "rejected_events", "rejected_rows", "rejected_files")


@dataclass(frozen=True)
class Publication:
    path: Path
    tables: int
    rows: int


def _published_tables(con) -> list[tuple[str, str]]:
    schemas = ", ".join(f"'{schema}'" for schema in PUBLISHED_SCHEMAS)
    raw_tables = ", ".join(f"'{table}'" for table in PUBLISHED_RAW_TABLES)
    return con.execute(
        f"""
        select table_schema, table_name
        from information_schema.tables
        where table_catalog = current_database()
            and (table_schema in ({schemas}) or (table_schema = 'raw' and table_name in ({raw_tables})))
        order by 1, 2
        """
    ).fetchall()


def serving_url(serving_path: Path) -> str:
    """The SQLAlchemy URL (duckdb-engine) BI tools connect with: read-only, so a reader never takes a lock
    a run needs. Use it without a connection pool: a pooled connection keeps the file it first opened, and
    so the publication of that moment, after later runs rename new ones over it."""
    return f"duckdb:///{serving_path.resolve()}?access_mode=read_only"


def _built_with(con) -> tuple[int | None, str | None, datetime | None]:
    """The build the published marts come from, the dbt vars it used, and when it finished: a reader learns the
    reporting currency and time zone from the copy itself, not from the project's defaults, which a run may
    have overridden; the next run learns whether anything is new since (build_settings.plan_build); and
    `funnelhouse status` learns the build's age while a run holds the warehouse."""
    columns = {
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_catalog = current_database() and table_schema = 'meta' and table_name = 'build_settings'"
        ).fetchall()
    }
    if not columns:
        return None, None, None
    built_at = "built_at" if "built_at" in columns else "null"  # builds recorded before the column existed
    built = con.execute(
        f"select build_id, cast(effective_vars as varchar), {built_at} from meta.build_settings where is_built "
        "order by build_id desc limit 1"
    ).fetchone()
    return built or (None, None, None)


def published_build(serving_path: Path) -> int | None:
    """The build the serving copy publishes; None when there is no copy, or one older than this record."""
    if not serving_path.is_file():
        return None
    try:
        with duckdb.connect(str(serving_path), read_only=True) as con:
            columns = {
                name for (name,) in con.execute("select column_name from (describe meta.publication)").fetchall()
            }
            return con.execute("select build_id from meta.publication").fetchone()[0] if "build_id" in columns else None
    except duckdb.Error:
        return None  # unreadable or half-written by hand: publish again


def publish_serving_copy(db_path: Path, serving_path: Path, run_id: str | None = None) -> Publication:
    """Copy the published tables of the warehouse to a new file and rename it over `serving_path`.

    `run_id` is the Dagster run that built what is published; exports name it as their source."""
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    draft = serving_path.with_name(f".{serving_path.name}.{os.getpid()}.draft")
    draft.unlink(missing_ok=True)
    con = warehouse.connect(db_path, read_only=True)
    rows = 0
    try:
        con.execute(f"attach {path_literal(draft)} as serving (read_only false)")
        tables = _published_tables(con)
        for schema in sorted({schema for schema, _ in tables}):
            con.execute(f'create schema serving."{schema}"')
        for schema, table in tables:
            con.execute(f'create table serving."{schema}"."{table}" as select * from "{schema}"."{table}"')
            rows += con.execute(f'select count(*) from serving."{schema}"."{table}"').fetchone()[0]
        con.execute("create schema serving.meta")
        con.execute(
            "create table serving.meta.publication as select $published_at::timestamptz as published_at, "
            "$run_id::varchar as run_id, $warehouse as warehouse_file, $tables as tables, $rows as rows, "
            "$dbt_vars::json as dbt_vars, $build_id::bigint as build_id, $built_at::timestamptz as built_at",
            {
                "published_at": datetime.now(UTC),
                "run_id": run_id,
                "warehouse": str(db_path),
                "tables": len(tables),
                "rows": rows,
                **dict(zip(("build_id", "dbt_vars", "built_at"), _built_with(con), strict=True)),
            },
        )
        con.execute("detach serving")
    except BaseException:
        con.close()
        draft.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(draft, serving_path)
    return Publication(path=serving_path, tables=len(tables), rows=rows)
