"""One Dagster asset per landing source: landing files -> raw tables, with two checks per raw table.

A load never fails its step: a file that could not be loaded fails the `every_landing_file_loaded` check
(severity error, not blocking), so the models still build on everything that did load, and the run ends
red with the file and the cause named.
"""

from datetime import datetime

import dagster as dg

from orchestration.loader.load import LANDING_SOURCES, REJECTED_SHARE_LIMIT, TableLoad, load_landing_sources
from orchestration.loader.salt import SaltError, salt_for
from orchestration.resources import WarehouseResource
from orchestration.writer_lock import writer_lock

LANDING_GROUP = "landing"
REJECTED_SHARE_CHECK = "rejected_share_at_most_1_percent"
EVERY_FILE_LOADED_CHECK = "every_landing_file_loaded"
# What a load did not take, as TableLoad lists; each travels in the raw asset's metadata to the run summary.
LANDING_LISTS = ("failed_files", "still_quarantined", "waiting", "in_progress", "ignored", "warnings")


class LoadConfig(dg.Config):
    # Files younger than this are left for a later run: they may still be being written.
    settle_seconds: int = 0
    # Re-hash every landed file, not only those whose size or modification time changed since they were hashed.
    verify: bool = False


def raw_table_key(table: str) -> dg.AssetKey:
    """The key dbt's source('raw', table) maps to, so lineage runs from the loader into dbt."""
    return dg.AssetKey(["raw", table])


def _materialization(report: TableLoad) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        asset_key=raw_table_key(report.table),
        metadata={
            "files_loaded": report.files_loaded,
            "files_already_loaded": report.files_already_loaded,
            "files_hashed": report.files_hashed,
            "files_failed": len(report.failed_files),
            "files_waiting": len(report.waiting),
            "rows_read": report.rows,
            "loaded": report.loaded,
            "duplicates": report.duplicates,
            "rejected": report.rejected,
            "rejected_by_reason": dg.MetadataValue.json(report.rejected_by_reason),
            **{name: dg.MetadataValue.json(getattr(report, name)) for name in LANDING_LISTS},
        },
        check_results=[_rejected_share_check(report), _every_file_loaded_check(report)],
    )


def _rejected_share_check(report: TableLoad) -> dg.AssetCheckResult:
    """Warn, not fail: a few bad lines are expected; a high share points at a broken tracker or export.

    Each file is judged on its own: pooled over a run, one broken file among many good ones would hide."""
    over = report.files_rejecting_over(REJECTED_SHARE_LIMIT)
    if over:
        description = (
            f"{len(over)} file(s) loaded in this run had more than {REJECTED_SHARE_LIMIT:.0%} of rows rejected:\n"
        )
        description += "\n".join(f"{f.path}: {f.share:.1%} ({f.rejected:,} of {f.rows:,} rows)" for f in over)
    else:
        description = f"No file loaded in this run had more than {REJECTED_SHARE_LIMIT:.0%} of its rows rejected."
    return dg.AssetCheckResult(
        asset_key=raw_table_key(report.table),
        check_name=REJECTED_SHARE_CHECK,
        passed=not over,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "files_over_limit": dg.MetadataValue.json(
                [{"path": f.path, "share": f.share, "rejected": f.rejected, "rows": f.rows} for f in over]
            ),
            "rejected_share": report.rejected_share,
            "rejected": report.rejected,
            "rows_read": report.rows,
        },
        description=description,
    )


def _every_file_loaded_check(report: TableLoad) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=raw_table_key(report.table),
        check_name=EVERY_FILE_LOADED_CHECK,
        passed=not report.failed_files,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"failed_files": dg.MetadataValue.json(report.failed_files)},
        description="\n".join(report.failed_files) or "Every landing file taken in this run loaded.",
    )


def _load(source: str, warehouse: WarehouseResource, config: LoadConfig, log) -> list[TableLoad]:
    """A source that fails as a whole (lock, disk, permission) is reported like a failed file, with its cause.

    Not a salt that would hash people differently from the warehouse: that fails the step, and the run."""
    try:
        with writer_lock(warehouse.db):
            return load_landing_sources(
                warehouse.landing,
                warehouse.db,
                [source],
                salt=salt_for(warehouse.landing),
                phone_regions=warehouse.phone_region_codes,
                settle_seconds=config.settle_seconds,
                verify=config.verify,
                earliest=datetime.fromisoformat(warehouse.earliest),
                progress=log.info,
            )
    except SaltError as error:
        raise dg.Failure(description=f"{source}/: nothing loaded: {error}") from error
    except Exception as error:
        cause = f"{source}/: nothing loaded: {type(error).__name__}: {error}"
        log.error(cause)
        return [TableLoad(table, errors=[cause]) for table in LANDING_SOURCES[source]]


def _landing_asset(source: str) -> dg.AssetsDefinition:
    tables = LANDING_SOURCES[source]

    @dg.multi_asset(
        name=f"load_{source}",
        group_name=LANDING_GROUP,
        specs=[
            dg.AssetSpec(
                raw_table_key(table),
                description=f"raw.{table}, loaded from the landing zone's {source}/ folder",
                kinds={"duckdb"},
            )
            for table in tables
        ],
        check_specs=[
            spec
            for table in tables
            for spec in (
                dg.AssetCheckSpec(REJECTED_SHARE_CHECK, asset=raw_table_key(table), blocking=False),
                dg.AssetCheckSpec(EVERY_FILE_LOADED_CHECK, asset=raw_table_key(table), blocking=False),
            )
        ],
        description=f"Load every new file of the landing zone's {source}/ folder into raw, each exactly once.",
    )
    def load(context: dg.AssetExecutionContext, warehouse: WarehouseResource, config: LoadConfig):
        for report in _load(source, warehouse, config, context.log):
            yield _materialization(report)

    return load


LANDING_ASSETS = [_landing_asset(source) for source in LANDING_SOURCES]
