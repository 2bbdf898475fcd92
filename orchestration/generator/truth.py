"""What was planted, counted exactly while writing, for tests to hold the warehouse against (truth.json)."""

from collections import Counter
from dataclasses import dataclass, field

# Personal-data flags carried with every buffered event line, so re-deliveries are counted too.
EMAIL, PHONE, IPV6 = 1, 2, 4


@dataclass
class EventCounts:
    lines: int = 0
    valid_unique: int = 0
    duplicates: int = 0
    rejected: Counter = field(default_factory=Counter)
    bot_events: int = 0
    by_name: Counter = field(default_factory=Counter)
    late_by_lag_days: Counter = field(default_factory=Counter)  # as planted: delivery day - occurred day
    late: Counter = field(default_factory=Counter)  # as measured: older than the newest event of earlier files
    files: Counter = field(default_factory=Counter)
    pii: Counter = field(default_factory=Counter)
    pii_in_rejected: Counter = field(default_factory=Counter)

    def count_pii(self, flags: int) -> None:
        """One written line's personal data, by the flags the emitter set."""
        self.pii["ipv6" if flags & IPV6 else "ipv4"] += 1
        if flags & EMAIL:
            self.pii["emails"] += 1
        if flags & PHONE:
            self.pii["phones"] += 1

    def as_dict(self) -> dict:
        return {
            "lines": self.lines,
            "valid_unique": self.valid_unique,
            "duplicates": self.duplicates,
            "rejected": dict(sorted(self.rejected.items())),
            "bot_events": self.bot_events,
            "by_name": dict(sorted(self.by_name.items())),
            "late": {
                "up_to_3_days": self.late["up_to_3_days"],
                "over_3_days": self.late["over_3_days"],
                "planted_by_delivery_lag_days": {str(k): v for k, v in sorted(self.late_by_lag_days.items())},
            },
            "pii": {
                "emails": self.pii["emails"],
                "phones": self.pii["phones"],
                "ipv4": self.pii["ipv4"],
                "ipv6": self.pii["ipv6"],
                "in_rejected_lines": {k: self.pii_in_rejected[k] for k in ("emails", "phones", "ipv4")},
            },
        }


@dataclass
class CsvCounts:
    rows: int = 0
    rejected: Counter = field(default_factory=Counter)
    bad_rows: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        rejected = sum(self.rejected.values())
        return {
            "rows": self.rows,
            "valid": self.rows - rejected,
            "rejected": dict(sorted(self.rejected.items())),
            "bad_rows": self.bad_rows,
        }


@dataclass
class SessionCounts:
    """Non-bot visits: each is exactly one session under the 30-minute rule (visits of one device are more
    than 35 minutes apart, events within a visit less than 30)."""

    sessions: int = 0
    purchase_sessions: int = 0
    by_channel: Counter = field(default_factory=Counter)
    refund_sessions: int = 0
    mid_visit_campaign_changes: int = 0
    orders: int = 0
    revenue_cents: Counter = field(default_factory=Counter)
    refunds: int = 0
    refunded_orders: set[str] = field(default_factory=set)
    refund_cents: Counter = field(default_factory=Counter)
    revenue_reporting: float = 0.0  # each order at its order day's rate (UTC day)
    refund_reporting: float = 0.0  # each refund at its order's rate
    sign_ups: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {
            "sessions": self.sessions,
            "purchase_sessions": self.purchase_sessions,
            "orders": self.orders,
            "revenue_by_currency": {c: round(v / 100, 2) for c, v in sorted(self.revenue_cents.items())},
            "refunds": self.refunds,
            "refunded_orders": len(self.refunded_orders),
            "refund_amount_by_currency": {c: round(v / 100, 2) for c, v in sorted(self.refund_cents.items())},
            "revenue_reporting": round(self.revenue_reporting, 2),
            "refund_amount_reporting": round(self.refund_reporting, 2),
            "sessions_by_channel": dict(sorted(self.by_channel.items())),
            "refund_sessions": self.refund_sessions,
            "mid_visit_campaign_changes": self.mid_visit_campaign_changes,
            "sign_ups_by_method": dict(sorted(self.sign_ups.items())),
        }
