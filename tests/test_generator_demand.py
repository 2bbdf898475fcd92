"""The demand the generator plants for the forecasts and content signals (issue 14), re-counted from the files:
orders and views from the event files, stock from the inventory snapshots, held against truth.json."""

import csv
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from orchestration.generator import generate_landing_zone
from tests.test_generator import _event_files, judge, read_lines

# Long enough for a 28-day window before the end, busy enough for the planted products to sell daily.
DEMAND_SHOP = {"days": 42, "visitors": 30_000, "seed": 42}
LAST_DAYS = 28


class Sales:
    """Units sold and product views per (product_id, day index), and the inventory snapshots, from the files."""

    def __init__(self, landing: Path, truth: dict):
        self.start = date.fromisoformat(truth["parameters"]["start_date"])
        self.days = truth["parameters"]["days"]
        self.units: defaultdict[str, Counter] = defaultdict(Counter)
        self.views: defaultdict[str, Counter] = defaultdict(Counter)
        orders: dict[str, dict] = {}
        for event in self._events(landing, ("purchase", "view_item")):
            if event["event_name"] == "view_item":
                self.views[event["properties"]["product_id"]][self._day(event)] += 1
            else:
                orders.setdefault(event["properties"]["order_id"], event)  # the first delivery counts
        for order in orders.values():
            for item in order["properties"]["items"]:
                self.units[item["product_id"]][self._day(order)] += item["quantity"]
        bad = {(row["file"], row["line"]) for row in truth["csv"]["inventory"]["bad_rows"]}
        self.on_hand: dict[tuple[str, int], int] = {}
        for path in sorted((landing / "inventory").glob("*.csv")):
            relative = f"inventory/{path.name}"
            for line, row in enumerate(csv.DictReader(path.open()), start=2):
                if (relative, line) not in bad:
                    day = (date.fromisoformat(row["snapshot_date"]) - self.start).days
                    self.on_hand[(row["product_id"], day)] = int(row["units_on_hand"])

    @staticmethod
    def _events(landing: Path, names: tuple[str, ...]):
        """Valid events of these names; JSON lines are filtered on their text before they are judged."""
        needles = [f'"event_name":"{name}"'.encode() for name in names]
        for path in _event_files(landing):
            for raw in read_lines(path):
                if isinstance(raw, bytes) and not any(needle in raw for needle in needles):
                    continue
                reason, event = judge(raw)
                if reason is None and event["event_name"] in names:
                    yield event

    def _day(self, event: dict) -> int:
        at = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")).astimezone(UTC)
        return (at.date() - self.start).days

    def recent_rate(self, product: str) -> float:
        """Units sold per day over the last LAST_DAYS days."""
        return sum(self.units[product][d] for d in range(self.days - LAST_DAYS, self.days)) / LAST_DAYS

    def selling_days(self, product: str) -> int:
        return sum(1 for units in self.units[product].values() if units)


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> tuple[dict, Sales]:
    landing = tmp_path_factory.mktemp("demand")
    truth = generate_landing_zone(landing, **DEMAND_SHOP)
    return truth, Sales(landing, truth)


def _planted(truth: dict) -> dict:
    return truth["planted"]


def _by_class(truth: dict, demand_class: str) -> list[str]:
    return [p for p, c in truth["planted"]["demand_class"].items() if c == demand_class]


def test_demand_truth_is_complete_and_defined(shop):
    truth, sales = shop
    planted = truth["planted"]
    products = set(planted["product_trend"])
    assert set(planted["demand_class"]) == set(planted["final_units_on_hand"]) == products
    assert set(planted["new_products"]) == set(_by_class(truth, "new")) != set()
    assert _by_class(truth, "intermittent") and _by_class(truth, "regular")
    named = planted["restock_and_feature"] + planted["reshoot_content"]
    assert 2 <= len(planted["restock_and_feature"]) <= 3 and 2 <= len(planted["reshoot_content"]) <= 3
    assert len(set(named)) == len(named) and set(named) <= set(_by_class(truth, "regular"))
    assert planted["promotions"] and all(p["lift"] > 1 and p["start"] <= p["end"] for p in planted["promotions"])
    for key in ("demand_class", "promotions", "new_products", "restock_and_feature", "reshoot_content"):
        assert key in truth["definitions"]
    assert "final_units_on_hand" in truth["definitions"]
    last = sales.days - 1
    assert {p: sales.on_hand[(p, last)] for p in products} == planted["final_units_on_hand"]


