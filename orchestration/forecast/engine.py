"""forecast_demand: classify, backtest every model a product's class allows, select, forecast."""

import numpy as np
import pandas as pd

from orchestration.forecast.classify import classify
from orchestration.forecast.global_model import MODEL as GLOBAL_MODEL
from orchestration.forecast.global_model import backtest_global, forecast_global, global_windows
from orchestration.forecast.local import BASELINE, backtest_local, forecast_local
from orchestration.forecast.metrics import catalog, score
from orchestration.forecast.panel import to_panel
from orchestration.forecast.result import ACCURACY_COLUMNS, DemandForecast
from orchestration.forecast.selection import select


def forecast_with_models(
    daily: pd.DataFrame, *, horizon: int = 28, windows: int = 3, step: int = 7, level: int = 80
) -> DemandForecast:
    """The selected model's forecast for the `horizon` days after the last day of `daily`, per product, and
    the rolling-origin backtest (`windows` cut-offs `step` days apart, each forecasting `horizon` days) every
    model was selected on."""
    panel = to_panel(daily, horizon)
    classes = classify(panel, horizon=horizon, windows=windows, step=step)
    backtested = backtest(panel, classes, horizon=horizon, step=step)
    rows = score(backtested, panel).merge(classes[["unique_id", "demand_class"]], on="unique_id")
    rows["is_selected"] = select(rows)
    selected = _selected_models(rows, classes)
    forecasts = _forecasts(panel, classes, selected, backtested, horizon=horizon, level=level)
    return DemandForecast(forecasts=forecasts, accuracy=_accuracy(rows))


def backtest(panel: pd.DataFrame, classes: pd.DataFrame, *, horizon: int, step: int) -> pd.DataFrame:
    """Every model's backtest on the days of the product's own seasonal-naive windows, so MASE compares like
    with like (the global model is backtested on the whole catalog's windows, some before a product began)."""
    local = backtest_local(panel, classes, horizon=horizon, step=step)
    windows = min(int(classes["backtest_windows"].max()), global_windows(panel, horizon=horizon, step=step))
    if local.empty or windows <= 0:
        return local
    global_ = backtest_global(panel, horizon=horizon, windows=windows, step=step)
    baseline_days = local.loc[local["model"] == BASELINE, ["unique_id", "ds", "cutoff"]]
    global_ = global_.merge(baseline_days, on=["unique_id", "ds", "cutoff"], how="inner")
    return pd.concat([local, global_], ignore_index=True)


def _selected_models(rows: pd.DataFrame, classes: pd.DataFrame) -> pd.Series:
    """unique_id -> model. A product too young for any backtest window has nothing to select on: the global
    model, which learns from the whole catalog, forecasts it."""
    chosen = rows.loc[rows["is_selected"]].set_index("unique_id")["model"]
    return classes.set_index("unique_id").index.to_series().map(chosen).fillna(GLOBAL_MODEL)


def _forecasts(
    panel: pd.DataFrame,
    classes: pd.DataFrame,
    selected: pd.Series,
    backtested: pd.DataFrame,
    *,
    horizon: int,
    level: int,
) -> pd.DataFrame:
    parts = []
    if (selected != GLOBAL_MODEL).any():
        parts.append(forecast_local(panel, classes, horizon=horizon))
    if (selected == GLOBAL_MODEL).any():
        parts.append(forecast_global(panel, horizon=horizon))
    every = _with_conformal_interval(pd.concat(parts, ignore_index=True), backtested, panel, level=level)
    kept = every[every["model"].to_numpy() == every["unique_id"].map(selected).to_numpy()]
    point = kept["forecast"].clip(lower=0)
    out = pd.DataFrame(
        {
            "product_id": kept["unique_id"].to_numpy(),
            "date_day": kept["ds"].dt.date.to_numpy(),
            "model": kept["model"].to_numpy(),
            "forecast_units": point.to_numpy(),
            "forecast_low_80": np.minimum(kept["low"].clip(lower=0), point).to_numpy(),
            "forecast_high_80": np.maximum(kept["high"], point).to_numpy(),
        }
    )
    return out.sort_values(["product_id", "date_day"], ignore_index=True)


def _with_conformal_interval(
    forecast: pd.DataFrame, backtested: pd.DataFrame, panel: pd.DataFrame, *, level: int
) -> pd.DataFrame:
    """Every model's interval, the same way: the `level` quantile of the product's absolute errors under that
    model in the backtest already run (split conformal over its windows, rather than refitting each model on
    held-out horizons of its own, which a short history cannot spare); a product without backtest days for
    the model takes the model's catalog-wide quantile."""
    errors = backtested.merge(panel[["unique_id", "ds", "y_observed"]], on=["unique_id", "ds"])
    errors = errors.assign(abs_error=(errors["forecast"] - errors["y_observed"]).abs()).dropna(subset=["abs_error"])
    errors["abs_error"] = errors["abs_error"].astype("float64")
    quantile = level / 100
    per_product = errors.groupby(["unique_id", "model"])["abs_error"].quantile(quantile)
    per_model = errors.groupby("model")["abs_error"].quantile(quantile)
    keys = pd.MultiIndex.from_frame(forecast[["unique_id", "model"]])
    width = pd.Series(per_product.reindex(keys).to_numpy(), index=forecast.index)
    width = width.fillna(forecast["model"].map(per_model)).fillna(0.0).to_numpy()
    return forecast.assign(low=forecast["forecast"] - width, high=forecast["forecast"] + width)


def _accuracy(rows: pd.DataFrame) -> pd.DataFrame:
    products = rows.rename(columns={"unique_id": "product_id"})
    catalog_rows = catalog(rows).assign(product_id=None, demand_class=None, is_selected=False)
    accuracy = pd.concat([products[ACCURACY_COLUMNS], catalog_rows[ACCURACY_COLUMNS]], ignore_index=True)
    for column in ("first_cutoff", "last_cutoff"):
        accuracy[column] = pd.to_datetime(accuracy[column]).dt.date
    return accuracy.astype({"windows": "int64", "is_selected": "bool"})
