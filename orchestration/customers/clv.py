"""Predicted customer lifetime value: BG/NBD (how many more orders, is the customer still alive) and
Gamma-Gamma (what an order is worth), fitted by maximum likelihood with pymc-marketing (MAP under flat
priors: its default priors pull the estimates 11-14% off the published maximum-likelihood fit).

Input is the lifetimes-style summary in days (int_clv_inputs). A month is 30 days, as lifetimes and
pymc-marketing count it when discounting, so `predicted_orders_12m` and `predicted_clv_12m` cover the same
360 days. A shop with too few repeat buyers, or a fit that does not converge, gets a status and null
predictions, never an exception: one model should not stop the warehouse."""

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

DAYS_PER_MONTH = 30
BG_NBD_PARAMETERS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "v")
PREDICTION_COLUMNS = ["predicted_orders_12m", "probability_alive", "expected_order_value", "predicted_clv_12m"]
FITTED = "fitted"
TOO_FEW_REPEAT_BUYERS = "too_few_repeat_buyers"
FIT_FAILED = "fit_failed"


@dataclass(frozen=True)
class ClvFit:
    status: str  # FITTED, TOO_FEW_REPEAT_BUYERS or FIT_FAILED
    predictions: pd.DataFrame  # customer_id + PREDICTION_COLUMNS, one row per input customer; null unless fitted
    parameters: dict[str, float] = field(default_factory=dict)
    message: str = ""


def predict_clv(
    summary: pd.DataFrame, *, horizon_months: int = 12, monthly_discount_rate: float = 0.01, min_repeat_buyers: int
) -> ClvFit:
    """Predictions for every customer of `summary` (customer_id, frequency, recency, T, monetary_value; days),
    one-order customers (frequency 0) included."""
    repeat_buyers = int((summary["frequency"] > 0).sum())
    if repeat_buyers < min_repeat_buyers:
        return _unfitted(
            summary,
            TOO_FEW_REPEAT_BUYERS,
            f"CLV not predicted: {repeat_buyers} repeat buyers, the fit needs at least {min_repeat_buyers}",
        )
    try:
        transactions = fit_bg_nbd(summary)
        spend = fit_gamma_gamma(_spend_fit_rows(summary))
    except Exception as error:  # the optimiser's and the library's failures alike: the run goes on without CLV
        return _unfitted(summary, FIT_FAILED, f"CLV not predicted: the fit failed ({type(error).__name__}: {error})")
    parameters = fitted_parameters(transactions, BG_NBD_PARAMETERS) | fitted_parameters(spend, GAMMA_GAMMA_PARAMETERS)
    if not _usable(parameters):
        return _unfitted(summary, FIT_FAILED, f"CLV not predicted: the fit gave unusable parameters {parameters}")
    predictions = _predictions(summary, transactions, spend, horizon_months, monthly_discount_rate)
    # An optimiser that ran off to a boundary (no heterogeneity left to estimate) gives finite parameters whose
    # hypergeometric terms overflow.
    if not np.isfinite(predictions[PREDICTION_COLUMNS].to_numpy()).all():
        return _unfitted(summary, FIT_FAILED, f"CLV not predicted: the fit's predictions overflow {parameters}")
    return ClvFit(FITTED, predictions, parameters)


def fit_bg_nbd(summary: pd.DataFrame):
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import BetaGeoModel

    model = BetaGeoModel(model_config={name: Prior("HalfFlat") for name in BG_NBD_PARAMETERS})
    model.fit(summary[["customer_id", "frequency", "recency", "T"]], method="map", progressbar=False)
    return model


def fit_gamma_gamma(repeat_buyers: pd.DataFrame):
    """Fitted on repeat buyers only: a first order says nothing about the spread of one customer's spend."""
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import GammaGammaModel

    model = GammaGammaModel(model_config={name: Prior("HalfFlat") for name in GAMMA_GAMMA_PARAMETERS})
    model.fit(repeat_buyers[["customer_id", "frequency", "monetary_value"]], method="map", progressbar=False)
    return model


def fitted_parameters(model, names: tuple[str, ...]) -> dict[str, float]:
    return {name: float(model.idata.posterior[name].values.squeeze()) for name in names}


def _spend_fit_rows(summary: pd.DataFrame) -> pd.DataFrame:
    # Gamma-Gamma models positive spend: a repeat buyer whose repeat orders were refunded in full has none.
    return summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]


def _usable(parameters: dict[str, float]) -> bool:
    # q <= 1 makes the Gamma-Gamma mean spend infinite.
    return all(math.isfinite(value) and value > 0 for value in parameters.values()) and parameters["q"] > 1


def _predictions(summary, transactions, spend, horizon_months: int, monthly_discount_rate: float) -> pd.DataFrame:
    data = summary[["customer_id", "frequency", "recency", "T"]].assign(
        # A refunded repeat spend counts as zero, not negative, for the customer's own average.
        monetary_value=summary["monetary_value"].clip(lower=0)
    )
    horizon_days = horizon_months * DAYS_PER_MONTH
    clv = spend.expected_customer_lifetime_value(
        transaction_model=transactions,
        data=data,
        future_t=horizon_months,
        discount_rate=monthly_discount_rate,
        time_unit="D",
    )
    customers = data["customer_id"]
    return pd.DataFrame(
        {
            "customer_id": customers.to_numpy(),
            "predicted_orders_12m": _per_customer(
                transactions.expected_purchases(data=data, future_t=horizon_days), customers
            ),
            "probability_alive": _per_customer(transactions.expected_probability_alive(data=data), customers),
            "expected_order_value": _per_customer(spend.expected_customer_spend(data=data), customers),
            "predicted_clv_12m": _per_customer(clv, customers),
        }
    )


def _per_customer(values, customers: pd.Series):
    """A MAP fit's predictions (one chain, one draw) as one float per customer, in `customers`' order."""
    squeezed = values.squeeze(("chain", "draw"), drop=True)
    return pd.Series(squeezed.values, index=squeezed["customer_id"].values).reindex(customers).to_numpy(dtype=float)


def _unfitted(summary: pd.DataFrame, status: str, message: str) -> ClvFit:
    log.warning(message)
    predictions = pd.DataFrame({"customer_id": summary["customer_id"].to_numpy()})
    for column in PREDICTION_COLUMNS:
        predictions[column] = float("nan")
    return ClvFit(status, predictions, message=message)