def test_restock_and_feature_products_are_clicked_often_and_run_out(shop):
    truth, sales = shop
    planted = truth["planted"]
    median_click = statistics.median(planted["hotspot_click_probability"].values())
    for product in planted["restock_and_feature"]:
        hotspots = [h for h in planted["hotspot_events"] if h["product_id"] == product]
        assert hotspots and all(h["click_probability"] > median_click for h in hotspots)
        # A bestseller (several units a day) with under a week of that left on hand at the end.
        rate = sales.recent_rate(product)
        assert rate >= 1 and planted["final_units_on_hand"][product] < 7 * rate


def test_reshoot_content_products_are_clicked_rarely_and_sit_on_stock(shop):
    truth, sales = shop
    planted = truth["planted"]
    median_click = statistics.median(planted["hotspot_click_probability"].values())
    for product in planted["reshoot_content"]:
        hotspots = [h for h in planted["hotspot_events"] if h["product_id"] == product]
        assert hotspots and all(h["click_probability"] < median_click for h in hotspots)
        # Selling, slowly: over 60 days of the recent sales pace still on hand.
        rate = sales.recent_rate(product)
        assert rate > 0 and planted["final_units_on_hand"][product] > 60 * rate


def test_a_content_signal_rule_finds_the_named_products(shop):
    """Observed click-through and days of cover (final stock / recent daily sales) against the catalog's medians,
    as the content signals judge them: the named products land on their side of both."""
    truth, sales = shop
    planted = truth["planted"]
    impressions, clicks = Counter(), Counter()
    for h in planted["hotspot_events"]:
        impressions[h["product_id"]] += h["impressions"]
        clicks[h["product_id"]] += h["clicks"]
    judged = [p for p in impressions if impressions[p] >= 50 and sales.recent_rate(p) > 0]
    hctr = {p: clicks[p] / impressions[p] for p in judged}
    cover = {p: planted["final_units_on_hand"][p] / sales.recent_rate(p) for p in judged}
    median_hctr, median_cover = statistics.median(hctr.values()), statistics.median(cover.values())
    for product in planted["restock_and_feature"]:
        assert hctr[product] > median_hctr and cover[product] < median_cover
    for product in planted["reshoot_content"]:
        assert hctr[product] < median_hctr and cover[product] > median_cover


def test_intermittent_sellers_sell_on_fewer_than_30_percent_of_days(shop):
    truth, sales = shop
    intermittent = _by_class(truth, "intermittent")
    assert sum(sum(sales.units[p].values()) for p in intermittent) > 0
    assert max(sales.selling_days(p) for p in intermittent) < 0.3 * sales.days


def test_new_products_have_no_sales_views_or_stock_before_their_first_day(shop):
    truth, sales = shop
    start = sales.start
    sold_after = 0
    for product, first in truth["planted"]["new_products"].items():
        first_day = (date.fromisoformat(first) - start).days
        assert 0 < first_day < sales.days
        assert not any(u for d, u in sales.units[product].items() if d < first_day)
        assert not any(v for d, v in sales.views[product].items() if d < first_day)
        assert sorted(d for p, d in sales.on_hand if p == product) == list(range(first_day, sales.days))
        sold_after += sum(sales.units[product].values())
    assert sold_after > 0


def test_promotions_lift_the_units_sold_in_their_window(shop):
    truth, sales = shop
    for promotion in truth["planted"]["promotions"]:
        product = promotion["product_id"]
        first, last = ((date.fromisoformat(promotion[k]) - sales.start).days for k in ("start", "end"))
        window = range(first, last + 1)
        inside = sum(sales.units[product][d] for d in window) / len(window)
        outside = sum(u for d, u in sales.units[product].items() if d not in window) / (sales.days - len(window))
        assert inside > 1.5 * outside


def test_stock_follows_sales_and_a_product_out_of_stock_all_day_sells_nothing_but_is_viewed(shop):
    truth, sales = shop
    out_all_day_views = 0
    for (product, day), units in sales.on_hand.items():
        before = sales.on_hand.get((product, day - 1))
        if before is None:
            continue
        sold = sales.units[product][day]
        assert units >= before - sold  # deliveries only add: stock never vanishes beyond what was sold
        if before == units == 0:
            assert sold == 0
            out_all_day_views += sales.views[product][day]
    assert out_all_day_views > 0
