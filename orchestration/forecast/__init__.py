"""Demand forecast per product: local statsforecast models, a global LightGBM model, a rolling-origin backtest
and per-product model selection. Pure pandas in, pandas out; the Dagster assets wire it to the warehouse."""

from orchestration.forecast.engine import DemandForecast, forecast_demand

__all__ = ["DemandForecast", "forecast_demand"]
