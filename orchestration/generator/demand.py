"""Demand planted on the catalog for the forecasts and content signals (issue 14): promotions, intermittent
sellers, products launched late, and two kinds of named products a merchandiser should act on."""

import random
from dataclasses import dataclass, replace

from orchestration.generator.catalog import SIDE_BY_SIDE_EVERY, Catalog, Product

PROMOTIONS = 3
PROMOTION_DAYS = (5, 9)
PROMOTION_LIFT = (2.5, 4.0)
PROMOTED_AMONG_TOP = 10  # promoted products sell enough for a window's lift to show
SHARE_INTERMITTENT_OF_TAIL = 0.3  # of the products less popular than the median
INTERMITTENT_ACTIVE_SHARE = (0.06, 0.2)  # of the days: the only ones with any demand
NEW_PRODUCTS = 3
NEW_PRODUCT_LAUNCH = (0.6, 0.85)  # launch day, as a share of the history
NEW_PRODUCT_RANKS = (5, 30)  # popular enough to sell in a short history
NAMED_PRODUCTS = 3  # of each kind
HOTSPOTS_PER_NAMED_PRODUCT = 3
# Above and below every click-through of an ordinary hotspot (catalog._hotspots draws 0.03-0.16).
RESTOCK_CLICK_PROBABILITY = (0.20, 0.28)
RESHOOT_CLICK_PROBABILITY = (0.012, 0.025)
# Popularity as if at this Zipf rank: restock products are bestsellers, reshoot products sell slowly but daily.
RESTOCK_RANK = (2.0, 4.0)
RESHOOT_RANK = (8.0, 15.0)
ZIPF_EXPONENT = 1.05


@dataclass(frozen=True)
class Promotion:
    product: int
    start: int  # day index of the first lifted day
    end: int  # day index of the last lifted day
    lift: float


@dataclass(frozen=True)
class DemandPlan:
    demand_class: tuple[str, ...]  # per product: 'regular', 'intermittent' or 'new'
    active_days: dict[int, frozenset[int]]  # intermittent product -> the only days it has demand
    first_day: dict[int, int]  # new product -> the day it is launched
    promotions: tuple[Promotion, ...]
    restock_and_feature: tuple[int, ...]
    reshoot_content: tuple[int, ...]
    days: int

    def multipliers(self, day: int) -> list[float]:
        """Per product, the factor on its demand weight that day; 0 when it has no demand at all."""
        factors = [1.0] * len(self.demand_class)
        for product, first in self.first_day.items():
            if day < first:
                factors[product] = 0.0
        for product, active in self.active_days.items():
            # The quiet days' demand moves to the active ones: the product's mean demand stays as drawn.
            factors[product] = self.days / len(active) if day in active else 0.0
        for promotion in self.promotions:
            if promotion.start <= day <= promotion.end:
                factors[promotion.product] *= promotion.lift
        return factors

    def launched(self, product: int, day: int) -> bool:
        return day >= self.first_day.get(product, 0)

    def top_lift(self, product: int) -> float:
        """The largest promotion lift of the product, 1 without one: what its supplier plans stock for."""
        return max((p.lift for p in self.promotions if p.product == product), default=1.0)


def _at_rank(rank: float) -> float:
    return 1.0 / rank**ZIPF_EXPONENT


