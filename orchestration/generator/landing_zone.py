"""generate_landing_zone: a synthetic shop's landing zone (CONTRACT section 3) and the truth planted in it.

Days are simulated and written one at a time, so memory stays flat however many visitors there are.
"""

import heapq
import json
import random
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from orchestration import clock
from orchestration.generator.audience import Audience, schedule_visits
from orchestration.generator.catalog import CONVERSION_LIFT, Catalog, build_catalog, write_catalog
from orchestration.generator.channels import CHANNEL_CONVERSION_LIFT, CHANNEL_MIX, CONVERTING_CHANNEL
from orchestration.generator.clock import DAY_MS, day_start_ms, iso_timestamp
from orchestration.generator.demand import DemandPlan, plant_demand
from orchestration.generator.event_files import EventFiles
from orchestration.generator.exports import DailyExports
from orchestration.generator.faults import BadLine, FaultFactory
from orchestration.generator.fx import REPORTING_CURRENCY, FxRates
from orchestration.generator.messaging import DEFINITION as FLOWS_DEFINITION
from orchestration.generator.messaging import Messaging
from orchestration.generator.stock import Stock
from orchestration.generator.stream import EventStream
from orchestration.generator.traffic import Traffic
from orchestration.generator.truth import CsvCounts, EventCounts, SessionCounts
from orchestration.loader.landing_zone import DEMO_TRUTH_FILE

Progress = Callable[[str], None]
BAD_LINES_ENCODING = 2  # both in one plain .jsonl file
VISITORS_PER_EXTRA_BAD_LINE = 25_000
DEFINITIONS = {
    "sessions": "non-bot visits; each is one session under the 30-minute rule per anonymous_id (events of a visit "
    "are under 30 minutes apart, visits of a device over 35). Refund visits (a page_view of the order "
    "then the refund event) are sessions too: refund_sessions.",
    "revenue_reporting": "sum over orders of revenue x the order's UTC day rate to the reporting currency (that "
    "day's published rate, else the latest earlier one); refund_amount_reporting values each refund at its "
    "order's rate.",
    "late": "a valid first delivery older than the newest valid event in files earlier in sorted path order; "
    "over_3_days when more than 3 days older. Planted lags are 1-2 or 5-10 days.",
    "in_video_abandonment": "(person, video) pairs whose last in-video add_to_cart/buy_now has no purchase by the "
    "person within 24 h after it, with the 24 h passed by warehouse_clock_at (the newest occurred_at of a non-bot "
    "event; latest_occurred_at, a bot's, is later). Person = the latest user_id seen on the anonymous_id "
    "(CONTRACT section 7, server-side purchases and refunds included), else the anonymous_id; purchases count "
    "whatever their user agent. pairs_by_event_user_id uses the user_id on the intent event instead; "
    "if_bots_moved_the_clock judges by latest_occurred_at.",
    "orders": "every purchase, browser or server-side (a script's user agent, flagged bot): server_side_orders of "
    "them, orders_without_session of those sent with an anonymous_id seen nowhere else; orders_in_sessions = "
    "orders - orders_without_session. purchase_sessions counts sessions with a browser purchase event (what "
    "bool_or(event_name = 'purchase') over a session's non-bot events gives); server_side_order_sessions the "
    "sessions whose order came server-side only; sessions_with_order both. "
    "orders_delivered_after_their_refund: purchases held back past the file of their refund.",
    "refunds": "refunds booked against an order the data holds, each counted once: the first delivery per "
    "refund_id (refunds_resent re-sends with a new event_id are not counted), else per event_id. "
    "refund_amount_* is the booked amount: per order, in refunded_at order, capped at what is left of its "
    "revenue; refunds_over_order counts the refunds cut by the cap and refund_excess_* what they cut. "
    "refunds_without_order (and their amounts, at the refund day's rate) refer to orders older than the data: "
    "never booked against an order.",
    "hotspot_events": "per catalogued (video, hotspot, product): non-bot valid unique hotspot_impression and "
    "hotspot_click events written, and attributed_revenue_reporting: order lines (price x quantity at the order "
    "day's rate) credited to the person's latest click on that product's hotspots within 30 days before the "
    "order (the one person rule for both).",
    "product_trend": "planted relative demand growth per day: demand(t) = demand(0) * (1 + trend * t); "
    "product_trend_units_per_day is the least-squares slope of the units actually sold.",
    "product_weekly_pattern": "planted demand multipliers Monday..Sunday (mean 1), on top of the traffic rhythm.",
    "converting_channel": "visits whose first touch is of this channel buy channel_conversion_lift times as often "
    "as the others' in the same branch (browsing or video), the other channels' probabilities lowered so the shop "
    "converts as tuned; sessions.purchase_sessions_by_channel counts purchase_sessions by their first touch.",
    "video_credit": "per video: orders credited whole to the latest in-video interaction (hotspot_click, or "
    "add_to_cart/buy_now carrying video_id) of the order's person within 30 days before the order (the one person "
    "rule for both; on one millisecond the larger event_id wins), and their revenue_reporting (each order's revenue "
    "at its order day's rate, rounded to 4 decimals); videos credited with no order are left out.",
    "demand_class": "per product: 'new' (launched late, see new_products), 'intermittent' (demand on a few "
    "planted days only, at most 20% of them, weighted up so its mean demand stays as drawn; no sale on the others) "
    "or 'regular' (every day, times product_weekly_pattern and product_trend).",
    "promotions": "products whose demand weight is multiplied by lift from start to end (dates, inclusive): their "
    "views and purchases rise in the window, unless the stock runs out.",
    "new_products": "product -> its first day: no inventory snapshot, view or order of it before (products.csv "
    "lists it from the start); its opening stock arrives that day.",
    "restock_and_feature": "bestsellers shown only in hotspots clicked more often than any ordinary one, restocked "
    "little and late by their supplier, with no delivery in the last 10 days: they run out or nearly at the end.",
    "reshoot_content": "products shown only in hotspots clicked less often than any ordinary one, selling slowly "
    "(popularity of a Zipf rank 8-15) on an opening stock of 150-250 days of planned demand.",
    "final_units_on_hand": "units on hand in the last inventory snapshot (each snapshot is the previous one plus "
    "the day's deliveries less the units sold that day; the shop never sells more than is on hand, so a product "
    "out of stock all day sells nothing while still being viewed).",
    "flows": FLOWS_DEFINITION,
    "conversion_lift": "multiplier of the purchase probability in a visit after watching a video of the best host, "
    "of the best format, or with an impression of a best-segment hotspot (they multiply).",
}
LANDING_FOLDERS = ("events", "catalog", "inventory", "ad_spend", "social", "fx_rates", "messages")


