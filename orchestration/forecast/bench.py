"""bench_forecast: forecast_demand on a synthetic catalog of the size the issue budgets (5,000 products x 365
days, three backtest windows, under two minutes on two cores).

Measured on the 2-core helper machine (see the branch's report for the run): the LightGBM settings in
global_model.LGBM_PARAMS (150 trees, num_threads=2) are what keeps the global model's four fits (three
backtest windows and the final one) inside the budget."""

import time

import numpy as np
import pandas as pd

from orchestration.forecast import forecast_demand

_WEEKLY_PROFILE = np.array([0.8, 0.9, 1.0, 1.0, 1.1, 1.4, 1.3])
_INTERMITTENT_SHARE = 0.3


def synthetic_catalog(products: int = 5000, days: int = 365, seed: int = 0) -> pd.DataFrame:
    """int_product_daily-shaped rows: a weekly pattern and a trend per product, ~30% intermittent sellers
    (demand on a few days only), some new products starting late, and stock-out spells that censor sales."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-01-01")
    level = rng.gamma(2.0, 3.0, products)
    trend = rng.normal(0, 0.5, products) / days
    intermittent = rng.random(products) < _INTERMITTENT_SHARE
    level = np.where(intermittent, rng.uniform(0.1, 0.4, products), level)
    first_day = np.where(rng.random(products) < 0.05, rng.integers(0, days - 30, products), 0)

    day = np.arange(days)
    mean = level[:, None] * _WEEKLY_PROFILE[(day + start.dayofweek) % 7][None, :] * (1 + trend[:, None] * day)
    demand = rng.poisson(np.clip(mean, 0, None))
    out_of_stock = _stock_out_spells(rng, products, days)
    sold = np.where(out_of_stock, 0, demand)
    keep = (day[None, :] >= first_day[:, None]).ravel()
    price = np.round(rng.uniform(5, 80, products), 2)
    views = rng.poisson(np.clip(mean * 20, 0, None))
    return pd.DataFrame(
        {
            "product_id": np.repeat([f"p{i:05d}" for i in range(products)], days),
            "date_day": np.tile(pd.date_range(start, periods=days).date, products),
            "net_units": sold.ravel(),
            "is_out_of_stock": out_of_stock.ravel(),
            "price": np.repeat(price, days),
            "views": views.ravel(),
            "hotspot_clicks": rng.binomial(views, 0.03).ravel(),
        }
    )[keep].reset_index(drop=True)


def _stock_out_spells(rng: np.random.Generator, products: int, days: int) -> np.ndarray:
    """One week-long stock-out in a tenth of the products."""
    starts = np.where(rng.random(products) < 0.1, rng.integers(0, days - 7, products), -100)
    day = np.arange(days)
    return (day[None, :] >= starts[:, None]) & (day[None, :] < starts[:, None] + 7)


def bench_forecast(products: int = 5000, days: int = 365, seed: int = 0) -> dict:
    """Seconds for forecast_demand (backtest included) and the catalog MASE / WAPE per model."""
    daily = synthetic_catalog(products, days, seed)
    started = time.perf_counter()
    result = forecast_demand(daily)
    seconds = time.perf_counter() - started
    catalog_rows = result.accuracy[result.accuracy["product_id"].isna()]
    return {
        "products": products,
        "days": days,
        "seconds": round(seconds, 1),
        "models": {
            row.model: {"mase": round(float(row.mase), 3), "wape": round(float(row.wape), 3)}
            for row in catalog_rows.itertuples()
        },
    }
