"""Predicted CLV: the fit reproduces the published CDNOW estimates, its edges (one-order customers, too few
repeat buyers, a failed fit) give statuses rather than crashes, and the warehouse's int_customer_clv covers
every customer of the video_shop fixture with sane predictions."""

import logging
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from orchestration.assets.dbt_project import DBT_PROJECT_DIR
from orchestration.customers import clv
from orchestration.customers.clv import fit_bg_nbd, fit_gamma_gamma, fitted_parameters, predict_clv

CDNOW = Path(__file__).parent / "fixtures" / "cdnow_customers_summary.csv"
# Fader, Hardie and Lee (2005a, 2005b), the BG/NBD and Gamma-Gamma papers' estimates on this data.
PUBLISHED_BG_NBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.45}
MIN_REPEAT_BUYERS = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]["clv_min_repeat_buyers"]


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(CDNOW, comment="#")


def test_bg_nbd_reproduces_the_published_cdnow_estimates(cdnow):
    fitted = fitted_parameters(fit_bg_nbd(cdnow), clv.BG_NBD_PARAMETERS)
    assert fitted == pytest.approx(PUBLISHED_BG_NBD, rel=0.01)


def test_gamma_gamma_reproduces_the_published_cdnow_estimates(cdnow):
    fitted = fitted_parameters(fit_gamma_gamma(cdnow[cdnow["frequency"] > 0]), clv.GAMMA_GAMMA_PARAMETERS)
    assert fitted == pytest.approx(PUBLISHED_GAMMA_GAMMA, rel=0.01)


def _shop(customers: int, *, seed: int = 7) -> pd.DataFrame:
    """A shop drawn from the BG/NBD and Gamma-Gamma stories themselves, in days: each customer buys at a
    gamma-distributed rate, may drop out after each purchase, and spends around a gamma-distributed mean."""
    rng = np.random.default_rng(seed)
    rows = []
    for number in range(customers):
        tenure = float(rng.integers(30, 365))
        rate, dropout, mean_spend = rng.gamma(0.6, 1 / 15), rng.beta(1.0, 3.0), rng.gamma(6.0, 8.0)
        purchases, last, now = 0, 0.0, 0.0
        while (now := now + rng.exponential(1 / rate)) <= tenure:
            purchases, last = purchases + 1, now
            if rng.random() < dropout:
                break
        rows.append(
            {
                "customer_id": f"c{number}",
                "frequency": purchases,
                "recency": last,
                "T": tenure,
                "monetary_value": rng.gamma(20.0, mean_spend / 20.0, size=purchases).mean() if purchases else 0.0,
            }
        )
    return pd.DataFrame(rows)


def test_every_customer_gets_a_prediction_one_order_customers_included():
    shop = _shop(400)
    fit = predict_clv(shop, min_repeat_buyers=20)
    assert fit.status == clv.FITTED
    predictions = fit.predictions.set_index("customer_id")
    assert list(predictions.index) == list(shop["customer_id"])
    assert predictions.notna().all().all()
    assert (predictions >= 0).all().all()
    assert predictions["probability_alive"].between(0, 1).all()
    # Discounting and the 30-day months: the CLV is at most the undiscounted orders times the order value.
    assert (
        predictions["predicted_clv_12m"] <= predictions["predicted_orders_12m"] * predictions["expected_order_value"]
    ).all()
    recent_repeaters = shop.loc[(shop["frequency"] >= 2) & (shop["T"] - shop["recency"] < 30), "customer_id"]
    one_order = shop.loc[shop["frequency"] == 0, "customer_id"]
    assert (
        predictions.loc[recent_repeaters, "predicted_orders_12m"].mean()
        > 2 * predictions.loc[one_order, "predicted_orders_12m"].mean()
    )
    # A one-order customer spends the population's mean order value: the same for all of them.
    assert predictions.loc[one_order, "expected_order_value"].nunique() == 1


def test_too_few_repeat_buyers_gives_a_status_null_predictions_and_a_warning(caplog):
    shop = _shop(400)
    repeat_buyers = int((shop["frequency"] > 0).sum())
    with caplog.at_level(logging.WARNING, logger=clv.__name__):
        fit = predict_clv(shop, min_repeat_buyers=repeat_buyers + 1)
    assert fit.status == clv.TOO_FEW_REPEAT_BUYERS
    assert fit.parameters == {}
    assert len(fit.predictions) == 400
    assert fit.predictions[clv.PREDICTION_COLUMNS].isna().all().all()
    assert f"{repeat_buyers} repeat buyers" in caplog.text