def _product_count(visitors: int) -> int:
    return min(500, 200 + visitors // 10_000)


def _bad_lines_by_day(
    rng: random.Random, factory: FaultFactory, days: int, visitors: int, start_ms: int
) -> dict[int, list[BadLine]]:
    """At least three lines of every rejection reason, more for bigger shops, on random days."""
    per_reason = 3 + visitors // VISITORS_PER_EXTRA_BAD_LINE
    by_day: dict[int, list[BadLine]] = {}
    for reason in factory.builders:
        if reason == "invalid_encoding":
            day = rng.randrange(days)
            by_day.setdefault(day, []).extend(
                factory.make(reason, start_ms + day * DAY_MS) for _ in range(BAD_LINES_ENCODING)
            )
            continue
        for _ in range(per_reason):
            day = rng.randrange(days)
            by_day.setdefault(day, []).append(factory.make(reason, start_ms + day * DAY_MS))
    return by_day


def default_start_date(days: int) -> date:
    """The first day of `days` days of history that end yesterday by the product clock."""
    return clock.today() - timedelta(days=days)


def _refuse_existing_landing_zone(out: Path) -> None:
    """Files left from another run would sit beside the new ones and make truth.json wrong: never mix them."""
    taken = [name for name in (*LANDING_FOLDERS, DEMO_TRUTH_FILE) if (out / name).exists()]
    if taken:
        raise FileExistsError(f"{out} already holds {', '.join(taken)}: generate into an empty or new directory")


def generate_landing_zone(
    out: Path,
    *,
    days: int = 60,
    visitors: int = 30_000,
    seed: int = 42,
    start_date: date | None = None,
    progress: Progress | None = None,
) -> dict:
    """Writes out/{events,catalog,inventory,ad_spend,social,fx_rates,messages}/... and out/truth.json; returns
    the truth dict.

    By default the history ends the day before today by the product clock (orchestration.clock), so every
    event is in the past for a load run now, whatever the date; `start_date` pins the first day instead."""
    if days < 1 or visitors < 1:
        raise ValueError("days and visitors must be at least 1")
    start_date = start_date if start_date is not None else default_start_date(days)
    say = progress or (lambda _line: None)
    out = Path(out)
    _refuse_existing_landing_zone(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    start_ms = day_start_ms(start_date)

    catalog = build_catalog(rng, _product_count(visitors), start_date)
    # Its own generator: the shop's other draws (exchange rates, audience, schedule) stay as they were without it.
    catalog, plan = plant_demand(random.Random(f"{seed}:demand"), catalog, days)
    catalog_rows = write_catalog(catalog, out / "catalog")
    fx = FxRates(rng, start_date, days)
    audience = Audience(rng, visitors, seed)
    schedule = schedule_visits(rng, audience, days, start_date)
    bad_lines = _bad_lines_by_day(rng, FaultFactory(rng, seed), days, visitors, start_ms)
    say(
        f"catalog of {len(catalog.products)} products and {len(catalog.videos)} videos; "
        f"{audience.devices:,} devices scheduled for {sum(len(d) for d in schedule):,} visits"
    )

    event_counts = EventCounts()
    session_counts = SessionCounts()
    csv_counts = {source: CsvCounts() for source in ("inventory", "ad_spend", "social", "fx_rates")}
    stream = EventStream(rng, start_ms, days)
    stock = Stock(rng, catalog, plan, days, visitors)
    traffic = Traffic(
        rng, seed, catalog, plan, stock, audience, stream, fx, start_date, days, event_counts, session_counts
    )
    exports = DailyExports(out, rng, catalog, fx, start_date, days, stock, csv_counts)
    messaging = Messaging(seed, audience, start_ms, days)
    with tempfile.TemporaryDirectory(prefix="funnelhouse-generate-") as workdir:
        files = EventFiles(out / "events", Path(workdir), rng, event_counts)
        for day in range(days):
            stock.receive(day)
            traffic.start_day(day)
            day_ms = start_ms + day * DAY_MS
            visits = [(traffic.planned_start_ms(day_ms), n, device, None) for n, device in enumerate(schedule[day])]
            visits += [
                (traffic.planned_start_ms(day_ms), len(visits) + n, plan.device, plan)
                for n, plan in enumerate(traffic.refunds_due.pop(day, []))
            ]
            visits.sort(key=lambda visit: (visit[0], visit[1]))
            messaging.reactivate(day)
            clicks = [(click.ms, click) for click in messaging.returns_due(day)]
            for planned_ms, *rest in heapq.merge(visits, clicks, key=lambda visit: visit[0]):
                if len(rest) == 1:
                    messaging.return_visit(traffic, rest[0])
                    continue
                _, device, refund = rest
                visit = traffic.run_visit(device, planned_ms, refund)
                if refund is None:
                    messaging.observe(visit)
            if day == days - 1:
                traffic.uptime_check()
            files.plant(bad_lines.pop(day, []))
            late, own = stream.take_day(day)
            files.write_day(start_date + timedelta(days=day), day, late, own, is_last_day=day == days - 1)
            exports.write_day(day, traffic.units_sold.pop(day, Counter()), traffic.paid_clicks)
            say(f"day {day + 1}/{days} written, {event_counts.lines:,} event lines")
        files.close()
    csv_counts["messages"] = messaging.write(out, start_date)

    truth = _truth(
        out,
        messaging,
        catalog,
        plan,
        fx,
        traffic,
        exports,
        event_counts,
        session_counts,
        csv_counts,
        catalog_rows,
        seed=seed,
        days=days,
        visitors=visitors,
        start_date=start_date,
    )
    (out / DEMO_TRUTH_FILE).write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    say(
        f"done: {event_counts.lines:,} event lines, {session_counts.sessions:,} sessions, "
        f"{session_counts.orders:,} orders"
    )
    return truth


def _truth(
    out: Path,
    messaging: Messaging,
    catalog: Catalog,
    plan: DemandPlan,
    fx: FxRates,
    traffic: Traffic,
    exports: DailyExports,
    event_counts: EventCounts,
    session_counts: SessionCounts,
    csv_counts: dict[str, CsvCounts],
    catalog_rows: dict[str, int],
    *,
    seed: int,
    days: int,
    visitors: int,
    start_date: date,
) -> dict:
    sessions = session_counts.as_dict()
    csv_truth = {source: counts.as_dict() for source, counts in csv_counts.items()}
    csv_truth |= {
        source: {"rows": rows, "valid": rows, "rejected": {}, "bad_rows": []} for source, rows in catalog_rows.items()
    }
    abandonment = traffic.abandonment()
    return {
        "parameters": {
            "seed": seed,
            "days": days,
            "visitors": visitors,
            "start_date": start_date.isoformat(),
            "end_date": (start_date + timedelta(days=days - 1)).isoformat(),
            "reporting_currency": REPORTING_CURRENCY,
        },
        "files": {
            "events": {key: event_counts.files[key] for key in ("jsonl", "jsonl_gz", "parquet")},
            "catalog": 3,
            **{source: sum(1 for _ in (out / source).glob("*.csv")) for source in csv_counts},
        },
        "events": event_counts.as_dict(),
        "csv": csv_truth,
        "sessions": sessions,
        "planted": {
            "channel_mix": CHANNEL_MIX,
            "conversion_rate": round(sessions["purchase_sessions"] / sessions["sessions"], 5)
            if sessions["sessions"]
            else 0.0,
            "hotspot_click_probability": {
                h.hotspot_id: h.click_probability for v in catalog.videos for h in v.hotspots
            },
            "hotspot_events": _hotspot_events(catalog, traffic),
            "video_completion_probability": {v.video_id: v.completion_probability for v in catalog.videos},
            "best_host": catalog.best_host,
            "best_format": catalog.best_format,
            "best_segment": catalog.best_segment,
            "conversion_lift": CONVERSION_LIFT,
            "converting_channel": CONVERTING_CHANNEL,
            "channel_conversion_lift": CHANNEL_CONVERSION_LIFT,
            **_video_credit(traffic),
            "in_video_abandonment": abandonment,
            "refund_rate": round(sessions["refunded_orders"] / sessions["orders"], 5) if sessions["orders"] else 0.0,
            "product_weekly_pattern": {p.product_id: list(p.weekly) for p in catalog.products},
            "product_trend": {p.product_id: p.trend for p in catalog.products},
            "product_trend_units_per_day": {
                p.product_id: round(slope, 4) for p, slope in zip(catalog.products, exports.units_trend(), strict=True)
            },
            "fx_missing_days": [(start_date + timedelta(days=d)).isoformat() for d in fx.missing_days],
            "social_engagement_rate": {
                platform: round(sum(rates) / len(rates), 6)
                for platform, rates in exports.engagement_rates.items()
                if rates
            },
            **exports.totals.as_dict(),
            "inventory_stockout_rows": exports.stock.stockout_rows,
            **_demand(catalog, plan, exports.stock, start_date),
            "latest_occurred_at": iso_timestamp(traffic.latest_ms),
            "warehouse_clock_at": iso_timestamp(traffic.warehouse_clock_ms),
        },
        "flows": messaging.truth(traffic.warehouse_clock_ms),
        "definitions": DEFINITIONS,
    }


def _hotspot_events(catalog: Catalog, traffic: Traffic) -> list[dict]:
    attributed = traffic.hotspot_attribution()
    counts = traffic.hotspot_events
    return [
        {
            "video_id": h.video_id,
            "hotspot_id": h.hotspot_id,
            "product_id": h.product_id,
            "click_probability": h.click_probability,
            "impressions": counts[(h.hotspot_id, "hotspot_impression")],
            "clicks": counts[(h.hotspot_id, "hotspot_click")],
            "attributed_revenue_reporting": attributed.get(h.hotspot_id, 0.0),
        }
        for v in catalog.videos
        for h in v.hotspots
    ]


def _video_credit(traffic: Traffic) -> dict:
    credit = traffic.video_credit()
    return {
        "video_credit": credit,
        "orders_with_video_credit": sum(c["orders"] for c in credit.values()),
        "video_credited_revenue_reporting": round(sum(c["revenue_reporting"] for c in credit.values()), 4),
    }


def _demand(catalog: Catalog, plan: DemandPlan, stock: Stock, start_date: date) -> dict:
    ids = [p.product_id for p in catalog.products]

    def on(day: int) -> str:
        return (start_date + timedelta(days=day)).isoformat()

    return {
        "demand_class": dict(zip(ids, plan.demand_class, strict=True)),
        "promotions": [
            {"product_id": ids[p.product], "start": on(p.start), "end": on(p.end), "lift": p.lift}
            for p in plan.promotions
        ],
        "new_products": {ids[i]: on(day) for i, day in sorted(plan.first_day.items())},
        "restock_and_feature": [ids[i] for i in plan.restock_and_feature],
        "reshoot_content": [ids[i] for i in plan.reshoot_content],
        "final_units_on_hand": dict(zip(ids, stock.on_hand, strict=True)),
    }
