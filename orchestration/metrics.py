"""The semantic layer from Python: MetricFlow writes a metric query's SQL, DuckDB runs it on the serving copy.

The metrics are defined once, in dbt_project/models/semantic/. `mf query` answers them on the command line;
this module answers them for the dashboard and the tests, without the dbt adapter: MetricFlow only compiles
(its DuckDB dialect), and the SQL runs on a read-only connection to the serving copy, so asking never blocks
a pipeline run.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
from metricflow.protocols.sql_client import SqlEngine
from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

from orchestration.assets.dbt_project import DBT_PROJECT_DIR, ensure_manifest
from orchestration.warehouse import path_literal

SEMANTIC_MANIFEST = DBT_PROJECT_DIR / "target" / "semantic_manifest.json"


class _DuckDbDialect:
    """What MetricFlow asks of a SQL client when it only explains a query: the engine and its renderer."""

    sql_engine_type = SqlEngine.DUCKDB
    sql_plan_renderer = DuckDbSqlPlanRenderer()

    @staticmethod
    def render_bind_parameter_key(bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


@dataclass(frozen=True)
class SemanticLayer:
    engine: MetricFlowEngine
    # The catalog the manifest's relations name (the warehouse file's stem): the serving copy is attached so.
    catalog: str

    def sql(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        *,
        where: Sequence[str] = (),
        start: date | None = None,
        end: date | None = None,
        order_by: Sequence[str] = (),
    ) -> str:
        request = MetricFlowQueryRequest.create(
            metric_names=list(metrics),
            group_by_names=list(group_by),
            where_constraints=list(where) or None,
            time_constraint_start=datetime.combine(start, time.min) if start else None,
            time_constraint_end=datetime.combine(end, time.min) if end else None,
            order_by_names=list(order_by) or None,
        )
        return self.engine.explain(request).sql_statement.sql

    def query(self, serving_db: Path, metrics: Sequence[str], group_by: Sequence[str] = (), **filters) -> pd.DataFrame:
        """The metrics, grouped, as a table; columns are named as `mf query` names them."""
        sql = self.sql(metrics, group_by, **filters)
        with duckdb.connect() as con:
            con.execute(f'attach {path_literal(serving_db)} as "{self.catalog}" (read_only)')
            return con.execute(sql).df()


@cache
def semantic_layer() -> SemanticLayer:
    """The metrics as the project defines them now (the semantic manifest is re-parsed when a model changed)."""
    ensure_manifest()
    manifest_json = SEMANTIC_MANIFEST.read_text()
    manifest = parse_manifest_from_dbt_generated_manifest(manifest_json_string=manifest_json)
    catalogs = {model["node_relation"]["database"] for model in json.loads(manifest_json)["semantic_models"]}
    (catalog,) = catalogs
    engine = MetricFlowEngine(semantic_manifest_lookup=SemanticManifestLookup(manifest), sql_client=_DuckDbDialect())
    return SemanticLayer(engine=engine, catalog=catalog)