def plant_demand(rng: random.Random, catalog: Catalog, days: int) -> tuple[Catalog, DemandPlan]:
    """The catalog with its named products put in hotspots and their popularity set, and the demand plan."""
    products = list(catalog.products)
    by_popularity = sorted(range(len(products)), key=lambda i: -products[i].popularity)
    taken: set[int] = set()

    def draw(candidates: list[int], k: int) -> list[int]:
        chosen = rng.sample([i for i in candidates if i not in taken], k)
        taken.update(chosen)
        return chosen

    promoted = draw(by_popularity[:PROMOTED_AMONG_TOP], PROMOTIONS)
    # Named products are in no hotspot yet: every hotspot showing one then carries its planted click-through.
    featured = {h.product_id for v in catalog.videos for h in v.hotspots}
    unfeatured = [i for i in by_popularity[: len(products) // 2] if products[i].product_id not in featured]
    restock = draw(unfeatured, NAMED_PRODUCTS)
    reshoot = draw(unfeatured, NAMED_PRODUCTS)
    for i in restock:
        # Demand must hold up to the end of the history, where the stock runs out.
        products[i] = replace(
            products[i], popularity=_at_rank(rng.uniform(*RESTOCK_RANK)), trend=max(0.0, products[i].trend)
        )
    for i in reshoot:
        products[i] = replace(products[i], popularity=_at_rank(rng.uniform(*RESHOOT_RANK)))
    videos = _feature_named_products(rng, catalog, products, restock, reshoot)
    in_hotspots = {h.product_id for v in videos for h in v.hotspots}
    unseen = [i for i in by_popularity[slice(*NEW_PRODUCT_RANKS)] if products[i].product_id not in in_hotspots]
    low, high = (max(1, round(days * share)) for share in NEW_PRODUCT_LAUNCH)
    first_day = {i: min(days - 1, rng.randint(low, high)) for i in draw(unseen, NEW_PRODUCTS)} if days > 1 else {}
    tail = by_popularity[len(products) // 2 :]
    intermittent = draw(tail, round(len(tail) * SHARE_INTERMITTENT_OF_TAIL))
    active_days = {}
    for i in intermittent:
        share = rng.uniform(*INTERMITTENT_ACTIVE_SHARE)
        active_days[i] = frozenset(rng.sample(range(days), max(1, round(days * share))))
    promotions = []
    for i in promoted:
        length = min(rng.randint(*PROMOTION_DAYS), max(1, days // 3))
        start = rng.randint(days // 3, days - length)
        promotions.append(Promotion(i, start, start + length - 1, round(rng.uniform(*PROMOTION_LIFT), 2)))
    demand_class = tuple(
        "new" if i in first_day else "intermittent" if i in active_days else "regular" for i in range(len(products))
    )
    plan = DemandPlan(
        demand_class=demand_class,
        active_days=active_days,
        first_day=first_day,
        promotions=tuple(promotions),
        restock_and_feature=tuple(sorted(restock)),
        reshoot_content=tuple(sorted(reshoot)),
        days=days,
    )
    return replace(catalog, products=tuple(products), videos=videos), plan


def _feature_named_products(
    rng: random.Random, catalog: Catalog, products: list[Product], restock: list[int], reshoot: list[int]
) -> tuple:
    """Named products take over hotspots of videos without a side-by-side pair (whose click-throughs are planted
    far apart on purpose), with a click probability above (restock) or below (reshoot) every ordinary one."""
    eligible = [
        hotspot.hotspot_id
        for number, video in enumerate(catalog.videos)
        if number % SIDE_BY_SIDE_EVERY != 0
        for hotspot in video.hotspots
    ]
    picked = iter(rng.sample(eligible, HOTSPOTS_PER_NAMED_PRODUCT * (len(restock) + len(reshoot))))
    assigned: dict[str, tuple[str, float]] = {}
    for named, bounds in ((restock, RESTOCK_CLICK_PROBABILITY), (reshoot, RESHOOT_CLICK_PROBABILITY)):
        for i in named:
            for _ in range(HOTSPOTS_PER_NAMED_PRODUCT):
                assigned[next(picked)] = (products[i].product_id, round(rng.uniform(*bounds), 3))
    return tuple(
        replace(
            video,
            hotspots=tuple(
                replace(h, product_id=assigned[h.hotspot_id][0], click_probability=assigned[h.hotspot_id][1])
                if h.hotspot_id in assigned
                else h
                for h in video.hotspots
            ),
        )
        for video in catalog.videos
    )
