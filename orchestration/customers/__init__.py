"""Customer models: predicted lifetime value (clv) and purchase propensity (propensity)."""
