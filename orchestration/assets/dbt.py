"""The dbt project as Dagster assets: every model, seed and snapshot, with dbt tests as asset checks."""

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.assets.dbt_project import DBT_PROJECT, ensure_manifest
from orchestration.assets.landing import raw_table_key
from orchestration.resources import WarehouseResource


class FunnelhouseTranslator(DagsterDbtTranslator):
    """Models are keyed schema/name and grouped by layer; sources map onto the loader's raw assets."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return raw_table_key(dbt_resource_props["name"])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False


@dbt_assets(manifest=ensure_manifest(), project=DBT_PROJECT, dagster_dbt_translator=FunnelhouseTranslator())
def funnelhouse_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, config: DbtBuildConfig
):
    warehouse.export_for_dbt()
    args = ["build", "--full-refresh"] if config.full_refresh else ["build"]
    invocation = dbt.cli(args, context=context)
    yield from invocation.stream()
    _keep_partial_parse(invocation.target_path)


def _keep_partial_parse(build_target: Path) -> None:
    """dagster-dbt starts every build from target/partial_parse.msgpack. The one our manifest parse wrote
    knows no warehouse path, so dbt would re-parse the whole project on every run; keeping the build's own
    lets the next run on the same warehouse parse only what changed."""
    parsed = build_target / "partial_parse.msgpack"
    if parsed.exists():
        shutil.copyfile(parsed, DBT_PROJECT.project_dir / DBT_PROJECT.target_path / "partial_parse.msgpack")
