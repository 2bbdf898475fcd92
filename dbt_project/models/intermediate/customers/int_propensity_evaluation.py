"""The purchase-propensity model judged on customers it never trained on (orchestration/customers/
propensity.py): at the evaluation cut-off, 70% of customers (by a hash of customer_id) train it, the
other 30% are scored and compared with whether they ordered in the horizon. One row per decile, with the
run's AUC repeated; fct_propensity_calibration publishes it."""

import pandas as pd

from orchestration.customers.propensity import MODEL_NAME, evaluate
from orchestration.model_tables import ModelTables, model_tables

# Typed, so that a shop with nothing to evaluate (and dbt's --empty build) still meets the mart's contract.
COLUMNS = {
    "decile": "int64",
    "customers": "int64",
    "predicted_mean": "float64",
    "observed_rate": "float64",
    "orders": "int64",
    "auc": "float64",
    "cutoff_at": "datetime64[us, UTC]",
    "horizon_days": "int64",
    "model": "string",
    "trained_customers": "int64",
    "evaluated_customers": "int64",
}


def model(dbt, session):
    dbt.config(materialized="table")
    tables = model_tables(session)
    return tables.result(_calibration(dbt, tables))


def _calibration(dbt, tables: ModelTables) -> pd.DataFrame:
    horizon_days = dbt.config.meta_get("propensity_horizon_days")
    # The solver's result depends (in its last digits) on the order of its rows: a fixed order makes an
    # incremental warehouse and a full rebuild hold the same scores.
    features = dbt.ref("int_propensity_features")
    rows = tables.frame(features, order_by="cutoff_kind, customer_id")
    labelled = rows[rows["cutoff_kind"] == "evaluation"]
    if labelled.empty:
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in COLUMNS.items()})
    evaluation = evaluate(labelled)
    return evaluation.calibration.assign(
        auc=evaluation.auc,
        cutoff_at=labelled["cutoff_at"].iloc[0],
        horizon_days=int(horizon_days),
        model=MODEL_NAME,
        trained_customers=evaluation.trained_customers,
        evaluated_customers=evaluation.evaluated_customers,
    ).reindex(columns=list(COLUMNS))
