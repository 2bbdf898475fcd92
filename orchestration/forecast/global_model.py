"""The global LightGBM model (mlforecast): one Tweedie model over every product, recursive over the horizon."""

import lightgbm as lgb
import numpy as np
import pandas as pd
from mlforecast import MLForecast
from mlforecast.lag_transforms import RollingMean

MODEL = "lightgbm"
SEED = 0
# Settings sized for the 2-core budget (orchestration/forecast/bench.py): 5,000 products x 365 days backtested
# on three windows and refitted within two minutes, see the module docstring of bench.py for the figures.
LGBM_PARAMS = {
    "objective": "tweedie",
    "n_estimators": 150,
    "learning_rate": 0.08,
    "num_leaves": 31,
    "min_child_samples": 10,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.9,
    "num_threads": 2,
    "deterministic": True,
    "force_row_wise": True,
    "random_state": SEED,
    "verbose": -1,
}


def exogenous_columns(horizon: int) -> list[str]:
    return ["price", f"views_lag{horizon}", f"hotspot_clicks_lag{horizon}", "is_out_of_stock"]


def _engine() -> MLForecast:
    return MLForecast(
        models={MODEL: lgb.LGBMRegressor(**LGBM_PARAMS)},
        freq="D",
        lags=[7, 14, 28],
        lag_transforms={1: [RollingMean(window_size=7), RollingMean(window_size=28)], 7: [RollingMean(window_size=4)]},
        date_features=["dayofweek"],
        num_threads=1,
    )


def _training_frame(panel: pd.DataFrame, horizon: int) -> pd.DataFrame:
    return panel[["unique_id", "ds", "y", *exogenous_columns(horizon)]]


# The longest look back of a feature (lag 28, and a 28-day mean of lag 1) plus two weeks of rows to learn from:
# a cut-off earlier than this leaves the model nothing to train on.
MIN_TRAIN_DAYS = 29 + 14


def global_windows(panel: pd.DataFrame, *, horizon: int, step: int) -> int:
    """How many of the latest backtest cut-offs leave the global model rows to train on."""
    days = (panel["ds"].max() - panel["ds"].min()).days + 1
    return max((days - MIN_TRAIN_DAYS - horizon) // step + 1, 0)


def backtest_global(panel: pd.DataFrame, *, horizon: int, windows: int, step: int) -> pd.DataFrame:
    """unique_id, ds, cutoff, model, forecast on the same cut-offs as the local backtest; each window's model
    is trained on the rows up to its cut-off only."""
    cv = _engine().cross_validation(
        df=_training_frame(panel, horizon), n_windows=windows, h=horizon, step_size=step, static_features=[]
    )
    return cv.drop(columns="y").melt(id_vars=["unique_id", "ds", "cutoff"], var_name="model", value_name="forecast")


def forecast_global(panel: pd.DataFrame, *, horizon: int) -> pd.DataFrame:
    """unique_id, ds, model, forecast for the horizon after the panel's last day. Future exogenous values: the
    last list price, the views and clicks of `horizon` days earlier (already observed), and in stock (this is
    a forecast of demand, not of what the stock allows)."""
    engine = _engine().fit(_training_frame(panel, horizon), static_features=[])
    future = _future_exogenous(panel, horizon)
    point = engine.predict(h=horizon, X_df=future)
    return point.melt(id_vars=["unique_id", "ds"], var_name="model", value_name="forecast")


def _future_exogenous(panel: pd.DataFrame, horizon: int) -> pd.DataFrame:
    last_day = panel["ds"].max()
    ids = panel["unique_id"].unique()
    future = pd.DataFrame(
        {
            "unique_id": ids.repeat(horizon),
            "ds": np.tile(pd.date_range(last_day + pd.Timedelta(days=1), periods=horizon).to_numpy(), len(ids)),
        }
    )
    # A future day's lagged views and clicks are the ones observed `horizon` days before it: already known.
    observed = panel[["unique_id", "ds", "views", "hotspot_clicks"]].assign(ds=panel["ds"] + pd.Timedelta(days=horizon))
    future = future.merge(observed, on=["unique_id", "ds"], how="left").rename(
        columns={"views": f"views_lag{horizon}", "hotspot_clicks": f"hotspot_clicks_lag{horizon}"}
    )
    last_price = panel.groupby("unique_id")["price"].last()
    future["price"] = future["unique_id"].map(last_price).to_numpy()
    future["is_out_of_stock"] = 0
    return future.astype(
        {"is_out_of_stock": "int8", f"views_lag{horizon}": "float64", f"hotspot_clicks_lag{horizon}": "float64"}
    )
