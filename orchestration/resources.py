"""Dagster resources: the warehouse paths and the dbt CLI, both configured by the caller, never on import."""

import os
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging.version import Version

from orchestration.assets.dbt_project import DBT_PROJECT, WRITING_TARGET, venv_dbt_executable
from orchestration.settings import Settings


class WarehouseResource(dg.ConfigurableResource):
    """Where the pipeline reads and writes: the landing zone, the DuckDB file it alone writes, the serving copy."""

    landing_dir: str
    db_path: str
    serving_db_path: str
    export_dir_path: str
    scheduled_settle_seconds: int
    keep_dbt_runs: int
    earliest: str  # ISO instant: events and export rows dated before it are rejected
    phone_regions: str  # comma-separated ISO regions in which national phone numbers are recognised

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def db(self) -> Path:
        return Path(self.db_path)

    @property
    def serving_db(self) -> Path:
        return Path(self.serving_db_path)

    @property
    def export_dir(self) -> Path:
        return Path(self.export_dir_path)

    @property
    def phone_region_codes(self) -> tuple[str, ...]:
        return tuple(self.phone_regions.split(","))

    def export_for_dbt(self) -> None:
        """dbt's profile reads the warehouse path from FUNNELHOUSE_DB; this resource is its source of truth."""
        os.environ["FUNNELHOUSE_DB"] = self.db_path


class VenvDbtCliResource(DbtCliResource):
    """The dbt CLI of this virtual environment.

    dagster-dbt asks the executable for its version (`dbt --version`, about 5 s of imports) before every
    build. Ours is the dbt-core installed beside this Python, whose version the package metadata knows.
    It also loads every macro of the project into a dbt adapter in this process before every build (about
    1 s), which it uses only to fetch row counts and column metadata: our build asks for neither.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args) -> None:
        return None


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {
        "warehouse": WarehouseResource(
            landing_dir=str(settings.landing_dir),
            db_path=str(settings.db_path),
            serving_db_path=str(settings.serving_db),
            export_dir_path=str(settings.export_dir),
            scheduled_settle_seconds=settings.settle_for(scheduled=True),
            keep_dbt_runs=settings.keep_dbt_runs,
            earliest=settings.earliest.isoformat(),
            phone_regions=",".join(settings.phone_regions),
        ),
        "dbt": VenvDbtCliResource(project_dir=DBT_PROJECT, dbt_executable=venv_dbt_executable(), target=WRITING_TARGET),
    }
