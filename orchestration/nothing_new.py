"""Whether a run would find anything to do, told in well under a second: before Dagster, dbt and the
loader's hashing are started, from the landing zone's listing, the ledger and the build records alone."""

from pathlib import Path

import duckdb

from orchestration.build_settings import nothing_to_build
from orchestration.loader.landing_zone import READY, list_landing_zone
from orchestration.loader.ledger import loaded_files
from orchestration.serving import published_build


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


def current_build(landing: Path, db: Path, serving: Path, *, settle_seconds: float) -> int | None:
    """The build that is still current when nothing landed and nothing changed since, else None."""
    if not db.is_file():
        return None
    published = published_build(serving)
    if published is None:
        return None
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            if not _every_file_loaded(con, landing, settle_seconds):
                return None
            return nothing_to_build(con, published)
    except duckdb.Error:
        return None  # a run holds the warehouse, or it predates the ledger's columns: a real run finds out
