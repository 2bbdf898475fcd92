"""The product's one clock: the instant a load judges "the future" by and stamps what it writes with, and
the day the demo shop's history ends before.

`FUNNELHOUSE_NOW` (an ISO-8601 instant; UTC unless it carries an offset) pins it, for replaying a load as it
ran on a given day and for tests, which must pass whatever the machine's date. Unset, it is the wall clock.
Bookkeeping that is about this machine and not about the data (a lock's age, a file's settle time, when a
copy was published) reads the wall clock directly.
"""

import os
from datetime import UTC, date, datetime

NOW_SETTING = "FUNNELHOUSE_NOW"


def parse_instant(text: str) -> datetime:
    """An ISO date or timestamp; UTC unless it carries an offset."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def current_instant() -> datetime:
    """Now, in UTC: FUNNELHOUSE_NOW when set, else the wall clock. Read at every call, so a test or a replay
    that sets the variable is obeyed without reloading anything."""
    pinned = os.environ.get(NOW_SETTING)
    if not pinned:
        return datetime.now(UTC)
    try:
        return parse_instant(pinned).astimezone(UTC)
    except ValueError as error:
        raise ValueError(f"{NOW_SETTING}={pinned!r} is not an ISO-8601 instant") from error


def today() -> date:
    """The current UTC day by current_instant."""
    return current_instant().date()
