"""Units on hand per product: the shop sells only what is on hand, suppliers deliver what was reordered.

Traffic takes sold units out as it sells them; the inventory export snapshots what is left at the end of each UTC
day and reorders. A day's snapshot is then exactly the previous one plus the day's deliveries less the units
sold that day, and a product out of stock all day sells nothing that day."""

import random
from collections import Counter

from orchestration.generator.catalog import Catalog
from orchestration.generator.demand import DemandPlan

ORDERS_PER_VISITOR = 0.05  # rough planning figure for stock; real sales drive the snapshots
UNITS_PER_ORDER = 1.25
SHARE_SLOW_SUPPLIERS = 0.04  # products restocked so slowly they sell out for days
REORDER_AT_DAYS = 7  # of planned demand left on hand
REORDER_DAYS = 30  # of planned demand per order
# restock_and_feature products: a supplier that ships little and late, and has nothing left for the last days.
SCARCE_REORDER_DAYS = 10
SCARCE_LAST_DELIVERY_BEFORE_END = 10
RESHOOT_OPENING_DAYS = (150, 250)  # of planned demand: far more than the misfits will sell


class Stock:
    def __init__(self, rng: random.Random, catalog: Catalog, plan: DemandPlan, days: int, visitors: int):
        self._rng = rng
        self._plan = plan
        self._days = days
        products = catalog.products
        total_popularity = sum(p.popularity for p in products)
        units_per_day = visitors * ORDERS_PER_VISITOR * UNITS_PER_ORDER / days
        self._expected = [
            max(0.05, units_per_day * p.popularity / total_popularity * plan.top_lift(i))
            for i, p in enumerate(products)
        ]
        self._scarce = set(plan.restock_and_feature)
        self._slow = set(rng.sample(range(len(products)), max(3, round(len(products) * SHARE_SLOW_SUPPLIERS))))
        self._slow |= self._scarce
        self.on_hand = [0] * len(products)
        self._deliveries: dict[int, Counter] = {}
        for i in range(len(products)):
            self._deliveries.setdefault(plan.first_day.get(i, 0), Counter())[i] += self._opening(i)
        self._on_order: set[int] = set()
        self._today = 0
        # Sold after midnight by visits of the day before: out of the shelf already, in the next day's snapshot.
        self._sold_after_today: Counter = Counter()
        self.stockout_rows = 0

    def _opening(self, product: int) -> int:
        expected = self._expected[product]
        if product in self._plan.reshoot_content:
            cover_days = self._rng.uniform(*RESHOOT_OPENING_DAYS)
        elif product in self._slow:
            cover_days = self._rng.uniform(3, 6)
        else:
            cover_days = self._rng.uniform(12, 45)
        return round(expected * cover_days) + self._rng.randint(1, 6)

    def receive(self, day: int) -> None:
        """The day's deliveries arrive before the shop opens (a new product's opening stock on its first day)."""
        self._today = day
        self._sold_after_today = Counter()
        for product, units in self._deliveries.pop(day, Counter()).items():
            self.on_hand[product] += units
            self._on_order.discard(product)

    def sell(self, product: int, units: int, day: int) -> None:
        """Units sold on `day` (UTC), which is the next day for a visit that runs past midnight."""
        if units > self.on_hand[product]:
            raise ValueError(f"product {product}: {units} units sold, {self.on_hand[product]} on hand")
        self.on_hand[product] -= units
        self._sold_after_today[product] += units * (day > self._today)

    def close_day(self, day: int) -> list[tuple[int, int]]:
        """(product, units on hand) of every launched product at the end of the day; reorders when cover runs low."""
        rng = self._rng
        snapshot = []
        for i, on_shelf in enumerate(self.on_hand):
            if not self._plan.launched(i, day):
                continue
            units = on_shelf + self._sold_after_today[i]
            expected = self._expected[i]
            if on_shelf <= expected * REORDER_AT_DAYS and i not in self._on_order:
                lead = rng.randint(12, 20) if i in self._slow else rng.randint(3, 9)
                days_ordered = SCARCE_REORDER_DAYS if i in self._scarce else REORDER_DAYS
                quantity = round(expected * days_ordered) + rng.randint(5, 20)
                if not (i in self._scarce and day + lead >= self._days - SCARCE_LAST_DELIVERY_BEFORE_END):
                    self._deliveries.setdefault(day + lead, Counter())[i] += quantity
                    self._on_order.add(i)
            self.stockout_rows += units == 0
            snapshot.append((i, units))
        return snapshot
