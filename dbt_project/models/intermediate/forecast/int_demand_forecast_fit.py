"""The demand forecast's fit: every product's backtest (rolling origin) and the selected model's forecast,
from orchestration.forecast over int_product_daily. One fit writes both, as rows of one table
(`result_kind` 'forecast' or 'accuracy'); fct_demand_forecast and fct_forecast_accuracy split them.

Forecasts refresh daily, not on every hourly load: the fit is kept while it saw the last complete day there
is and is under a day old, so the hourly runs of a day pay for one fit, a fresh clone's first run fits, and
the first run after a day's data lands refits. Keyed on the data's last day rather than the clock alone, an
incremental warehouse and a full rebuild on the same data hold the same forecast.
"""

import json
from datetime import UTC, datetime, timedelta

import pandas as pd

from orchestration.forecast import forecast_demand
from orchestration.model_tables import ModelTables, model_tables

REFIT_AFTER = timedelta(days=1)
COLUMNS = [
    "result_kind",
    "product_id",
    "model",
    "date_day",
    "forecast_units",
    "forecast_low_80",
    "forecast_high_80",
    "demand_class",
    "mase",
    "wape",
    "bias",
    "is_selected",
    "windows",
    "first_cutoff",
    "last_cutoff",
    "fitted_through",
    "fitted_at",
    "fit_settings",
]


def model(dbt, session):
    dbt.config(materialized="table")
    tables = model_tables(session)
    return tables.result(_forecast_fit(dbt, tables))


def _forecast_fit(dbt, tables: ModelTables) -> pd.DataFrame:
    product_days = dbt.ref("int_product_daily")
    # The last day is asked of the engine: an hourly run that keeps the fit never loads the history into pandas.
    fitted_through = tables.value(product_days, "max(date_day)")
    if fitted_through is None:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in COLUMNS})
    # dbt hands a Python model only the settings it finds in plain meta_get calls, one to a statement.
    horizon = dbt.config.meta_get("forecast_horizon_days")
    windows = dbt.config.meta_get("forecast_backtest_windows")
    step = dbt.config.meta_get("forecast_backtest_step_days")
    settings = {"horizon": int(horizon), "windows": int(windows), "step": int(step)}
    fit_settings = json.dumps(settings, sort_keys=True)
    kept = _current_fit(tables, dbt.this, fitted_through, fit_settings)
    if kept is not None:
        return kept
    fit = forecast_demand(tables.frame(product_days), **settings)
    fitted_at = datetime.now(UTC)
    results = pd.concat(
        [fit.forecasts.assign(result_kind="forecast"), fit.accuracy.assign(result_kind="accuracy")],
        ignore_index=True,
    )
    return results.assign(fitted_at=fitted_at, fitted_through=fitted_through, fit_settings=fit_settings).reindex(
        columns=COLUMNS
    )


def _current_fit(tables: ModelTables, this, fitted_through, fit_settings: str) -> pd.DataFrame | None:
    """The fit in place, when it saw the same last day with the same settings and is under a day old."""
    if not tables.exists(this):
        return None
    if "fit_settings" not in tables.column_names(this):  # fitted by a version that did not record its settings
        return None
    settings, last_day, fitted_at = tables.row(
        f"select min(fit_settings), cast(max(fitted_through) as date), max(fitted_at) from {this} "
        "having count(distinct fit_settings) = 1"
    ) or (None, None, None)
    if settings != fit_settings or last_day != fitted_through:
        return None
    if fitted_at is None or datetime.now(UTC) - fitted_at >= REFIT_AFTER:
        return None
    return tables.query_frame(f"select * from {this}")
