"""What was planted, counted exactly while writing, for tests to hold the warehouse against (truth.json)."""

from collections import Counter, defaultdict
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
class ExportTotals:
    """Per platform sums of the good rows written to the ad_spend and social exports (a planted bad row is a
    copy the loader rejects, so it adds nothing)."""

    ad_spend: defaultdict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    spend_cents: defaultdict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # by currency
    social: defaultdict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def as_dict(self) -> dict:
        return {
            "ad_spend_by_platform": {
                platform: {
                    "spend_by_currency": _money(self.spend_cents[platform]),
                    "spend_reporting": round(totals["spend_reporting"], 2),
                    "impressions": totals["impressions"],
                    "clicks": totals["clicks"],
                }
                for platform, totals in sorted(self.ad_spend.items())
            },
            "social_by_platform": {
                platform: dict(sorted(totals.items())) for platform, totals in sorted(self.social.items())
            },
        }


@dataclass
class SessionCounts:
    """Non-bot visits: each is exactly one session under the 30-minute rule (visits of one device are more
    than 35 minutes apart, events within a visit less than 30)."""

    sessions: int = 0
    purchase_sessions: int = 0
    by_channel: Counter = field(default_factory=Counter)
    purchase_by_channel: Counter = field(default_factory=Counter)  # by the visit's first touch
    refund_sessions: int = 0
    mid_visit_campaign_changes: int = 0
    orders: int = 0
    revenue_cents: Counter = field(default_factory=Counter)
    refunds: int = 0
    refunded_orders: set[str] = field(default_factory=set)
    refund_cents: Counter = field(default_factory=Counter)
    revenue_reporting: float = 0.0  # each order at its order day's rate (UTC day)
    refund_reporting: float = 0.0  # each refund at its order's rate, booked part only
    sign_ups: Counter = field(default_factory=Counter)
    server_side_orders: int = 0
    orders_without_session: int = 0
    server_side_order_sessions: int = 0
    orders_delivered_after_their_refund: int = 0
    server_side_refunds: int = 0
    refunds_resent: int = 0
    refunds_over_order: int = 0
    refund_excess_cents: Counter = field(default_factory=Counter)
    refund_excess_reporting: float = 0.0
    refunds_without_order: int = 0
    refund_without_order_cents: Counter = field(default_factory=Counter)
    refund_without_order_reporting: float = 0.0  # at the refund day's rate: there is no order date

    def as_dict(self) -> dict:
        return {
            "sessions": self.sessions,
            "purchase_sessions": self.purchase_sessions,
            "orders": self.orders,
            "revenue_by_currency": _money(self.revenue_cents),
            "refunds": self.refunds,
            "refunded_orders": len(self.refunded_orders),
            "refund_amount_by_currency": _money(self.refund_cents),
            "revenue_reporting": round(self.revenue_reporting, 2),
            "refund_amount_reporting": round(self.refund_reporting, 2),
            "sessions_by_channel": dict(sorted(self.by_channel.items())),
            "purchase_sessions_by_channel": {c: self.purchase_by_channel[c] for c in sorted(self.by_channel)},
            "refund_sessions": self.refund_sessions,
            "mid_visit_campaign_changes": self.mid_visit_campaign_changes,
            "sign_ups_by_method": dict(sorted(self.sign_ups.items())),
            "server_side_orders": self.server_side_orders,
            "orders_without_session": self.orders_without_session,
            "orders_in_sessions": self.orders - self.orders_without_session,
            "server_side_order_sessions": self.server_side_order_sessions,
            "sessions_with_order": self.purchase_sessions + self.server_side_order_sessions,
            "orders_delivered_after_their_refund": self.orders_delivered_after_their_refund,
            "server_side_refunds": self.server_side_refunds,
            "refunds_resent": self.refunds_resent,
            "refunds_over_order": self.refunds_over_order,
            "refund_excess_by_currency": _money(self.refund_excess_cents),
            "refund_excess_reporting": round(self.refund_excess_reporting, 2),
            "refunds_without_order": self.refunds_without_order,
            "refund_without_order_amount_by_currency": _money(self.refund_without_order_cents),
            "refund_without_order_amount_reporting": round(self.refund_without_order_reporting, 2),
        }


def _money(cents: Counter) -> dict[str, float]:
    return {c: round(v / 100, 2) for c, v in sorted(cents.items()) if v}
