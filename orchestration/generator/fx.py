"""Daily exchange rates to the reporting currency (EUR), with a planted weekend the rate feed skipped."""

import random
from datetime import date, timedelta

REPORTING_CURRENCY = "EUR"
# 1 unit of the currency in EUR at the start of the data.
_STARTING_RATES = {"USD": 0.9050, "GBP": 1.1720, "SEK": 0.0875}


def _weekend_gap(start_date: date, days: int) -> list[int]:
    """The first Saturday and Sunday after the first day: the feed publishes no file for them."""
    for day in range(1, days - 1):
        if (start_date + timedelta(days=day)).weekday() == 5:
            return [day, day + 1]
    return []


class FxRates:
    def __init__(self, rng: random.Random, start_date: date, days: int):
        self.currencies = tuple(_STARTING_RATES)
        self.missing_days = _weekend_gap(start_date, days)
        self._rates: list[dict[str, float]] = []
        rates = dict(_STARTING_RATES)
        for _ in range(days):
            rates = {c: round(r * (1 + rng.gauss(0, 0.004)), 6) for c, r in rates.items()}
            self._rates.append(rates)

    def published(self, day: int) -> bool:
        return day not in self.missing_days

    def published_rates(self, day: int) -> dict[str, float]:
        return self._rates[day]

    def rate_to_reporting(self, currency: str, day: int) -> float:
        """The rate a model must use on `day`: that day's, or the latest earlier published one."""
        if currency == REPORTING_CURRENCY:
            return 1.0
        while not self.published(day):
            day -= 1
        return self._rates[day][currency]

    def convert_cents(self, cents: int, currency: str, to_currency: str, day: int) -> int:
        if currency == to_currency:
            return cents
        in_reporting = cents * self.rate_to_reporting(currency, day)
        return round(in_reporting / self.rate_to_reporting(to_currency, day))
