"""Per product, the model it is forecast with: the lowest backtest MASE, ties to the simpler model."""

import numpy as np
import pandas as pd

from orchestration.forecast.classify import INTERMITTENT
from orchestration.forecast.global_model import MODEL as GLOBAL_MODEL
from orchestration.forecast.local import BASELINE

# Simplest first: a tie goes to the model with fewer moving parts.
SIMPLICITY = [BASELINE, "croston", "tsb", "imapa", "seasonal_es", GLOBAL_MODEL]
# MASE differences below this are noise from float sums, not a better model.
_TIE = 1e-9


def select(rows: pd.DataFrame) -> pd.Series:
    """is_selected for each product x model row of `rows` (unique_id, model, demand_class, mase).

    An intermittent seller is never forecast with the weekly naive, which only anchors its MASE: repeating
    last week's few sales on the same weekdays can score a fair MAE (MAE rewards forecasting the zeros) and is
    still no forecast to restock by."""
    rank = rows["model"].map({m: i for i, m in enumerate(SIMPLICITY)}).to_numpy()
    eligible = ~((rows["demand_class"] == INTERMITTENT) & (rows["model"] == BASELINE)).to_numpy()
    mase = np.where(eligible, rows["mase"].fillna(np.inf).to_numpy(), np.inf)
    best = pd.Series(mase).groupby(rows["unique_id"].to_numpy()).transform("min").to_numpy()
    candidate = eligible & (mase <= best + _TIE)
    candidate_rank = np.where(candidate, rank, len(SIMPLICITY))
    chosen_rank = pd.Series(candidate_rank).groupby(rows["unique_id"].to_numpy()).transform("min").to_numpy()
    return pd.Series(candidate & (rank == chosen_rank), index=rows.index)
