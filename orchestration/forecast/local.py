"""The local statsforecast models, one set per demand class, backtested and forecast per class in one call each."""

import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import (
    IMAPA,
    TSB,
    CrostonOptimized,
    SeasonalExponentialSmoothingOptimized,
    SeasonalNaive,
)

from orchestration.forecast.classify import INTERMITTENT, REGULAR, SHORT_HISTORY

SEASON = 7
BASELINE = "seasonal_naive"
# TSB has no optimiser in statsforecast; 0.1 is the smoothing the intermittent-demand literature starts from.
_TSB_ALPHA = 0.1


def local_models(demand_class: str) -> list:
    """The statsforecast models fitted for a class (intervals come from the backtest, engine.py)."""
    baseline = SeasonalNaive(season_length=SEASON, alias=BASELINE)
    if demand_class == REGULAR:
        return [
            baseline,
            SeasonalExponentialSmoothingOptimized(SEASON, alias="seasonal_es"),
        ]
    if demand_class == INTERMITTENT:
        return [
            baseline,
            CrostonOptimized(alias="croston"),
            TSB(alpha_d=_TSB_ALPHA, alpha_p=_TSB_ALPHA, alias="tsb"),
            IMAPA(alias="imapa"),
        ]
    if demand_class == SHORT_HISTORY:
        return [baseline]
    raise ValueError(f"unknown demand class {demand_class!r}")


def backtest_local(panel: pd.DataFrame, classes: pd.DataFrame, *, horizon: int, step: int) -> pd.DataFrame:
    """Long rolling-origin forecasts (unique_id, ds, cutoff, model, forecast) of every local model on the
    windows each product affords; the windows end at the panel's last day, so cut-offs line up across products."""
    parts = []
    for (demand_class, windows), members in classes.groupby(["demand_class", "backtest_windows"]):
        if windows == 0:
            continue
        series = panel.loc[panel["unique_id"].isin(members["unique_id"]), ["unique_id", "ds", "y"]]
        engine = StatsForecast(models=local_models(demand_class), freq="D", n_jobs=1)
        cv = engine.cross_validation(h=horizon, df=series, n_windows=int(windows), step_size=step)
        parts.append(_long(cv.drop(columns="y"), ["unique_id", "ds", "cutoff"]))
    if not parts:  # a shop younger than one backtest window
        return pd.DataFrame(
            {
                "unique_id": pd.Series(dtype=object),
                "ds": pd.Series(dtype="datetime64[ns]"),
                "cutoff": pd.Series(dtype="datetime64[ns]"),
                "model": pd.Series(dtype=object),
                "forecast": pd.Series(dtype=float),
            }
        )
    return pd.concat(parts, ignore_index=True)


def forecast_local(panel: pd.DataFrame, classes: pd.DataFrame, *, horizon: int) -> pd.DataFrame:
    """unique_id, ds, model, forecast for every local model of every product that was backtested."""
    parts = []
    for demand_class, members in classes[classes["backtest_windows"] > 0].groupby("demand_class"):
        series = panel.loc[panel["unique_id"].isin(members["unique_id"]), ["unique_id", "ds", "y"]]
        engine = StatsForecast(models=local_models(demand_class), freq="D", n_jobs=1)
        parts.append(_long(engine.forecast(h=horizon, df=series), ["unique_id", "ds"]))
    return pd.concat(parts, ignore_index=True)


def _long(wide: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return wide.melt(id_vars=keys, var_name="model", value_name="forecast")
