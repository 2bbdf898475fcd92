"""Where Funnelhouse reads and writes, read once from environment variables with defaults that work from the
repo root, and handed on from here to the loader, dbt and Dagster."""

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from orchestration.clock import parse_instant
from orchestration.loader.event_contract import EARLIEST_TIMESTAMP
from orchestration.loader.landing_zone import LANDING_SOURCES
from orchestration.loader.pii import DEFAULT_PHONE_REGIONS
from orchestration.loader.raw_parquet import raw_parquet_folder, spark_folder

DEFAULT_LANDING = Path("data/landing")
DEFAULT_DB = Path("data/warehouse.duckdb")
DEFAULT_SERVING_DB = Path("data/serving.duckdb")
DEFAULT_EXPORT_DIR = Path("data/export")
# Dagster's instance (run history, schedule and sensor state, logs), beside the warehouse unless DAGSTER_HOME is set.
DEFAULT_DAGSTER_HOME = Path("data/dagster")
# A file is taken once its size and modification time have stood still this long. A scheduled run cannot
# know whether an upload is finished; a person who starts a run by hand has just put the files there.
SCHEDULED_SETTLE_SECONDS = 60
MANUAL_SETTLE_SECONDS = 0
# dagster-dbt writes a target folder of about 15 MB per run: the newest few are kept for debugging.
DEFAULT_KEEP_DBT_RUNS = 3
# Dagster's finished runs, their event logs and captured stdout/stderr are kept this many days (housekeeping.py).
DEFAULT_HISTORY_DAYS = 30
HISTORY_DAYS = "FUNNELHOUSE_HISTORY_DAYS"
# Where the models are built (README "Spark"): the DuckDB file itself, or a Spark warehouse beside it. The
# loader writes the DuckDB file on either target.
DUCKDB = "duckdb"
SPARK = "spark"
TARGETS = (DUCKDB, SPARK)
# FUNNELHOUSE_FRESHNESS_HOURS_AD_SPEND=48: a raw table's own freshness interval (README "Operations").
FRESHNESS_PREFIX = "FUNNELHOUSE_FRESHNESS_HOURS_"
RAW_TABLES = tuple(table for tables in LANDING_SOURCES.values() for table in tables)


@dataclass(frozen=True)
class StatusLimits:
    """When `funnelhouse status` says something needs attention (README "Operations"), in hours."""

    # Loads older than this that no finished build has folded in: the builds fail, or stopped.
    stale_build_hours: float = 2
    # No file of a source loaded for this long: its deliveries, or the runs that load them, stopped.
    events_freshness_hours: float = 2
    exports_freshness_hours: float = 26  # daily exports, with two hours' slack
    # A ready file not loaded for this long: no run takes it.
    pending_file_hours: float = 2
    # A raw table's own interval, over the two above: a weekly export, or a catalog sent on a schedule.
    freshness_hours_by_table: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> "StatusLimits":
        variables = {
            "stale_build_hours": "FUNNELHOUSE_STALE_BUILD_HOURS",
            "events_freshness_hours": "FUNNELHOUSE_EVENTS_FRESHNESS_HOURS",
            "exports_freshness_hours": "FUNNELHOUSE_EXPORTS_FRESHNESS_HOURS",
            "pending_file_hours": "FUNNELHOUSE_PENDING_FILE_HOURS",
        }
        limits = {name: _hours(variable) for name, variable in variables.items() if variable in os.environ}
        return cls(**limits, freshness_hours_by_table=_freshness_hours_by_table())


def _freshness_hours_by_table() -> dict[str, float]:
    by_table = {}
    for variable in sorted(os.environ):
        if not variable.startswith(FRESHNESS_PREFIX):
            continue
        table = variable.removeprefix(FRESHNESS_PREFIX).lower()
        if table not in RAW_TABLES:
            raise ValueError(f"{variable}: no raw table is named {table!r}; the raw tables are {', '.join(RAW_TABLES)}")
        by_table[table] = _hours(variable)
    return by_table


def _hours(variable: str) -> float:
    return _number(variable, float, "a number of hours")


def _whole_days(variable: str, default: int) -> int:
    return _number(variable, int, "a whole number of days") if variable in os.environ else default


def _number(variable: str, parse: Callable[[str], float], what: str):
    try:
        return parse(os.environ[variable])
    except ValueError:
        raise ValueError(f"{variable}={os.environ[variable]!r} is not {what}") from None


def _url(variable: str) -> str | None:
    value = os.environ.get(variable, "").strip()
    if value and urlsplit(value).scheme not in ("http", "https"):
        raise ValueError(f"{variable} must be an http(s) URL")  # not the value: a webhook URL holds its secret
    return value or None


