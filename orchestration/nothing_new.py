"""Whether a run would find anything to do, told in well under a second: before Dagster, dbt and the
loader's hashing are started, from the landing zone's listing, the ledger and the build records alone."""

from pathlib import Path

import duckdb

from orchestration.build_settings import nothing_to_build
from orchestration.loader.landing_zone import READY, list_landing_zone
from orchestration.loader.ledger import loaded_files
from orchestration.serving import published_build
from orchestration.settings import SPARK
from orchestration.spark_warehouse import spark_built_build


def _every_file_loaded(con: duckdb.DuckDBPyConnection, landing: Path, settle_seconds: float) -> bool:
    """Every file of the zone is ready and loaded with the size and modification time it has now. A file
    waiting, in progress, ignored, quarantined or changed is left to a real run, whose report names it."""
    loaded = loaded_files(con)
    listing = list_landing_zone(landing, settle_seconds=settle_seconds)
    return not listing.warnings and all(
        file.state == READY
        and (seen := loaded.get(file.relative)) is not None
        and seen.unchanged(file.bytes, file.mtime_ns)
        for file in listing.files
        if file.source is not None
    )


def readers_build(target: str, serving: Path, spark_dir: Path) -> int | None:
    """The build the target's readers see: the one the serving copy publishes on DuckDB; on Spark, where the
    tables are read in place, the last build that finished writing them."""
    return spark_built_build(spark_dir) if target == SPARK else published_build(serving)


def current_build(landing: Path, db: Path, published: int | None, *, settle_seconds: float) -> int | None:
    """The build that is still current when nothing landed and nothing changed since `published` (the build
    the readers see, readers_build), else None."""
    if not db.is_file() or published is None:
        return None
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            if not _every_file_loaded(con, landing, settle_seconds):
                return None
            return nothing_to_build(con, published)
    except duckdb.Error:
        return None  # a run holds the warehouse, or it predates the ledger's columns: a real run finds out
