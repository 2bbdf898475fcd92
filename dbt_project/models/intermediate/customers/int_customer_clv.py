"""Predicted CLV per customer (orchestration/customers/clv.py over int_clv_inputs): BG/NBD + Gamma-Gamma,
refitted only when its inputs or settings change. The summary stops at the last complete day, so it moves
when the clock's date turns (or late or re-stitched orders land): the hourly runs of a day keep the fit and
never load the modelling libraries (seconds to import, tens of seconds to compile on a machine that never ran them)."""

import hashlib
import json
from datetime import UTC, datetime

import pandas as pd

from orchestration.customers.clv import predict_clv
from orchestration.model_tables import ModelTables, model_tables

SUMMARY_COLUMNS = ["customer_id", "frequency", "recency_days", "tenure_days", "monetary_value"]
# Typed, so that a shop without customers (and dbt's --empty build) gives the same column types.
COLUMNS = {
    "customer_id": "string",
    "frequency": "int64",
    "recency_days": "int64",
    "tenure_days": "int64",
    "monetary_value": "float64",
    "predicted_orders_12m": "float64",
    "probability_alive": "float64",
    "expected_order_value": "float64",
    "predicted_clv_12m": "float64",
    "clv_fit_status": "string",
    "clv_parameters": "string",
    "fitted_at": "datetime64[us, UTC]",
    "fit_key": "string",
}


def model(dbt, session):
    dbt.config(materialized="table")
    tables = model_tables(session)
    return tables.result(_predicted_clv(dbt, tables))


def _predicted_clv(dbt, tables: ModelTables) -> pd.DataFrame:
    # One plain call per setting: dbt finds the keys to hand the model by reading its code, and does not look
    # inside expressions such as int(...).
    horizon_months = dbt.config.meta_get("clv_horizon_months")
    monthly_discount_rate = dbt.config.meta_get("clv_monthly_discount_rate")
    min_repeat_buyers = dbt.config.meta_get("clv_min_repeat_buyers")
    settings = {
        "horizon_months": int(horizon_months),
        "monthly_discount_rate": float(monthly_discount_rate),
        "min_repeat_buyers": int(min_repeat_buyers),
    }
    # dbt finds a model's refs by reading its code: each stays a plain call of its own.
    inputs = dbt.ref("int_clv_inputs")
    summary = tables.frame(inputs)[SUMMARY_COLUMNS].sort_values("customer_id", ignore_index=True)
    fit_key = _fit_key(summary, settings)
    kept = _kept_fit(tables, dbt.this, fit_key)
    if kept is not None:
        return kept
    if summary.empty:
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in COLUMNS.items()})
    fit = predict_clv(
        summary.rename(columns={"recency_days": "recency", "tenure_days": "T"}).astype(
            {"frequency": "int64", "recency": "float64", "T": "float64", "monetary_value": "float64"}
        ),
        **settings,
    )
    return (
        summary.merge(fit.predictions, on="customer_id", how="left")
        .assign(
            clv_fit_status=fit.status,
            clv_parameters=json.dumps(fit.parameters, sort_keys=True),
            fitted_at=datetime.now(UTC),
            fit_key=fit_key,
        )
        .reindex(columns=list(COLUMNS))
    )


def _fit_key(summary: pd.DataFrame, settings: dict) -> str:
    """What the fit depends on, hashed: every customer's summary and the settings."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    digest.update(pd.util.hash_pandas_object(summary, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _kept_fit(tables: ModelTables, this, fit_key: str) -> pd.DataFrame | None:
    if not tables.exists(this) or "fit_key" not in tables.column_names(this):
        return None
    (kept_key,) = tables.row(f"select max(fit_key) from {this}")
    if kept_key != fit_key:
        return None
    return tables.query_frame(f"select * from {this}")
