"""Dagster resources: the warehouse paths and the dbt CLI, both configured by the caller, never on import."""

import os
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.assets.dbt_project import DBT_PROJECT, venv_dbt_executable
from orchestration.settings import Settings


class WarehouseResource(dg.ConfigurableResource):
    """The landing zone to load from and the DuckDB file the pipeline alone writes."""

    landing_dir: str
    db_path: str

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def db(self) -> Path:
        return Path(self.db_path)

    def export_for_dbt(self) -> None:
        """dbt's profile reads the warehouse path from FUNNELHOUSE_DB; this resource is its source of truth."""
        os.environ["FUNNELHOUSE_DB"] = self.db_path


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {
        "warehouse": WarehouseResource(landing_dir=str(settings.landing_dir), db_path=str(settings.db_path)),
        "dbt": DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=venv_dbt_executable()),
    }
