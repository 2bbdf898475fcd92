"""The shop's messaging tool: the activation flows it runs on contactable people, the control group it holds back,
opens, clicks and unsubscribes, and the orders its messages cause (a planted uplift per flow).

A flow picks a person when a visit ends (or, for reactivation, when they have been away long enough); a person
gets at most one send or hold per OUTCOME_WINDOW days, so the outcome windows of one person never overlap. A
messaged person orders because of the message with their flow's planted probability: a return visit through the
message's link (utm_medium=email, utm_source=<flow>) and an order in it, both real events the warehouse loads.
Every draw here comes from the messaging tool's own generator, so the shop's own traffic draws what it drew
without it (its stock and visit spacing still feel the extra orders and visits).
"""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from orchestration.generator.audience import Audience
from orchestration.generator.channels import Touch
from orchestration.generator.clock import DAY_MS, HOUR_MS, MINUTE_MS, iso_timestamp
from orchestration.generator.exports import write_csv
from orchestration.generator.faults import MESSAGE_FAULTS
from orchestration.generator.ids import IdMint
from orchestration.generator.traffic import Traffic, Visit
from orchestration.generator.truth import CsvCounts


@dataclass(frozen=True)
class Flow:
    send_delay_ms: int  # after the trigger
    uplift: float  # planted: added chance that a messaged person orders within the outcome window


# Cart recovery earns most, browse and search abandonment a little, welcome less; post-purchase earns nothing.
FLOWS: dict[str, Flow] = {
    "welcome": Flow(10 * MINUTE_MS, 0.02),
    "cart_recovery": Flow(HOUR_MS, 0.25),
    "browse_abandonment": Flow(DAY_MS, 0.03),
    "search_abandonment": Flow(DAY_MS, 0.04),
    "post_purchase": Flow(DAY_MS, 0.0),
    "reactivation": Flow(10 * HOUR_MS, 0.05),
}
OUTCOME_WINDOW_MS = 7 * DAY_MS  # dbt var flow_outcome_window_days
CONTROL_SHARE = 0.2
P_OPEN = 0.42
P_CLICK_AFTER_OPEN = 0.15  # a click without an order: a visit that only looks
P_UNSUBSCRIBE = 0.004  # of messaged people: no more messages afterwards
REACTIVATION_AFTER_DAYS = 90  # no order and no visit for that long
CLICK_DELAY_MAX_MS = 3 * DAY_MS  # a caused order comes well inside the outcome window
HEADER = (
    "sent_at",
    "flow",
    "channel",
    "customer_id",
    "anonymous_id",
    "message_id",
    "opened_at",
    "clicked_at",
    "unsubscribed_at",
    "is_control",
)
DEFINITION = (
    "per flow: messaged and control sends (all, and those whose outcome window of outcome_window_days after sent_at "
    "closed by warehouse_clock_at), opens, clicks, unsubscribes, caused_orders (all sends), and planted "
    "incremental_orders and "
    "incremental_revenue_reporting: the orders the messages themselves caused (a return visit through the message's "
    "link, utm_medium=email, utm_source=<flow>), in closed windows, never refunded, each at its order day's rate. "
    "uplift is the planted added probability of such an order per messaged person."
)


@dataclass
class Message:
    message_id: str
    flow: str
    user: int
    device: int
    sent_ms: int
    is_control: bool
    products: list[int]
    opened_ms: int | None = None
    clicked_ms: int | None = None
    unsubscribed_ms: int | None = None
    caused_revenue_reporting: float | None = None  # of the order the message caused


@dataclass(frozen=True)
class ReturnVisit:
    message: Message
    ms: int
    buys: bool


