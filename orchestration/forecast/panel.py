"""int_product_daily rows as the panel the forecasting libraries read: one contiguous daily series per product
(unique_id, ds, y) with censored demand filled in from the product's own past."""

import numpy as np
import pandas as pd

# Same-weekday observations a censored day borrows its demand from: four weeks follow the level without
# reaching back past a trend.
_IMPUTE_WEEKS = 4


def to_panel(daily: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """unique_id, ds, y (demand, censored days imputed), y_observed (NaN on censored days, the scoring target),
    is_out_of_stock, price, views, hotspot_clicks, and the last two lagged by the horizon (known on every
    forecast day).

    Every series runs to the last day of `daily`: a product without rows on a day sold nothing that day."""
    frame = daily.rename(columns={"product_id": "unique_id", "date_day": "ds"})
    frame = frame.assign(ds=pd.to_datetime(frame["ds"]), unique_id=frame["unique_id"].astype(str))
    frame = frame.groupby(["unique_id", "ds"], as_index=False).agg(
        net_units=("net_units", "sum"),
        is_out_of_stock=("is_out_of_stock", "max"),
        price=("price", "last"),
        views=("views", "sum"),
        hotspot_clicks=("hotspot_clicks", "sum"),
    )
    panel = _complete_grid(frame)
    panel["is_out_of_stock"] = panel["is_out_of_stock"].fillna(False).astype(bool)
    panel["price"] = panel.groupby("unique_id")["price"].ffill().bfill()
    panel[["views", "hotspot_clicks", "net_units"]] = panel[["views", "hotspot_clicks", "net_units"]].fillna(0)
    # Refunds of earlier sales can make a day's net units negative; demand itself never is.
    demand = panel["net_units"].clip(lower=0).astype("float64")
    panel["y_observed"] = demand.where(~panel["is_out_of_stock"])
    panel["y"] = _impute_censored(panel)
    by_product = panel.groupby("unique_id")
    panel[f"views_lag{horizon}"] = by_product["views"].shift(horizon).astype("float64")
    panel[f"hotspot_clicks_lag{horizon}"] = by_product["hotspot_clicks"].shift(horizon).astype("float64")
    panel["is_out_of_stock"] = panel["is_out_of_stock"].astype("int8")
    return panel.drop(columns="net_units")


def _complete_grid(frame: pd.DataFrame) -> pd.DataFrame:
    last_day = frame["ds"].max()
    first_days = frame.groupby("unique_id")["ds"].min()
    lengths = ((last_day - first_days).dt.days + 1).to_numpy()
    ids = np.repeat(first_days.index.to_numpy(), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    days = np.repeat(first_days.to_numpy(), lengths) + pd.to_timedelta(offsets, unit="D")
    grid = pd.DataFrame({"unique_id": ids, "ds": days})
    return grid.merge(frame, on=["unique_id", "ds"], how="left")


def _impute_censored(panel: pd.DataFrame) -> pd.Series:
    """A stocked-out day's demand is the mean of the product's last uncensored same-weekday days before it,
    else its mean over all earlier uncensored days, else 0: only the past, so no backtest sees its future."""
    observed = panel["y_observed"]
    by_product = observed.groupby(panel["unique_id"])
    same_weekday = pd.concat([by_product.shift(7 * k) for k in range(1, _IMPUTE_WEEKS + 1)], axis=1)
    seasonal_mean = same_weekday.mean(axis=1, skipna=True)
    filled = observed.fillna(0)
    counts = observed.notna().astype("float64")
    ids = panel["unique_id"]
    earlier_sum = filled.groupby(ids).cumsum() - filled
    earlier_count = counts.groupby(ids).cumsum() - counts
    earlier_mean = (earlier_sum / earlier_count.where(earlier_count > 0)).astype("float64")
    estimate = seasonal_mean.fillna(earlier_mean).fillna(0.0)
    return observed.fillna(estimate)
