"""What the dashboard reads, and the one place it reads it: the serving copy, opened read-only per query.

No connection outlives its query, so the pipeline's next publication (a new file renamed over the old one)
shows on the next rerun. Answers are cached under the file's modification time: a new publication is a new
key, and the same page reloaded costs no query.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from orchestration.settings import Settings

# Each publication and page state adds entries; the oldest go first.
CACHE_ENTRIES = 512


@dataclass(frozen=True)
class Publication:
    published_at: datetime
    run_id: str | None  # the Dagster run that built what was published


@dataclass(frozen=True)
class ServingCopy:
    path: Path
    # The cache key of everything read from the file: a publication replaces the file, so it changes.
    mtime_ns: int

    def mart(self, sql: str, params: Sequence = ()) -> pd.DataFrame:
        """A query over the published tables (schema `marts`, `meta`)."""
        return _query(str(self.path), self.mtime_ns, sql, tuple(params))

    def metrics(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        *,
        where: Sequence[str] = (),
        start: date | None = None,
        end: date | None = None,
        order_by: Sequence[str] = (),
    ) -> pd.DataFrame:
        """Metrics of the semantic layer, grouped (start and end are both included)."""
        return _metrics(
            str(self.path), self.mtime_ns, tuple(metrics), tuple(group_by), tuple(where), start, end, tuple(order_by)
        )

    def publication(self) -> "Publication":
        # select *: copies published before runs were recorded have no run_id.
        published = self.mart("select * from meta.publication").iloc[0]
        run_id = published.get("run_id")
        return Publication(
            published_at=published["published_at"].tz_convert("UTC").to_pydatetime(),
            run_id=run_id if isinstance(run_id, str) else None,
        )

    def reporting_currency(self) -> str:
        """The currency every money column is in, as the published build was run."""
        dbt_vars = self.mart("select cast(dbt_vars as varchar) as dbt_vars from meta.publication")["dbt_vars"].iloc[0]
        return json.loads(dbt_vars)["reporting_currency"]


def serving_path() -> Path:
    return Settings.from_env().serving_db


def serving_copy(path: Path) -> ServingCopy | None:
    """The serving copy at `path`, or None before the first `make run` published one."""
    try:
        return ServingCopy(path=path, mtime_ns=path.stat().st_mtime_ns)
    except FileNotFoundError:
        return None


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _query(path: str, mtime_ns: int, sql: str, params: tuple) -> pd.DataFrame:
    # mtime_ns only keys the cache (here and in _metrics): it is what changes when the file is replaced.
    with duckdb.connect(path, read_only=True) as con:
        return con.execute(sql, list(params)).df()


@st.cache_data(show_spinner="Asking the semantic layer…", max_entries=CACHE_ENTRIES)
def _metrics(
    path: str,
    mtime_ns: int,
    metrics: tuple[str, ...],
    group_by: tuple[str, ...],
    where: tuple[str, ...],
    start: date | None,
    end: date | None,
    order_by: tuple[str, ...],
) -> pd.DataFrame:
    # MetricFlow takes seconds to import: the page's first lines show before it is needed.
    from orchestration.metrics import semantic_layer

    return semantic_layer().query(Path(path), metrics, group_by, where=where, start=start, end=end, order_by=order_by)