class Messaging:
    def __init__(self, seed: int, audience: Audience, start_ms: int, days: int):
        self._rng = random.Random(f"{seed}:messages")
        self._ids = IdMint(seed, "message_id", bits=64)
        self._audience = audience
        self._start_ms = start_ms
        self._days = days
        self.messages: list[Message] = []
        self._held_until: dict[int, int] = {}  # user -> end of the latest outcome window
        self._unsubscribed: set[int] = set()
        self._last_seen: dict[int, tuple[int, int]] = {}  # user -> (end of their latest visit, its device)
        self._seen_on: defaultdict[int, set[int]] = defaultdict(set)  # day -> customers seen that day
        self._customers: set[int] = set()  # users with an order
        self._returns: defaultdict[int, list[ReturnVisit]] = defaultdict(list)  # day -> link clicks

    # --- triggers -------------------------------------------------------------------------------------------

    def observe(self, visit: Visit) -> None:
        """A finished shopping visit: the flow it triggers, if its person can be contacted."""
        audience = self._audience
        device = visit.device
        user = visit.user if visit.user >= 0 else audience.latest_user[device]
        if visit.is_bot or user < 0 or device in audience.household:
            return
        day = self._day_of(visit.last_ms)
        self._last_seen[user] = (visit.last_ms, device)
        self._seen_on[day].add(user)
        if visit.ordered:
            self._customers.add(user)
            self._trigger("post_purchase", user, device, visit.last_ms, [])
        elif visit.signed_up:
            self._trigger("welcome", user, device, visit.last_ms, visit.viewed[-3:])
        elif visit.cart:
            self._trigger("cart_recovery", user, device, visit.last_ms, [line.product for line in visit.cart])
        elif visit.searched:
            self._trigger("search_abandonment", user, device, visit.last_ms, visit.viewed[-3:])
        elif visit.viewed:
            self._trigger("browse_abandonment", user, device, visit.last_ms, visit.viewed[-3:])

    def reactivate(self, day: int) -> None:
        """Customers whose last visit was REACTIVATION_AFTER_DAYS ago (only shops that long have any)."""
        away_since = day - REACTIVATION_AFTER_DAYS
        day_ms = self._start_ms + day * DAY_MS
        for user in sorted(self._seen_on.pop(away_since, set()) & self._customers):
            last_ms, device = self._last_seen[user]
            if self._day_of(last_ms) == away_since:
                self._trigger("reactivation", user, device, day_ms, [])

    def _trigger(self, flow: str, user: int, device: int, at_ms: int, products: list[int]) -> None:
        sent_ms = at_ms + FLOWS[flow].send_delay_ms
        if sent_ms >= self._end_ms or user in self._unsubscribed or self._held_until.get(user, 0) > sent_ms:
            return
        self._held_until[user] = sent_ms + OUTCOME_WINDOW_MS
        rng = self._rng
        message_id = f"msg_{self._ids.hex(len(self.messages))}"
        message = Message(message_id, flow, user, device, sent_ms, rng.random() < CONTROL_SHARE, products)
        self.messages.append(message)
        if not message.is_control:
            self._respond(message)

    def _respond(self, message: Message) -> None:
        """Opens and clicks; a click is a return visit, planted to order with the flow's uplift."""
        rng = self._rng
        buys = rng.random() < FLOWS[message.flow].uplift
        opened = buys or rng.random() < P_OPEN
        if opened:
            message.opened_ms = message.sent_ms + MINUTE_MS + int(rng.expovariate(1 / (4 * HOUR_MS)))
        if buys or (opened and rng.random() < P_CLICK_AFTER_OPEN):
            self._plan_click(message, buys)
        if opened and rng.random() < P_UNSUBSCRIBE:
            message.unsubscribed_ms = message.opened_ms + rng.randrange(5 * MINUTE_MS)
            self._unsubscribed.add(message.user)

    def _plan_click(self, message: Message, buys: bool) -> None:
        """The visit lands on a later day than the trigger (today's visits are already under way) and before the
        last day, so the messaging tool never moves the warehouse clock; a click that would not is dropped."""
        rng = self._rng
        after_open = min(int(rng.expovariate(1 / (2 * HOUR_MS))), CLICK_DELAY_MAX_MS)
        ms = max(message.opened_ms + after_open, self._start_ms + (self._day_of(message.sent_ms) + 1) * DAY_MS)
        ms += rng.randrange(HOUR_MS)
        day = self._day_of(ms)
        if day >= self._days - 1:
            return
        self._returns[day].append(ReturnVisit(message, ms, buys))

    # --- the day ---------------------------------------------------------------------------------------------

    def returns_due(self, day: int) -> list[ReturnVisit]:
        return sorted(self._returns.pop(day, []), key=lambda visit: visit.ms)

    def return_visit(self, traffic: Traffic, planned: ReturnVisit) -> None:
        message = planned.message
        touch = _touch(message.flow)
        message.clicked_ms, order = traffic.message_visit(
            self._rng, message.device, message.user, planned.ms, touch, message.products, planned.buys
        )
        if order is not None:
            message.caused_revenue_reporting = order.revenue_cents / 100 * order.rate_to_reporting

    # --- the export and the truth --------------------------------------------------------------------------------

    def write(self, out: Path, start_date: date) -> CsvCounts:
        """One file per UTC day of sent_at, as the tool exports them after the last day: opens, clicks and
        unsubscribes it has seen by then. The faults go into the busiest day's file."""
        counts = CsvCounts()
        by_day: defaultdict[int, list[tuple]] = defaultdict(list)
        for message in self.messages:
            by_day[self._day_of(message.sent_ms)].append(self._row(message))
        busiest = max(by_day, key=lambda day: len(by_day[day]), default=None)
        for day, rows in sorted(by_day.items()):
            faults = [(reason, *fault) for reason, fault in MESSAGE_FAULTS.items()] if day == busiest else []
            on = start_date + timedelta(days=day)
            write_csv(out, "messages", HEADER, on, rows, faults, self._rng, counts)
        return counts

    def _row(self, message: Message) -> tuple:
        audience = self._audience
        return (
            iso_timestamp(message.sent_ms),
            message.flow,
            "email",
            audience.user_id(message.user),
            audience.anonymous_id(message.device),
            message.message_id,
            self._seen(message.opened_ms),
            self._seen(message.clicked_ms),
            self._seen(message.unsubscribed_ms),
            "true" if message.is_control else "false",
        )

    def _seen(self, ms: int | None) -> str:
        return iso_timestamp(ms) if ms is not None and ms < self._end_ms else ""

    def truth(self, warehouse_clock_ms: int) -> dict:
        by_flow = {flow: Counter() for flow in FLOWS}
        revenue: Counter = Counter()
        for message in self.messages:
            counts = by_flow[message.flow]
            group = "control" if message.is_control else "messaged"
            counts[group] += 1
            counts["opened"] += message.opened_ms is not None
            counts["clicked"] += message.clicked_ms is not None
            counts["unsubscribed"] += message.unsubscribed_ms is not None
            counts["caused_orders"] += message.caused_revenue_reporting is not None
            if message.sent_ms + OUTCOME_WINDOW_MS > warehouse_clock_ms:
                continue
            counts[f"closed_{group}"] += 1
            if message.caused_revenue_reporting is not None:
                counts["incremental_orders"] += 1
                revenue[message.flow] += message.caused_revenue_reporting
        keys = (
            "messaged",
            "control",
            "opened",
            "clicked",
            "unsubscribed",
            "caused_orders",
            "closed_messaged",
            "closed_control",
        )
        return {
            "control_share": CONTROL_SHARE,
            "outcome_window_days": OUTCOME_WINDOW_MS // DAY_MS,
            "by_flow": {
                flow: {
                    "uplift": FLOWS[flow].uplift,
                    **{key: counts[key] for key in keys},
                    "incremental_orders": counts["incremental_orders"],
                    "incremental_revenue_reporting": round(revenue[flow], 2),
                }
                for flow, counts in by_flow.items()
            },
        }

    @property
    def _end_ms(self) -> int:
        return self._start_ms + self._days * DAY_MS

    def _day_of(self, ms: int) -> int:
        return min((ms - self._start_ms) // DAY_MS, self._days - 1)


def _touch(flow: str) -> Touch:
    query = f"?utm_source={flow}&utm_medium=email&utm_campaign={flow}"
    return Touch("Email", query, None, None, None)