def _switch(variable: str) -> bool:
    value = os.environ.get(variable, "off").strip().lower()
    if value not in ("on", "off"):
        raise ValueError(f"{variable}={os.environ[variable]!r}: say on or off")
    return value == "on"


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    db_path: Path
    serving_db_path: Path | None = None
    export_dir_path: Path | None = None
    settle_seconds: int | None = None
    keep_dbt_runs: int = DEFAULT_KEEP_DBT_RUNS
    # Events and export rows dated before this are rejected: a device clock at 0001-01-01 or 1970 is a bug.
    earliest: datetime = EARLIEST_TIMESTAMP
    # Phone numbers written without a country code are recognised when possible in one of these regions.
    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
    target: str = DUCKDB
    status_limits: StatusLimits = StatusLimits()
    # The schedule and sensors start running, not stopped, in a new Dagster instance: `funnelhouse serve` (the
    # production service) turns this on; a development server (`make dev`) leaves them to be started by hand.
    automation: bool = False
    dagster_home_path: Path | None = None
    history_days: int = DEFAULT_HISTORY_DAYS
    # Where alerts are POSTed as JSON (orchestration/alerts.py); unset, they go to the log only. Kept out of the
    # repr: the URL is the webhook's secret.
    alert_webhook: str | None = field(default=None, repr=False)
    # The Dagster UI's address as its users reach it (http://dagster.internal:3000): alerts link their run there.
    dagster_url: str | None = None

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(f"unknown target {self.target!r}: the targets are {', '.join(TARGETS)}")
        if self.history_days < 1:
            raise ValueError(f"{HISTORY_DAYS}={self.history_days}: keep at least 1 day of run history")

    @classmethod
    def from_env(cls, landing: Path | None = None, db: Path | None = None, target: str | None = None) -> "Settings":
        """Explicit arguments win over FUNNELHOUSE_* variables, which win over the defaults."""
        landing = landing or Path(os.environ.get("FUNNELHOUSE_LANDING", DEFAULT_LANDING))
        db = db or Path(os.environ.get("FUNNELHOUSE_DB", DEFAULT_DB))
        serving = os.environ.get("FUNNELHOUSE_SERVING_DB")
        export = os.environ.get("FUNNELHOUSE_EXPORT_DIR")
        settle = os.environ.get("FUNNELHOUSE_SETTLE_SECONDS")
        earliest = os.environ.get("FUNNELHOUSE_EARLIEST_DATE")
        regions = os.environ.get("FUNNELHOUSE_PHONE_REGIONS")
        return cls(
            landing_dir=landing.resolve(),
            db_path=db.resolve(),
            serving_db_path=Path(serving).resolve() if serving else None,
            export_dir_path=Path(export).resolve() if export else None,
            settle_seconds=int(settle) if settle else None,
            keep_dbt_runs=int(os.environ.get("FUNNELHOUSE_KEEP_DBT_RUNS", DEFAULT_KEEP_DBT_RUNS)),
            earliest=parse_instant(earliest) if earliest else EARLIEST_TIMESTAMP,
            phone_regions=tuple(r.strip().upper() for r in regions.split(",")) if regions else DEFAULT_PHONE_REGIONS,
            target=target or os.environ.get("FUNNELHOUSE_TARGET", DUCKDB),
            status_limits=StatusLimits.from_env(),
            automation=_switch("FUNNELHOUSE_AUTOMATION"),
            dagster_home_path=Path(home).resolve() if (home := os.environ.get("DAGSTER_HOME")) else None,
            history_days=_whole_days(HISTORY_DAYS, DEFAULT_HISTORY_DAYS),
            alert_webhook=_url("FUNNELHOUSE_ALERT_WEBHOOK"),
            dagster_url=_url("FUNNELHOUSE_DAGSTER_URL"),
        )

    @property
    def serving_db(self) -> Path:
        """The read-only copy analysts and BI tools open: beside the warehouse unless set."""
        return self.serving_db_path or self.db_path.with_name(DEFAULT_SERVING_DB.name)

    @property
    def export_dir(self) -> Path:
        """Where every run writes the public marts as Parquet: beside the warehouse unless set."""
        return self.export_dir_path or self.db_path.with_name(DEFAULT_EXPORT_DIR.name)

    @property
    def dagster_home(self) -> Path:
        """Where Dagster keeps its run history, schedule state and logs: beside the warehouse unless set."""
        return self.dagster_home_path or self.db_path.with_name(DEFAULT_DAGSTER_HOME.name)

    @property
    def spark_dir(self) -> Path:
        """The Spark target's warehouse and catalog (loader/raw_parquet.py)."""
        return spark_folder(self.db_path)

    @property
    def raw_parquet_dir(self) -> Path:
        """The raw layer as Parquet, which the Spark target reads."""
        return raw_parquet_folder(self.db_path)

    def settle_for(self, *, scheduled: bool) -> int:
        if self.settle_seconds is not None:
            return self.settle_seconds
        return SCHEDULED_SETTLE_SECONDS if scheduled else MANUAL_SETTLE_SECONDS
