"""Purchase propensity per customer at the clock (orchestration/customers/propensity.py): trained on every
customer of the evaluation cut-off (behaviour before it, orders in the horizon after it), then applied to
the behaviour before the clock. int_propensity_evaluation judges the same model on held-out customers."""

import pandas as pd

from orchestration.customers.propensity import MODEL_NAME, deciles, fit, predict
from orchestration.model_tables import ModelTables, model_tables

# Typed, so that a shop with no one to score (and dbt's --empty build) gives the same column types.
COLUMNS = {
    "customer_id": "string",
    "purchase_propensity": "float64",
    "propensity_decile": "int64",
    "scored_at": "datetime64[us, UTC]",
    "model": "string",
}


def model(dbt, session):
    dbt.config(materialized="table")
    tables = model_tables(session)
    return tables.result(_propensities(dbt, tables))


def _propensities(dbt, tables: ModelTables) -> pd.DataFrame:
    # The solver's result depends (in its last digits) on the order of its rows: a fixed order makes an
    # incremental warehouse and a full rebuild hold the same scores.
    features = dbt.ref("int_propensity_features")
    rows = tables.frame(features, order_by="cutoff_kind, customer_id")
    training = rows[rows["cutoff_kind"] == "evaluation"]
    scoring = rows[rows["cutoff_kind"] == "scoring"]
    if scoring.empty:
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in COLUMNS.items()})
    propensity = predict(fit(training), scoring)
    return pd.DataFrame(
        {
            "customer_id": scoring["customer_id"].to_numpy(),
            "purchase_propensity": propensity,
            "propensity_decile": deciles(propensity),
            "scored_at": scoring["cutoff_at"].to_numpy(),
            "model": MODEL_NAME,
        }
    )
