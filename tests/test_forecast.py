"""The demand forecast engine on hand-built series: no pipeline, no DuckDB."""

import numpy as np
import pandas as pd
import pytest

from orchestration.forecast import forecast_demand
from orchestration.forecast.classify import classify
from orchestration.forecast.engine import backtest
from orchestration.forecast.panel import to_panel

HORIZON = 28
WINDOWS = 3
# Cut-offs a horizon apart, so the hand computations below read one window after another.
STEP = HORIZON
DAYS = 182
START = pd.Timestamp("2026-05-04")  # a Monday
WEEKLY = np.array([2.0, 4.0, 6.0, 8.0, 10.0, 14.0, 12.0])
INTERMITTENT_FAMILY = {"croston", "tsb", "imapa", "lightgbm"}


def _series(product_id: str, units: np.ndarray, out_of_stock: np.ndarray | None = None) -> pd.DataFrame:
    days = len(units)
    return pd.DataFrame(
        {
            "product_id": product_id,
            "date_day": pd.date_range(START, periods=days).date,
            "net_units": units.astype(int),
            "is_out_of_stock": np.zeros(days, bool) if out_of_stock is None else out_of_stock,
            "price": 20.0,
            "views": 100,
            "hotspot_clicks": 3,
        }
    )


def _weekly(rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
    return rng.poisson(np.tile(WEEKLY * scale, DAYS // 7 + 1)[:DAYS])


def _intermittent(rng: np.random.Generator) -> np.ndarray:
    return np.where(rng.random(DAYS) < 0.12, rng.integers(1, 6, DAYS), 0)


def _stocked_out_last_week(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    units = rng.poisson(np.full(DAYS, 10.0))
    out = np.arange(DAYS) >= DAYS - 7
    return np.where(out, 0, units), out


@pytest.fixture(scope="module")
def catalog() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    stock_units, stock_out = _stocked_out_last_week(rng)
    frames = [
        _series("flat", np.full(DAYS, 5)),
        _series("weekly", _weekly(rng, 3.0)),
        _series("weekly_b", _weekly(rng, 1.0)),
        _series("intermittent", _intermittent(rng)),
        _series("stockout", stock_units, stock_out),
    ]
    # Rows in no particular order: the engine must not rely on them being sorted.
    return pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=1)


@pytest.fixture(scope="module")
def result(catalog):
    return forecast_demand(catalog, horizon=HORIZON, windows=WINDOWS, step=STEP)


def _forecast_of(result, product_id: str) -> pd.DataFrame:
    return result.forecasts[result.forecasts["product_id"] == product_id]


def test_one_selected_model_per_product_over_the_horizon(result, catalog):
    forecasts = result.forecasts
    last_day = max(catalog["date_day"])
    assert len(forecasts) == 5 * HORIZON
    assert forecasts.groupby("product_id")["model"].nunique().eq(1).all()
    assert forecasts["date_day"].min() == last_day + pd.Timedelta(days=1)
    assert forecasts["date_day"].max() == last_day + pd.Timedelta(days=HORIZON)
    selected = result.accuracy[result.accuracy["is_selected"]].set_index("product_id")["model"]
    assert forecasts.groupby("product_id")["model"].first().to_dict() == selected.to_dict()


def test_flat_series_forecasts_flat_with_every_model(result):
    flat = _forecast_of(result, "flat")
    assert np.allclose(flat["forecast_units"], 5.0, atol=0.25)
    rows = result.accuracy[result.accuracy["product_id"] == "flat"]
    assert set(rows["model"]) == {"seasonal_naive", "seasonal_es", "lightgbm"}
    # Every model's backtest forecasts are within 5% of the flat 5 units a day.
    assert (rows["wape"] < 0.05).all(), rows


def test_weekly_pattern_is_recovered(result):
    for product_id in ("weekly", "weekly_b"):
        forecast = _forecast_of(result, product_id)
        profile = forecast.groupby(pd.to_datetime(forecast["date_day"]).dt.dayofweek)["forecast_units"].mean()
        assert np.corrcoef(profile.sort_index().to_numpy(), WEEKLY)[0, 1] > 0.9
        rows = result.accuracy[result.accuracy["product_id"] == product_id].set_index("model")
        chosen = rows[rows["is_selected"]]
        assert len(chosen) == 1
        assert chosen["mase"].iloc[0] <= rows.loc["seasonal_naive", "mase"]
        assert rows.loc[chosen.index[0], "demand_class"] == "regular"


def test_intermittent_series_gets_an_intermittent_model_with_intervals(result):
    rows = result.accuracy[result.accuracy["product_id"] == "intermittent"]
    assert set(rows["demand_class"]) == {"intermittent"}
    assert {"croston", "tsb", "imapa"} <= set(rows["model"])
    forecast = _forecast_of(result, "intermittent")
    assert forecast["model"].iloc[0] in INTERMITTENT_FAMILY
    assert (forecast["forecast_high_80"] > forecast["forecast_low_80"]).all()


def test_intervals_contain_the_point(result):
    forecasts = result.forecasts
    assert (forecasts["forecast_units"] >= 0).all()
    assert (forecasts["forecast_low_80"] <= forecasts["forecast_units"]).all()
    assert (forecasts["forecast_units"] <= forecasts["forecast_high_80"]).all()


def test_seasonal_naive_mase_is_one(result):
    baseline = result.accuracy[result.accuracy["model"] == "seasonal_naive"]
    assert len(baseline) == 6  # five products and the catalog row
    assert np.allclose(baseline["mase"], 1.0)


def test_stock_out_days_do_not_pull_the_forecast_to_zero(result):
    forecast = _forecast_of(result, "stockout")
    # The product sells about 10 a day when stocked; the last week's zeros were censored demand.
    assert forecast["forecast_units"].mean() == pytest.approx(10.0, rel=0.2)


def test_backtest_windows_and_cutoffs(result, catalog):
    rows = result.accuracy[result.accuracy["product_id"].notna()]
    last_day = max(catalog["date_day"])
    assert (rows["windows"] == WINDOWS).all()
    assert (rows["last_cutoff"] == last_day - pd.Timedelta(days=HORIZON)).all()
    assert (rows["first_cutoff"] == last_day - pd.Timedelta(days=WINDOWS * HORIZON)).all()


def test_same_input_same_result(result, catalog):
    again = forecast_demand(catalog, horizon=HORIZON, windows=WINDOWS, step=STEP)
    pd.testing.assert_frame_equal(again.forecasts, result.forecasts)
    pd.testing.assert_frame_equal(again.accuracy, result.accuracy)


def _backtest_of(daily: pd.DataFrame) -> pd.DataFrame:
    panel = to_panel(daily, HORIZON)
    classes = classify(panel, horizon=HORIZON, windows=WINDOWS, step=STEP)
    return backtest(panel, classes, horizon=HORIZON, step=STEP)


def test_backtest_never_looks_past_its_cutoff():
    rng = np.random.default_rng(3)
    first_cutoff_index = DAYS - WINDOWS * HORIZON - 1
    plain = [_series("a", _weekly(rng, 2.0)), _series("b", _weekly(rng, 1.0)), _series("c", _intermittent(rng))]
    spiked_units = plain[0]["net_units"].to_numpy().copy()
    spiked_units[first_cutoff_index + 1] += 500
    spiked = [_series("a", spiked_units), *plain[1:]]
    before = _backtest_of(pd.concat(plain, ignore_index=True))
    after = _backtest_of(pd.concat(spiked, ignore_index=True))
    keys = ["unique_id", "ds", "cutoff", "model"]
    joined = before.merge(after, on=keys, suffixes=("_before", "_after"))
    assert len(joined) == len(before) == len(after)
    first_cutoff = pd.Timestamp(START + pd.Timedelta(days=first_cutoff_index))
    at_first = joined[joined["cutoff"] == first_cutoff]
    assert set(at_first["model"]) >= {"seasonal_naive", "seasonal_es", "lightgbm", "croston"}
    assert np.array_equal(at_first["forecast_before"].to_numpy(), at_first["forecast_after"].to_numpy())
    # The spike is in the data: forecasts made at a later cut-off do see it.
    later = joined[(joined["cutoff"] > first_cutoff) & (joined["unique_id"] == "a")]
    assert not np.allclose(later["forecast_before"], later["forecast_after"])


def test_catalog_wape_is_errors_over_actuals_across_products():
    # Seasonal naive by hand: each backtest day repeats the same weekday of the week before its cut-off.
    big = np.tile(np.array([10, 20, 30, 40, 50, 60, 70]), DAYS // 7) + np.arange(DAYS) % 5
    small = np.tile(np.array([1, 0, 2, 0, 3, 0, 1]), DAYS // 7) + (np.arange(DAYS) % 3 == 0)
    daily = pd.concat([_series("big", big), _series("small", small)], ignore_index=True)
    result = forecast_demand(daily, horizon=HORIZON, windows=WINDOWS, step=STEP)

    abs_errors, actuals = 0.0, 0.0
    for units in (big, small):
        for window in range(WINDOWS):
            cutoff = DAYS - (WINDOWS - window) * HORIZON - 1
            last_week = units[cutoff - 6 : cutoff + 1]
            forecast = np.resize(last_week, HORIZON)
            actual = units[cutoff + 1 : cutoff + 1 + HORIZON]
            abs_errors += np.abs(forecast - actual).sum()
            actuals += actual.sum()
    catalog_row = result.accuracy[result.accuracy["product_id"].isna() & (result.accuracy["model"] == "seasonal_naive")]
    assert catalog_row["wape"].iloc[0] == pytest.approx(abs_errors / actuals)
    per_product = result.accuracy[
        result.accuracy["product_id"].notna() & (result.accuracy["model"] == "seasonal_naive")
    ]
    # Not the mean of the products' WAPE: the big seller weighs in by its volume.
    assert per_product["wape"].mean() != pytest.approx(abs_errors / actuals)


def test_a_shop_younger_than_one_backtest_window_still_forecasts_every_product():
    rng = np.random.default_rng(5)
    young = pd.concat([_series(name, _weekly(rng)[:29]) for name in ("a", "b")], ignore_index=True)

    result = forecast_demand(young, horizon=HORIZON, windows=WINDOWS, step=7)

    assert result.accuracy.empty  # nothing to judge a model on yet: no accuracy is claimed
    assert result.forecasts.groupby("product_id").size().to_dict() == {"a": HORIZON, "b": HORIZON}
    assert (result.forecasts["forecast_units"] >= 0).all()
