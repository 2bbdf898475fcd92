"""The serving copy as an asset: published after every build whose models and blocking tests succeeded."""

import dagster as dg

from orchestration.assets.dbt import funnelhouse_dbt_models
from orchestration.resources import WarehouseResource
from orchestration.serving import publish_serving_copy

SERVING_COPY_KEY = dg.AssetKey(["serving", "public_marts"])


@dg.asset(
    key=SERVING_COPY_KEY,
    group_name="serving",
    deps=[key for key in funnelhouse_dbt_models.keys if key.path[0] == "marts"],
    kinds={"duckdb"},
    description="The read-only copy of the public marts and load reports that analysts and BI tools open.",
)
def serving_copy(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    publication = publish_serving_copy(warehouse.db, warehouse.serving_db, run_id=context.run.run_id)
    return dg.MaterializeResult(
        metadata={"path": str(publication.path), "tables": publication.tables, "rows": publication.rows}
    )
