"""The Parquet export as an asset: rewritten from every new serving copy, for tools that read files."""

import dagster as dg

from orchestration.assets.serving import SERVING_COPY_KEY
from orchestration.export import export_marts
from orchestration.resources import WarehouseResource

EXPORT_KEY = dg.AssetKey(["serving", "parquet_export"])


@dg.asset(
    key=EXPORT_KEY,
    group_name="serving",
    deps=[SERVING_COPY_KEY],
    kinds={"parquet"},
    description="Every public mart as Parquet (audiences also as CSV) with a manifest of row counts and the run.",
)
def parquet_export(warehouse: WarehouseResource) -> dg.MaterializeResult:
    export = export_marts(warehouse.serving_db, warehouse.export_dir)
    return dg.MaterializeResult(
        metadata={
            "path": str(export.path),
            "marts": len(export.rows),
            "rows": sum(export.rows.values()),
            "published_at": export.published_at,
        }
    )
