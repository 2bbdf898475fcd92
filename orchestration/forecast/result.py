"""What a demand forecast returns (the interface the dbt model and the tests read)."""

from dataclasses import dataclass

import pandas as pd

ACCURACY_COLUMNS = [
    "product_id", "model", "demand_class", "mase", "wape", "bias", "is_selected", "windows", "first_cutoff",
    "last_cutoff",
]  # fmt: skip
FORECAST_COLUMNS = ["product_id", "date_day", "model", "forecast_units", "forecast_low_80", "forecast_high_80"]


@dataclass(frozen=True)
class DemandForecast:
    forecasts: pd.DataFrame  # FORECAST_COLUMNS: the selected model's, per product and future day
    accuracy: pd.DataFrame  # ACCURACY_COLUMNS: per product and model backtested, plus catalog rows
