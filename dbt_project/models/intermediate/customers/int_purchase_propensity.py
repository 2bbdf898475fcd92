"""Purchase propensity per customer at the clock (orchestration/customers/propensity.py): trained on every
customer of the evaluation cut-off (behaviour before it, orders in the horizon after it), then applied to
the behaviour before the clock. int_propensity_evaluation judges the same model on held-out customers."""

import pandas as pd

from orchestration.customers.propensity import MODEL_NAME, deciles, fit, predict

COLUMNS = ["customer_id", "purchase_propensity", "propensity_decile", "scored_at", "model"]


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("int_propensity_features")
    rows = features.df()
    training = rows[rows["cutoff_kind"] == "evaluation"]
    scoring = rows[rows["cutoff_kind"] == "scoring"]
    if scoring.empty:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in COLUMNS})
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
