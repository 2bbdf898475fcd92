"""Purchase propensity: the probability that a customer orders within the horizon after a cut-off, from the
behaviour before it (int_propensity_features). A small L2-regularised logistic regression on log counts:
its probabilities are calibrated by construction (it minimises log loss), it trains in milliseconds, and
it cannot memorise a shop of a few thousand customers.

Evaluation is honest twice over: features stop at the cut-off (the SQL), and the held-out customers (a
fixed share chosen by a hash of customer_id, the same on every run) are never trained on."""

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

FEATURES = [
    "sessions_7d",
    "sessions_30d",
    "product_views_30d",
    "add_to_carts_30d",
    "searches_30d",
    "video_starts_30d",
    "video_intents_30d",
    "orders_to_date",
    "net_revenue_to_date",
    "days_since_last_session",
    "days_since_last_order",
    "tenure_days",
]
LABEL = "ordered_in_horizon"
HELD_OUT_PERCENT = 30
# "Never" for the days-since features: longer ago than any window the features look at.
NEVER_DAYS = 365
DECILES = 10
MODEL_NAME = "logistic_regression"


@dataclass(frozen=True)
class Evaluation:
    auc: float | None  # None when the held-out customers are all of one class
    calibration: pd.DataFrame  # decile, customers, predicted_mean, observed_rate, orders
    trained_customers: int
    evaluated_customers: int


def is_held_out(customer_id: str) -> bool:
    """The same customers are held out on every run and machine (not Python's salted hash())."""
    return int(hashlib.sha256(customer_id.encode()).hexdigest(), 16) % 100 < HELD_OUT_PERCENT


def fit(rows: pd.DataFrame):
    """The model trained on labelled rows; a constant base rate when they hold one class only."""
    labels = rows[LABEL].astype(bool).to_numpy()
    if labels.all() or not labels.any():
        return _BaseRate(float(labels.mean()) if len(labels) else 0.0)
    model = make_pipeline(
        FunctionTransformer(np.log1p),
        StandardScaler(),
        LogisticRegression(C=0.3, max_iter=1000),
    )
    return model.fit(_design(rows), labels)


def predict(model, rows: pd.DataFrame) -> np.ndarray:
    return model.predict_proba(_design(rows))[:, 1]


def evaluate(rows: pd.DataFrame) -> Evaluation:
    """Train on the customers not held out, and judge on the held-out ones: AUC and calibration by decile."""
    held_out = rows["customer_id"].map(is_held_out).to_numpy(dtype=bool)
    train, test = rows[~held_out], rows[held_out]
    predicted = predict(fit(train), test)
    labels = test[LABEL].astype(bool).to_numpy()
    auc = float(roc_auc_score(labels, predicted)) if 0 < labels.sum() < len(labels) else None
    calibration = (
        pd.DataFrame(
            {
                "decile": deciles(predicted),
                "predicted": predicted,
                "ordered": labels,
                "orders": test["orders_in_horizon"].to_numpy(),
            }
        )
        .groupby("decile", as_index=False)
        .agg(
            customers=("ordered", "size"),
            predicted_mean=("predicted", "mean"),
            observed_rate=("ordered", "mean"),
            orders=("orders", "sum"),
        )
    )
    return Evaluation(auc, calibration, trained_customers=len(train), evaluated_customers=len(test))


def deciles(probabilities: np.ndarray) -> np.ndarray:
    """1 (least likely) to 10 (most likely), equal counts; ties broken by position so every decile fills."""
    if len(probabilities) == 0:
        return np.array([], dtype=int)
    ranks = pd.Series(probabilities).rank(method="first").to_numpy()
    return np.ceil(ranks * DECILES / len(probabilities)).astype(int)


def _design(rows: pd.DataFrame) -> np.ndarray:
    design = rows[FEATURES].astype(float)
    days = ["days_since_last_session", "days_since_last_order"]
    design[days] = design[days].fillna(NEVER_DAYS)
    # Refunds can take net revenue below zero only by rounding; log1p needs > -1.
    return design.fillna(0).clip(lower=0).to_numpy()


@dataclass(frozen=True)
class _BaseRate:
    rate: float

    def predict_proba(self, design: np.ndarray) -> np.ndarray:
        return np.column_stack([np.full(len(design), 1 - self.rate), np.full(len(design), self.rate)])
