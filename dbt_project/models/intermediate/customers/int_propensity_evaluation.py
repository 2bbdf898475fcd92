"""The purchase-propensity model judged on customers it never trained on (orchestration/customers/
propensity.py): at the evaluation cut-off, 70% of customers (by a hash of customer_id) train it, the
other 30% are scored and compared with whether they ordered in the horizon. One row per decile, with the
run's AUC repeated; fct_propensity_calibration publishes it."""

import pandas as pd

from orchestration.customers.propensity import MODEL_NAME, evaluate

COLUMNS = [
    "decile",
    "customers",
    "predicted_mean",
    "observed_rate",
    "orders",
    "auc",
    "cutoff_at",
    "horizon_days",
    "model",
    "trained_customers",
    "evaluated_customers",
]


def model(dbt, session):
    dbt.config(materialized="table")
    horizon_days = dbt.config.meta_get("propensity_horizon_days")
    features = dbt.ref("int_propensity_features")
    rows = features.df()
    labelled = rows[rows["cutoff_kind"] == "evaluation"]
    if labelled.empty:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in COLUMNS})
    evaluation = evaluate(labelled)
    return evaluation.calibration.assign(
        auc=evaluation.auc,
        cutoff_at=labelled["cutoff_at"].iloc[0],
        horizon_days=int(horizon_days),
        model=MODEL_NAME,
        trained_customers=evaluation.trained_customers,
        evaluated_customers=evaluation.evaluated_customers,
    ).reindex(columns=COLUMNS)
