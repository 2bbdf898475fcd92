"""Demand classes: which model family a product's history can support."""

import numpy as np
import pandas as pd

REGULAR = "regular"
INTERMITTENT = "intermittent"
SHORT_HISTORY = "short_history"

# Syntetos-Boylan-Croston cut-off: an average inter-demand interval above it makes Croston-type models win.
_ADI_INTERMITTENT = 1.32
# Days a model trains on before the earliest backtest cut-off (two weekly seasons).
MIN_TRAIN_DAYS = 14


def classify(panel: pd.DataFrame, *, horizon: int, windows: int, step: int) -> pd.DataFrame:
    """unique_id, demand_class, n_days and backtest_windows (the rolling-origin windows its history affords,
    at most `windows`; a product with fewer is short_history and is backtested on the ones it has)."""
    ids = panel["unique_id"]
    stats = pd.DataFrame(
        {
            "n_days": ids.value_counts(),
            "observed_days": panel["y_observed"].notna().groupby(ids).sum(),
            "demand_days": (panel["y_observed"] > 0).groupby(ids).sum(),
        }
    )
    stats.index.name = "unique_id"
    # Intervals and selection come from the backtest: a full history affords at least two windows.
    full_windows = max(windows, 2)
    # Cut-offs `step` days apart, the last `horizon` days before the end, the first after MIN_TRAIN_DAYS.
    affordable = ((stats["n_days"] - MIN_TRAIN_DAYS - horizon) // step + 1).clip(lower=0)
    stats["backtest_windows"] = np.clip(affordable, 0, windows).astype(int)
    # Average inter-demand interval over the days whose sales were not censored.
    adi = stats["observed_days"] / stats["demand_days"].where(stats["demand_days"] > 0)
    is_short = affordable < full_windows
    stats["demand_class"] = np.where(
        is_short, SHORT_HISTORY, np.where(adi.fillna(np.inf) > _ADI_INTERMITTENT, INTERMITTENT, REGULAR)
    )
    return stats.reset_index()[["unique_id", "demand_class", "n_days", "backtest_windows"]]