def test_a_fit_that_fails_gives_fit_failed_not_an_exception(monkeypatch, caplog):
    def diverging(_summary):
        raise FloatingPointError("optimisation diverged")

    monkeypatch.setattr(clv, "fit_bg_nbd", diverging)
    with caplog.at_level(logging.WARNING, logger=clv.__name__):
        fit = predict_clv(_shop(400), min_repeat_buyers=20)
    assert fit.status == clv.FIT_FAILED
    assert fit.predictions[clv.PREDICTION_COLUMNS].isna().all().all()
    assert "optimisation diverged" in caplog.text


def test_a_fit_run_off_to_a_boundary_gives_fit_failed():
    """A regular pattern rather than a population: every third customer bought again, on a fixed schedule.
    The optimiser drives the parameters towards infinity (no spread to estimate) and the predictions
    overflow."""
    number = np.arange(300)
    tenure = 20 + number % 40
    repeats = np.where(number % 3 == 0, 1 + number % 3, 0)
    shop = pd.DataFrame(
        {
            "customer_id": [f"c{n}" for n in number],
            "frequency": repeats,
            "recency": np.where(repeats > 0, tenure - number % 5, 0),
            "T": tenure,
            "monetary_value": np.where(repeats > 0, 40.0 + number % 7 * 5, 0.0),
        }
    )
    assert predict_clv(shop, min_repeat_buyers=20).status == clv.FIT_FAILED


def test_non_finite_parameters_give_fit_failed(monkeypatch):
    monkeypatch.setattr(clv, "fitted_parameters", lambda _model, names: dict.fromkeys(names, float("inf")))
    fit = predict_clv(_shop(400), min_repeat_buyers=20)
    assert fit.status == clv.FIT_FAILED
    assert fit.predictions[clv.PREDICTION_COLUMNS].isna().all().all()


def test_the_60_day_shop_summarises_every_customer_and_is_fitted(video_shop):
    """Every customer with an order on a complete day (before the clock's date) has a row, its summary as
    computed here from fct_orders, observed through the day before the clock's; the 60-day shop's
    repeat buyers (the messages' caused orders among them) reach clv_min_repeat_buyers, so a fit is tried.
    Sixty days cannot identify the dropout parameters (the MAP runs toward a boundary on this shop), so the
    fit may be refused as fit_failed: either way the status and the predictions agree."""
    _, db_path = video_shop
    with duckdb.connect(str(db_path), read_only=True) as con:
        orders = con.sql(
            "select customer_id, order_date, net_revenue from marts.fct_orders where customer_id is not null"
        ).df()
        (clock_date,) = con.sql("select clock_date from intermediate.int_warehouse_clock").fetchone()
        clv_rows = con.sql("select * from intermediate.int_customer_clv").df().set_index("customer_id")
    last_complete_day = pd.Timestamp(clock_date) - pd.Timedelta(days=1)
    assert (pd.to_datetime(orders["order_date"]) > last_complete_day).any(), "the shop orders on the clock's day"
    orders = orders[pd.to_datetime(orders["order_date"]) <= last_complete_day]
    days = orders.groupby(["customer_id", "order_date"], as_index=False)["net_revenue"].sum()
    days["first_day"] = days.groupby("customer_id")["order_date"].transform("min")
    repeat_days = days[days["order_date"] > days["first_day"]]
    expected = pd.DataFrame(
        {
            "frequency": days.groupby("customer_id").size() - 1,
            "recency_days": (
                days.groupby("customer_id")["order_date"].max() - days.groupby("customer_id")["first_day"].min()
            ).dt.days,
            "monetary_value": repeat_days.groupby("customer_id")["net_revenue"].mean().astype(float),
        }
    ).fillna({"monetary_value": 0.0})
    assert sorted(clv_rows.index) == sorted(expected.index)
    joined = clv_rows.join(expected, rsuffix="_expected")
    for column in ("frequency", "recency_days", "monetary_value"):
        assert joined[column].astype(float).to_numpy() == pytest.approx(joined[f"{column}_expected"].to_numpy())
    assert (clv_rows["tenure_days"] >= clv_rows["recency_days"]).all()
    first_days = days.groupby("customer_id")["first_day"].min()
    assert clv_rows["tenure_days"].to_numpy() == pytest.approx(
        (last_complete_day - pd.to_datetime(first_days)).dt.days.reindex(clv_rows.index).to_numpy()
    )
    repeat_buyers = int((expected["frequency"] > 0).sum())
    assert repeat_buyers >= MIN_REPEAT_BUYERS
    [status] = set(clv_rows["clv_fit_status"])
    predictions = clv_rows[clv.PREDICTION_COLUMNS].astype(float)
    if status == clv.FITTED:
        assert np.isfinite(predictions.to_numpy()).all() and (predictions >= 0).all().all()
        assert clv_rows["probability_alive"].between(0, 1).all()
    else:
        assert status == clv.FIT_FAILED
        assert predictions.isna().all().all()
