"""Time as integer milliseconds since the Unix epoch (UTC), and the shop's daily and weekly rhythm."""

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

# Visits per hour of the day (UTC, the shop's customers are mostly in CET): quiet nights, a lunch bump
# and a busy evening.
HOURLY_TRAFFIC = (
    0.30,
    0.18,
    0.12,
    0.08,
    0.08,
    0.12,
    0.25,
    0.45,
    0.65,
    0.75,
    0.85,
    0.95,
    1.05,
    1.00,
    0.92,
    0.90,
    0.95,
    1.05,
    1.25,
    1.50,
    1.65,
    1.55,
    1.15,
    0.60,
)
# Monday..Sunday: weekends are busier.
WEEKDAY_TRAFFIC = (0.92, 0.90, 0.94, 0.97, 1.03, 1.18, 1.24)


def day_start_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


@lru_cache(maxsize=4096)
def _date_text(days_since_epoch: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=days_since_epoch)).isoformat()


@lru_cache(maxsize=64)
def _offset_text(offset_minutes: int) -> str:
    if offset_minutes == 0:
        return "Z"
    sign = "+" if offset_minutes > 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


@lru_cache(maxsize=1 << 18)
def _minute_text(minutes_since_epoch: int) -> str:
    """ "YYYY-MM-DDTHH:MM:" of a local minute: events cluster in minutes, so this is mostly a cache hit."""
    days, minute_of_day = divmod(minutes_since_epoch, 24 * 60)
    return f"{_date_text(days)}T{minute_of_day // 60:02d}:{minute_of_day % 60:02d}:"


def iso_timestamp(ms: int, offset_minutes: int = 0) -> str:
    """ISO-8601 with milliseconds, as the device's clock wrote it: `Z` or a local offset, same instant."""
    minute, rest = divmod(ms + offset_minutes * MINUTE_MS, MINUTE_MS)
    seconds, millis = divmod(rest, 1000)
    return f"{_minute_text(minute)}{seconds:02d}.{millis:03d}{_offset_text(offset_minutes)}"
