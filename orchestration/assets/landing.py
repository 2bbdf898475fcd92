"""One Dagster asset per landing source: landing files -> raw tables, with a rejected-share check."""

import dagster as dg

from orchestration.loader.load import LANDING_SOURCES, TableLoad, load_landing_sources
from orchestration.loader.pii import salt_from_env
from orchestration.resources import WarehouseResource

LANDING_GROUP = "landing"
REJECTED_SHARE_CHECK = "rejected_share_at_most_1_percent"
REJECTED_SHARE_LIMIT = 0.01


def raw_table_key(table: str) -> dg.AssetKey:
    """The key dbt's source('raw', table) maps to, so lineage runs from the loader into dbt."""
    return dg.AssetKey(["raw", table])


def _materialization(report: TableLoad) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        asset_key=raw_table_key(report.table),
        metadata={
            "files_loaded": report.files_loaded,
            "files_already_loaded": report.files_already_loaded,
            "rows_read": report.rows,
            "loaded": report.loaded,
            "duplicates": report.duplicates,
            "rejected": report.rejected,
            "rejected_by_reason": dg.MetadataValue.json(report.rejected_by_reason),
        },
        check_results=[_rejected_share_check(report)],
    )


def _rejected_share_check(report: TableLoad) -> dg.AssetCheckResult:
    """Warn, not fail: a few bad lines are expected; a high share points at a broken tracker or export."""
    return dg.AssetCheckResult(
        asset_key=raw_table_key(report.table),
        check_name=REJECTED_SHARE_CHECK,
        passed=report.rejected_share <= REJECTED_SHARE_LIMIT,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"rejected_share": report.rejected_share, "rejected": report.rejected, "rows_read": report.rows},
        description=f"Share of rows read in this load that were rejected (limit {REJECTED_SHARE_LIMIT:.0%}).",
    )


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
            dg.AssetCheckSpec(REJECTED_SHARE_CHECK, asset=raw_table_key(table), blocking=False) for table in tables
        ],
        description=f"Load every new file of the landing zone's {source}/ folder into raw, each exactly once.",
    )
    def load(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        reports = load_landing_sources(
            warehouse.landing, warehouse.db, [source], salt=salt_from_env(), progress=context.log.info
        )
        failed = [failure for report in reports for failure in report.failed_files]
        if failed:
            raise dg.Failure(
                description=f"{len(failed)} landing file(s) of {source}/ could not be loaded "
                "(every other file was):\n" + "\n".join(failed),
                metadata={"errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in failed))},
            )
        for report in reports:
            yield _materialization(report)

    return load


LANDING_ASSETS = [_landing_asset(source) for source in LANDING_SOURCES]
