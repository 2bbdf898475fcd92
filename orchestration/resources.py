"""Dagster resources: the warehouse paths, the dbt CLI and the run history's retention, configured by the caller,
never on import."""

import os
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging.version import Version

from orchestration.assets.dbt_project import (
    DBT_PROJECT,
    SPARK_TARGET,
    WRITING_TARGET,
    spark_dbt_executable,
    venv_dbt_executable,
)
from orchestration.loader.raw_parquet import raw_parquet_folder, spark_folder
from orchestration.settings import DUCKDB, SPARK, Settings


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
    target: str = DUCKDB  # where dbt builds the models (settings.TARGETS)

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

    @property
    def on_spark(self) -> bool:
        return self.target == SPARK

    @property
    def spark_dir(self) -> Path:
        return spark_folder(self.db)

    @property
    def raw_parquet_dir(self) -> Path:
        return raw_parquet_folder(self.db)

    def export_for_dbt(self) -> None:
        """dbt's profile reads the warehouse's paths from FUNNELHOUSE_* variables; this resource is their
        source of truth."""
        os.environ["FUNNELHOUSE_DB"] = self.db_path
        if self.on_spark:
            os.environ["FUNNELHOUSE_SPARK_DIR"] = str(self.spark_dir)
            os.environ["FUNNELHOUSE_RAW_PARQUET"] = str(self.raw_parquet_dir)
            # Spark binds its driver to the address the host name resolves to, which on many machines (and
            # containers) is not reachable; local mode needs only the loopback. A machine's own choice stays.
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


class HistoryResource(dg.ConfigurableResource):
    """How long Dagster keeps its finished runs, their event logs and captured stdout/stderr (housekeeping.py)."""

    keep_days: int


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
            target=settings.target,
        ),
        "dbt": _dbt_resource(settings.target),
        "history": HistoryResource(keep_days=settings.history_days),
    }


def _dbt_resource(target: str) -> VenvDbtCliResource:
    if target == SPARK:
        return VenvDbtCliResource(project_dir=DBT_PROJECT, dbt_executable=spark_dbt_executable(), target=SPARK_TARGET)
    return VenvDbtCliResource(project_dir=DBT_PROJECT, dbt_executable=venv_dbt_executable(), target=WRITING_TARGET)
