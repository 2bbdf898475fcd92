"""The Spark target's warehouse, read without Spark (README "Spark").

Every table dbt builds on Spark is a managed table: a folder of Parquet files under the Spark warehouse,
`<spark dir>/warehouse/<schema>.db/<table>/` (dbt_project/profiles.yml sets the folder). DuckDB reads such
a folder with `read_parquet`, so the run summary and the tests that compare the engines read the Spark marts
without starting a JVM or opening Spark's catalog, which one process at a time may hold.
"""

import os
from pathlib import Path

import duckdb

from orchestration.warehouse import path_literal

WAREHOUSE = "warehouse"  # spark.sql.warehouse.dir, inside the spark dir
# The build whose tables the Spark warehouse holds, written once the build finished: its readers' "published
# build", as the serving copy records it on DuckDB.
BUILT_RECORD = "built_build_id"


def spark_schema_folder(spark_dir: Path, schema: str) -> Path:
    return spark_dir / WAREHOUSE / f"{schema}.db"


def spark_table_folder(spark_dir: Path, schema: str, table: str) -> Path:
    return spark_schema_folder(spark_dir, schema) / table


def spark_table_files(spark_dir: Path, schema: str, table: str) -> str:
    """The glob of a Spark table's Parquet files, for DuckDB's read_parquet. A partitioned table keeps its
    files in a folder per partition value (`date_day=2026-09-01/`), hence the `**`; Spark's own bookkeeping
    (`_SUCCESS`, hidden `.crc` files) is not Parquet and is left out."""
    return str(spark_table_folder(spark_dir, schema, table) / "**" / "*.parquet")


def read_spark_table(spark_dir: Path, schema: str, table: str) -> str:
    """A DuckDB table expression over a Spark table: its partition columns come from the folder names, last,
    where Spark puts them too."""
    return f"read_parquet({path_literal(Path(spark_table_files(spark_dir, schema, table)))}, hive_partitioning = true)"


def spark_tables(spark_dir: Path, schema: str) -> list[str]:
    """The tables of a schema (views have no folder)."""
    folder = spark_schema_folder(spark_dir, schema)
    return sorted(path.name for path in folder.iterdir() if path.is_dir()) if folder.is_dir() else []


def spark_table_rows(spark_dir: Path, schema: str) -> dict[str, int]:
    """Every table of a schema with its row count, read from the Parquet files' footers."""
    with duckdb.connect() as con:
        return {
            table: con.execute(f"select count(*) from {read_spark_table(spark_dir, schema, table)}").fetchone()[0]
            for table in spark_tables(spark_dir, schema)
        }


def spark_built_build(spark_dir: Path) -> int | None:
    record = spark_dir / BUILT_RECORD
    return int(record.read_text()) if record.is_file() else None


def record_spark_build(spark_dir: Path, build_id: int) -> None:
    """Written aside and renamed: a run killed half-way never leaves a record to misread."""
    spark_dir.mkdir(parents=True, exist_ok=True)
    aside = spark_dir / f".{BUILT_RECORD}.{os.getpid()}"
    aside.write_text(str(build_id))
    os.replace(aside, spark_dir / BUILT_RECORD)
