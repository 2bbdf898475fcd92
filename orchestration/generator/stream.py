"""Routes each valid event line to the day whose files will deliver it: the day it occurred, or for planted
late events a later day.

Late events go to the front of their delivery day's first file. Lags of 1-2 days and of 5-10 days are
used, never 3-4: measured against the newest event in earlier files, a 1-2 day lag is never more than 3
days late and a 5-10 day lag always is, so the split at `late_arrival_days` = 3 is unambiguous. (A lag of 3,
planted by `hold_back` for purchases delivered after their refund, is under 3 days late too: the newest event
before its delivery day is older than that day's midnight.)

The first late event that a long lag still fits takes one whatever its draw, so every shop of a week or more
holds an event more than `late_arrival_days` late, as its tests need.
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager

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
        self._long_lag_planted = False

    @contextmanager
    def drawing_from(self, rng: random.Random) -> Iterator[None]:
        """Sends events with another generator's draws: visits caused by the messaging tool leave the draws of the
        shop's own traffic as they were."""
        own, self._rng = self._rng, rng
        try:
            yield
        finally:
            self._rng = own

    def day_of(self, ms: int) -> int:
        """The day whose files hold an event; visits running past the last midnight stay in the last day."""
        return min((ms - self._start_ms) // DAY_MS, self._days - 1)

    def send(self, ms: int, *, may_be_late: bool) -> tuple[int, int]:
        """(sent_at ms, delivery lag in days): sent moments later and delivered the same day, or for a
        planted late event held back and sent on its delivery day."""
        random = self._rng.random
        if not may_be_late or random() >= SHARE_LATE:
            return ms + 40 + int(random() * 2460), 0
        lag = self._rng.choice(LONG_LAGS if random() < SHARE_LONG_LAG else SHORT_LAGS)
        day = self.day_of(ms)
        if not self._long_lag_planted and day + LONG_LAGS[0] < self._days - 1:
            lag = max(lag, LONG_LAGS[0])
        # Never into the last day: its file also holds events past midnight, which would blur the lag.
        if day + lag >= self._days - 1:
            return ms + 40 + int(random() * 2460), 0
        self._long_lag_planted |= lag in LONG_LAGS
        return self._start_ms + (day + lag) * DAY_MS + self._rng.randrange(5 * HOUR_MS), lag

    def can_hold_back(self, ms: int, lag: int) -> bool:
        """Whether an event can be delivered `lag` days late: never into the last day (see `send`)."""
        return self.day_of(ms) + lag < self._days - 1

    def hold_back(self, ms: int, lag: int) -> tuple[int, int]:
        """(sent_at ms, lag) for an event whose delivery is planted `lag` days late (check `can_hold_back`)."""
        return self._start_ms + (self.day_of(ms) + lag) * DAY_MS + self._rng.randrange(5 * HOUR_MS), lag

    def add(self, ms: int, line: str, flags: int, lag: int) -> None:
        if ms > self.latest_ms:
            self.latest_ms = ms
        day = min((ms - self._start_ms) // DAY_MS, self._days - 1)
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
