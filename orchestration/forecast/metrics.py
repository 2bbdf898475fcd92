"""Backtest scores: MASE against the weekly seasonal naive on the same days, WAPE and bias, per product and
per model, and the catalog rows."""

import numpy as np
import pandas as pd

from orchestration.forecast.local import BASELINE


def score(backtest: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """One row per product x model: mae, mase, wape, bias, windows, first_cutoff, last_cutoff.

    Stocked-out days are not scored: their sales say nothing about demand. A model's MASE divides its MAE by
    the seasonal naive's over the same days; when both are 0 the model is as good as the baseline (1)."""
    actual = panel[["unique_id", "ds", "y_observed"]]
    scored = backtest.merge(actual, on=["unique_id", "ds"], how="inner").dropna(subset=["y_observed"])
    scored = scored.assign(
        error=scored["forecast"] - scored["y_observed"],
        abs_error=(scored["forecast"] - scored["y_observed"]).abs(),
    )
    rows = scored.groupby(["unique_id", "model"]).agg(
        sum_abs_error=("abs_error", "sum"),
        sum_error=("error", "sum"),
        sum_actual=("y_observed", "sum"),
        days=("abs_error", "size"),
        windows=("cutoff", "nunique"),
        first_cutoff=("cutoff", "min"),
        last_cutoff=("cutoff", "max"),
    )
    rows = rows.reset_index()
    rows["mae"] = rows["sum_abs_error"] / rows["days"]
    baseline_mae = rows.loc[rows["model"] == BASELINE].set_index("unique_id")["mae"]
    rows["mase"] = _ratio(rows["mae"].to_numpy(), rows["unique_id"].map(baseline_mae).to_numpy(), both_zero=1.0)
    rows["wape"] = _ratio(rows["sum_abs_error"].to_numpy(), rows["sum_actual"].to_numpy(), both_zero=0.0)
    rows["bias"] = _ratio(rows["sum_error"].to_numpy(), rows["sum_actual"].to_numpy(), both_zero=0.0)
    return rows


def catalog(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per model over every product it was backtested on: WAPE and bias across products (sums of
    errors over the sum of actuals), MASE the mean of the products' finite MASE (a product whose baseline
    never erred has an infinite MASE for any other model that did, and would swamp the mean)."""
    finite_mase = rows["mase"].where(np.isfinite(rows["mase"]))
    totals = (
        rows.assign(finite_mase=finite_mase)
        .groupby("model")
        .agg(
            sum_abs_error=("sum_abs_error", "sum"),
            sum_error=("sum_error", "sum"),
            sum_actual=("sum_actual", "sum"),
            mase=("finite_mase", "mean"),
            windows=("windows", "max"),
            first_cutoff=("first_cutoff", "min"),
            last_cutoff=("last_cutoff", "max"),
        )
    )
    totals["wape"] = _ratio(totals["sum_abs_error"].to_numpy(), totals["sum_actual"].to_numpy(), both_zero=0.0)
    totals["bias"] = _ratio(totals["sum_error"].to_numpy(), totals["sum_actual"].to_numpy(), both_zero=0.0)
    return totals.reset_index()


def _ratio(numerator: np.ndarray, denominator: np.ndarray, *, both_zero: float) -> np.ndarray:
    """numerator / denominator, `both_zero` where nothing was erred on nothing, inf or NaN past that."""
    numerator, denominator = np.asarray(numerator, dtype="float64"), np.asarray(denominator, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((numerator == 0) & (denominator == 0), both_zero, numerator / denominator)
