"""The dbt project as Dagster assets: every model, seed and snapshot, with dbt tests as asset checks."""

import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.assets.dbt_project import DBT_PROJECT, ensure_manifest
from orchestration.assets.landing import raw_table_key
from orchestration.build_settings import BuildPlan, mark_built, parse_vars, plan_build
from orchestration.erasure import clear_pending_rebuilds, latest_pending_rebuild
from orchestration.loader.raw_parquet import export_raw_layer
from orchestration.model_changes import BUILT_STATE, keep_built_manifest, model_changes
from orchestration.nothing_new import readers_build
from orchestration.resources import WarehouseResource
from orchestration.spark_warehouse import record_spark_build
from orchestration.warehouse import builds_folder
from orchestration.writer_lock import writer_lock

PARTIAL_PARSE = "partial_parse.msgpack"  # dbt's saved parse, which the next parse starts from


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
    # dbt vars to set (YAML mapping); they are recorded and stay in force for every later run.
    vars: str = ""


@dbt_assets(manifest=ensure_manifest(), project=DBT_PROJECT, dagster_dbt_translator=FunnelhouseTranslator())
def funnelhouse_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, config: DbtBuildConfig
):
    with writer_lock(warehouse.db):
        plan = plan_build(
            warehouse.db,
            parse_vars(config.vars),
            full_refresh=config.full_refresh,
            published_build=readers_build(warehouse.target, warehouse.serving_db, warehouse.spark_dir),
        )
        if plan.unchanged_since is not None:
            holder = "the Spark warehouse holds" if warehouse.on_spark else "the serving copy publishes"
            context.log.info(
                f"Nothing new since build {plan.unchanged_since}, which {holder}: no file loaded, no erasure, "
                "and the same vars, seeds and code. The dbt build is skipped."
            )
            return
        erasures_to_fold_in = latest_pending_rebuild(warehouse.db)
        if plan.full_refresh:
            context.log.info(f"Rebuilding every model in full: {plan.reason}")
        if warehouse.on_spark:
            _export_raw_layer(warehouse.db, context.log)
        warehouse.export_for_dbt()
        target_path = _build_folder(warehouse.db, context.run.run_id)
        if plan.code_changed_since is not None:
            plan = _with_changed_models_rebuilt(plan, dbt, warehouse.db, target_path, context.log)
        args = [
            "build",
            # Unit tests check the models' code, not the data: CI runs them (tests/test_dbt_unit_tests.py);
            # on every hourly run they would cost as much as the data tests and find nothing new.
            "--exclude-resource-type",
            "unit_test",
            "--vars",
            plan.dbt_vars_argument,
            *(["--full-refresh"] if plan.full_refresh else []),
        ]
        invocation = dbt.cli(args, context=context, target_path=target_path)
        if warehouse.on_spark:
            # The models are Spark tables, not tables of the DuckDB file the row counts are taken from.
            yield from invocation.stream()
        else:
            yield from _with_row_counts(invocation.stream(), warehouse.db, context.asset_key_for_output)
        mark_built(warehouse.db, plan, manifest_sha256=keep_built_manifest(invocation.target_path, warehouse.db))
        if warehouse.on_spark:
            record_spark_build(warehouse.spark_dir, plan.build_id)
        clear_pending_rebuilds(warehouse.db, erasures_to_fold_in)
    _keep_partial_parse(invocation.target_path, warehouse.db)
    _prune_past_runs(invocation.target_path, keep=warehouse.keep_dbt_runs)


def _with_changed_models_rebuilt(
    plan: BuildPlan, dbt: DbtCliResource, db: Path, target_path: Path, log: dg.DagsterLogManager
) -> BuildPlan:
    """A new version of the project: the incremental models its changes reach are rebuilt in full."""
    changes = model_changes(
        dbt, db, since_build=plan.code_changed_since, target_path=target_path, vars_argument=plan.dbt_vars_argument
    )
    log.info(changes.describe())
    return replace(plan, rebuilt_in_full=changes.rebuilt_in_full)


def _export_raw_layer(db: Path, log: dg.DagsterLogManager) -> None:
    """Spark reads the raw layer from Parquet files: brought level with the loader's database before each build."""
    export = export_raw_layer(db)
    log.info(
        f"Raw layer for Spark: {export.files_written} Parquet file(s) written, {export.files_removed} removed "
        f"in {export.folder}"
    )


def _with_row_counts(events: Iterator[Any], db: Path, key_for_output: Callable[[str], dg.AssetKey]) -> Iterator[Any]:
    """The build's events, each built table's with its row count (`dagster/row_count`, shown in the catalog).

    dagster-dbt's own `fetch_row_counts()` queries while dbt still holds DuckDB's one writer's lock, and
    fails; the counts are taken once dbt has exited, so the events reach Dagster at the end of the build
    (dbt's log lines still stream as they come). Events of a failed build are handed on before its error.
    """
    built: list[Any] = []
    try:
        built.extend(events)
    except Exception:
        yield from _counted(built, db, key_for_output)
        raise
    yield from _counted(built, db, key_for_output)


def _counted(built: list[Any], db: Path, key_for_output: Callable[[str], dg.AssetKey]) -> Iterator[Any]:
    keys = [tuple(key_for_output(event.output_name).path) if isinstance(event, dg.Output) else None for event in built]
    counts = _table_row_counts(db, {key for key in keys if key})
    for event, key in zip(built, keys, strict=True):
        if key in counts:
            yield event.with_metadata({**event.metadata, "dagster/row_count": counts[key]})
        else:
            yield event


def _table_row_counts(db: Path, keys: set[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {
            (schema, name)
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
            ).fetchall()
        }
        return {key: con.execute(f'select count(*) from "{key[0]}"."{key[1]}"').fetchone()[0] for key in keys & tables}


def _keep_partial_parse(build_target: Path, db: Path) -> None:
    """dbt re-parses only what changed since the parse it starts from. Each warehouse keeps its latest build's
    parse beside it and starts the next build from it (_build_folder): the project's own
    target/partial_parse.msgpack, where dagster-dbt looks otherwise, comes from the manifest parse, whose
    profile names no warehouse, so dbt re-parses the whole project (5-9 s a run); and one file shared by
    every warehouse (the test suite's, the bench's) was overwritten by each other's builds."""
    parsed = build_target / PARTIAL_PARSE
    if parsed.exists():
        kept = _kept_parse(db)
        # Written aside and renamed: a build killed half-way never leaves half a file to start from.
        aside = kept.with_name(f"{kept.name}.{os.getpid()}")
        shutil.copyfile(parsed, aside)
        os.replace(aside, kept)


def _kept_parse(db: Path) -> Path:
    return builds_folder(db) / PARTIAL_PARSE


def _build_folder(db: Path, run_id: str) -> Path:
    """A new target folder for this run's build, holding the warehouse's kept parse when there is one
    (dagster-dbt copies the project's only into a folder without one)."""
    folder = builds_folder(db) / f"{run_id[:8]}-{uuid.uuid4().hex[:7]}"
    kept = _kept_parse(db)
    if kept.exists():
        folder.mkdir(parents=True)
        shutil.copyfile(kept, folder / PARTIAL_PARSE)
    return folder


def _prune_past_runs(build_target: Path, *, keep: int) -> None:
    """Keep the newest few of the warehouse's build folders (and the manifest of the last finished build)."""
    runs = sorted(
        (path for path in build_target.parent.iterdir() if path.is_dir() and path.name != BUILT_STATE),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    for past in runs[keep:]:
        shutil.rmtree(past, ignore_errors=True)
