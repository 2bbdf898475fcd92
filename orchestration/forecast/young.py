"""A catalog too young for any model to be fitted and judged (fewer days than one backtest window and the
global model's lags): each product's average daily demand so far, with the 80% range of its observed days.

No model is claimed better than another, so no accuracy rows are written; the first run after the history is
long enough fits and backtests the real models. Pandas only: a young shop's hourly run does not pay for
loading statsforecast, mlforecast and LightGBM.
"""

import pandas as pd

from orchestration.forecast.classify import MIN_TRAIN_DAYS
from orchestration.forecast.panel import to_panel
from orchestration.forecast.result import ACCURACY_COLUMNS, FORECAST_COLUMNS, DemandForecast

MODEL = "historic_average"


def is_young(daily: pd.DataFrame, horizon: int) -> bool:
    days = pd.to_datetime(daily["date_day"])
    return (days.max() - days.min()).days + 1 <= horizon + MIN_TRAIN_DAYS


def forecast_young_catalog(daily: pd.DataFrame, *, horizon: int, level: int) -> DemandForecast:
    panel = to_panel(daily, horizon)
    observed = panel.dropna(subset=["y_observed"]).groupby("unique_id")["y_observed"]
    tail = (1 - level / 100) / 2
    stats = pd.DataFrame(
        {"mean": observed.mean(), "low": observed.quantile(tail), "high": observed.quantile(1 - tail)}
    ).reindex(panel["unique_id"].unique(), fill_value=0.0)
    future = pd.date_range(panel["ds"].max() + pd.Timedelta(days=1), periods=horizon)
    forecasts = pd.DataFrame(
        {
            "product_id": stats.index.repeat(horizon),
            "date_day": list(future.date) * len(stats),
            "model": MODEL,
            "forecast_units": stats["mean"].to_numpy().repeat(horizon),
            "forecast_low_80": stats[["low", "mean"]].min(axis=1).to_numpy().repeat(horizon),
            "forecast_high_80": stats[["high", "mean"]].max(axis=1).to_numpy().repeat(horizon),
        }
    )
    return DemandForecast(
        forecasts=forecasts[FORECAST_COLUMNS].sort_values(["product_id", "date_day"], ignore_index=True),
        accuracy=pd.DataFrame(columns=ACCURACY_COLUMNS),
    )
