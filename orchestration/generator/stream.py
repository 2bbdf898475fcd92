"""Routes each valid event line to the day whose files will deliver it: the day it occurred, or for planted
late events a later day.

Late events go to the front of their delivery day's first file. Lags of 1-2 days and of 5-10 days are
used, never 3-4: measured against the newest event in earlier files, a 1-2 day lag is always under 3
days late and a 5-10 day lag always over, so the split at `late_arrival_days` = 3 is unambiguous.
"""

import random

from orchestration.generator.clock import DAY_MS, HOUR_MS

SHARE_LATE = 0.004
SHORT_LAGS = (1, 2)
LONG_LAGS = (5, 6, 7, 8, 9, 10)
SHARE_LONG_LAG = 0.25

BufferedLine = tuple[int, str, int]  # (occurred ms, JSON line, personal-data flags)


class EventStream:
    def __init__(self, rng: random.Random, start_ms: int, days: int):
        self._rng = rng
        self._start_ms = start_ms
        self._days = days
        self._occurring: dict[int, list[BufferedLine]] = {}
        self._late: dict[int, list[BufferedLine]] = {}
        self.latest_ms = 0  # the warehouse clock: newest occurred_at of any valid event

    def day_of(self, ms: int) -> int:
        """The day whose files hold an event; visits running past the last midnight stay in the last day."""
        return min((ms - self._start_ms) // DAY_MS, self._days - 1)

    def delivery_lag(self, ms: int) -> int:
        """0 for on-time events; else the days after its own day the event is delivered."""
        if self._rng.random() >= SHARE_LATE:
            return 0
        lag = self._rng.choice(LONG_LAGS if self._rng.random() < SHARE_LONG_LAG else SHORT_LAGS)
        # Never into the last day: its file also holds events past midnight, which would blur the lag.
        return lag if self.day_of(ms) + lag < self._days - 1 else 0

    def sent_at_ms(self, ms: int, lag: int) -> int:
        """When the device sent it: moments later, or on the delivery day when it was held back."""
        if not lag:
            return ms + self._rng.randint(40, 2500)
        delivery_start = self._start_ms + (self.day_of(ms) + lag) * DAY_MS
        return delivery_start + self._rng.randint(0, 5 * HOUR_MS)

    def add(self, ms: int, line: str, flags: int, lag: int) -> None:
        if ms > self.latest_ms:
            self.latest_ms = ms
        day = self.day_of(ms)
        if lag:
            self._late.setdefault(day + lag, []).append((ms, line, flags))
        else:
            self._occurring.setdefault(day, []).append((ms, line, flags))

    def take_day(self, day: int) -> tuple[list[BufferedLine], list[BufferedLine]]:
        """(late lines delivered this day, this day's own lines in time order); frees both."""
        own = self._occurring.pop(day, [])
        own.sort(key=_occurred)
        return self._late.pop(day, []), own


def _occurred(line: BufferedLine) -> int:
    return line[0]
