"""Demand forecast per product: local statsforecast models, a global LightGBM model, a rolling-origin backtest
and per-product model selection; a catalog too young for them gets each product's average so far. Pure pandas
in, pandas out; the dbt model int_demand_forecast_fit wires it to the warehouse."""

import pandas as pd

from orchestration.forecast.result import DemandForecast
from orchestration.forecast.young import forecast_young_catalog, is_young

__all__ = ["DemandForecast", "forecast_demand"]


def forecast_demand(
    daily: pd.DataFrame, *, horizon: int = 28, windows: int = 3, step: int = 7, level: int = 80
) -> DemandForecast:
    """The selected model's forecast for the `horizon` days after the last day of `daily`, per product, and
    the rolling-origin backtest (`windows` cut-offs `step` days apart) the models were selected on."""
    if is_young(daily, horizon):
        return forecast_young_catalog(daily, horizon=horizon, level=level)
    # Imported only when there is something to fit: the libraries take seconds to load.
    from orchestration.forecast.engine import forecast_with_models

    return forecast_with_models(daily, horizon=horizon, windows=windows, step=step, level=level)
