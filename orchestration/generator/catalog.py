"""The shop's catalog: products with planted demand patterns, shoppable videos and their hotspots."""

import bisect
import csv
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path

CATEGORIES: dict[str, tuple[int, int]] = {  # category -> (lowest, highest) price in cents
    "Dresses": (3990, 18990),
    "Tops": (1490, 5990),
    "Jeans": (4990, 12990),
    "Knitwear": (3990, 14990),
    "Outerwear": (7990, 29990),
    "Shoes": (4990, 19990),
    "Bags": (2990, 24990),
    "Jewelry": (990, 8990),
    "Beauty": (890, 4990),
    "Skincare": (1290, 6990),
}
BRANDS = ("Lumen & Loom", "Nordvik", "Casa Alba", "Velour Lane", "Studio Mira", "Oak & Thread", "Saffi", "Kestrel")
_ADJECTIVES = (
    "Linen",
    "Ribbed",
    "Oversized",
    "Cropped",
    "Satin",
    "Wool",
    "Vintage",
    "Classic",
    "Soft",
    "Pleated",
    "Quilted",
    "Suede",
    "Organic",
    "Relaxed",
    "Tailored",
    "Silk",
)
_NOUNS: dict[str, tuple[str, ...]] = {
    "Dresses": ("Midi Dress", "Wrap Dress", "Slip Dress", "Shirt Dress"),
    "Tops": ("Tee", "Blouse", "Tank Top", "Shirt"),
    "Jeans": ("Straight Jeans", "Wide-Leg Jeans", "Mom Jeans", "Skinny Jeans"),
    "Knitwear": ("Cardigan", "Turtleneck", "Sweater", "Vest"),
    "Outerwear": ("Trench Coat", "Puffer Jacket", "Blazer", "Wool Coat"),
    "Shoes": ("Loafers", "Ankle Boots", "Sneakers", "Mules"),
    "Bags": ("Tote Bag", "Crossbody Bag", "Clutch", "Backpack"),
    "Jewelry": ("Hoop Earrings", "Chain Necklace", "Signet Ring", "Bracelet"),
    "Beauty": ("Lip Tint", "Mascara", "Blush Stick", "Brow Gel"),
    "Skincare": ("Serum", "Face Cream", "Cleanser", "Sunscreen"),
}
# Most of the range is bought in EUR; a few items are sourced and priced in USD or GBP.
_PRICE_CURRENCIES = (("EUR", 0.90), ("USD", 0.06), ("GBP", 0.04))

HOSTS = ("Mia Laurent", "Jonas Berg", "Sofia Conti", "Lea Novak", "Amara Okafor")
FORMATS = ("tutorial", "haul", "unboxing", "live_replay", "review")
# Topic segments, not positions in the timeline: each sits anywhere in its video. Every video has one hotspot
# in each non-best segment, so the non-best segments are seen in the same videos equally often and convert
# alike; five names keep that within the contract's 2-6 hotspots per video.
SEGMENTS = ("style_tips", "close_up_demo", "fit_check", "styling_combo", "colour_options")
CONVERSION_LIFT = 2.0
# Every third video shows two hotspots at once, one rarely clicked and one often: a mart that credits a click
# to the wrong hotspot of the pair moves both click-throughs far from what was planted.
SIDE_BY_SIDE_EVERY = 3
SIDE_BY_SIDE_RATES = ((0.015, 0.03), (0.22, 0.30))  # (low, high) bounds of the rare and the popular one
# Weekday demand shapes, Monday..Sunday, normalised to mean 1 when drawn.
_WEEKLY_SHAPES = (
    ("flat", 0.60, (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)),
    ("weekend", 0.25, (0.8, 0.8, 0.85, 0.9, 1.0, 1.55, 1.6)),
    ("weekday", 0.15, (1.2, 1.2, 1.15, 1.1, 1.0, 0.7, 0.65)),
)


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    category: str
    brand: str
    price_cents: int
    currency: str
    unit_cost_cents: int
    popularity: float
    weekly: tuple[float, ...]  # demand multiplier Monday..Sunday, mean 1
    trend: float  # relative demand growth per day: demand(t) = demand(0) * (1 + trend * t)


@dataclass(frozen=True)
class Hotspot:
    hotspot_id: str
    video_id: str
    product_id: str
    start_s: float
    end_s: float
    segment: str
    click_probability: float


@dataclass(frozen=True)
class Video:
    video_id: str
    title: str
    host: str
    format: str
    length_s: int
    published_at: str
    production_cost_cents: int
    completion_probability: float
    conversion_multiplier: float  # host lift x format lift, applied to purchases in the viewing visit
    hotspots: tuple[Hotspot, ...]


@dataclass(frozen=True)
class Catalog:
    products: tuple[Product, ...]
    videos: tuple[Video, ...]
    best_host: str
    best_format: str
    best_segment: str

    def product_index(self) -> dict[str, int]:
        return {p.product_id: i for i, p in enumerate(self.products)}

    def daily_demand(self, day_index: int, weekday: int, multipliers: list[float]) -> list[float]:
        """Cumulative demand weights of every product on one day, for bisect sampling; `multipliers` are the
        demand plan's factors of the day (promotions, quiet days, products not launched yet)."""
        return list(
            accumulate(
                p.popularity * p.weekly[weekday] * max(0.1, 1.0 + p.trend * day_index) * m
                for p, m in zip(self.products, multipliers, strict=True)
            )
        )


def pick(rng: random.Random, cumulative: list[float]) -> int:
    """Index drawn in proportion to the weights whose running sum `cumulative` is."""
    return bisect.bisect_right(cumulative, rng.random() * cumulative[-1])


def _weighted(rng: random.Random, options: tuple) -> tuple:
    return rng.choices(options, weights=[o[1] for o in options])[0]


def _product(rng: random.Random, number: int, popularity: float) -> Product:
    category = rng.choice(tuple(CATEGORIES))
    low, high = CATEGORIES[category]
    price = round(rng.uniform(low, high) / 100) * 100 - 10  # shelf prices end in .90
    currency = _weighted(rng, _PRICE_CURRENCIES)[0]
    _, _, shape = _weighted(rng, _WEEKLY_SHAPES)
    noisy = [m * rng.uniform(0.93, 1.07) for m in shape]
    mean = sum(noisy) / 7
    return Product(
        product_id=f"P{number:04d}",
        name=f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS[category])}",
        category=category,
        brand=rng.choice(BRANDS),
        price_cents=price,
        currency=currency,
        unit_cost_cents=round(price * rng.uniform(0.28, 0.55)),
        popularity=popularity,
        weekly=tuple(round(m / mean, 4) for m in noisy),
        trend=round(max(-0.012, min(0.02, rng.gauss(0.002, 0.006))), 5),
    )


def _products(rng: random.Random, size: int) -> tuple[Product, ...]:
    # Zipf-like long tail: popularity 1/rank, ranks shuffled so ids do not reveal bestsellers.
    ranks = list(range(1, size + 1))
    rng.shuffle(ranks)
    return tuple(_product(rng, i + 1, 1.0 / ranks[i] ** 1.05) for i in range(size))


def _hotspots(
    rng: random.Random, video_id: str, length_s: int, segments: list[str], products: tuple[Product, ...]
) -> tuple[Hotspot, ...]:
    slot = length_s / len(segments)
    hotspots = []
    for i, segment in enumerate(segments):
        start = round(slot * i + rng.uniform(0.05, 0.6) * slot, 1)
        hotspots.append(
            Hotspot(
                hotspot_id=f"{video_id}-H{i + 1}",
                video_id=video_id,
                product_id=rng.choice(products).product_id,
                start_s=start,
                end_s=round(min(length_s, start + rng.uniform(4, 12)), 1),
                segment=segment,
                click_probability=round(rng.uniform(0.03, 0.16), 3),
            )
        )
    return tuple(hotspots)


def _videos(
    rng: random.Random,
    products: tuple[Product, ...],
    start_date: date,
    best_host: str,
    best_format: str,
    best_segment: str,
) -> tuple[Video, ...]:
    """A balanced design, so each dimension's planted lift shows and the other variants convert alike.

    Every host films every format twice, a reel and a long piece. Every video has a hotspot in every non-best
    segment; the videos on one Latin-square diagonal of host x format (the same number per host and per
    format) have one more, in the best segment. Hotspots sit in random order in the timeline.
    """
    others = [s for s in SEGMENTS if s != best_segment]
    videos = []
    for h, host in enumerate(HOSTS):
        for f, video_format in enumerate(FORMATS):
            on_diagonal = (h + f) % len(HOSTS) == 0
            for take in range(2):
                number = len(videos) + 1
                video_id = f"V{number:03d}"
                is_reel = take == 0
                length = rng.randint(30, 90) if is_reel else rng.randint(150, 480)
                segments = others + [best_segment] if on_diagonal else list(others)
                rng.shuffle(segments)
                lift = (CONVERSION_LIFT if host == best_host else 1.0) * (
                    CONVERSION_LIFT if video_format == best_format else 1.0
                )
                published = start_date - timedelta(days=rng.randint(5, 240))
                videos.append(
                    Video(
                        video_id=video_id,
                        title=f"{video_format.replace('_', ' ').title()} with {host.split()[0]} #{number}",
                        host=host,
                        format=video_format,
                        length_s=length,
                        published_at=f"{published.isoformat()}T{rng.randint(8, 20):02d}:00:00Z",
                        production_cost_cents=rng.randint(30, 500) * 1000 if not is_reel else rng.randint(3, 40) * 1000,
                        completion_probability=round(
                            rng.uniform(0.35, 0.75) if is_reel else rng.uniform(0.08, 0.35), 3
                        ),
                        conversion_multiplier=lift,
                        hotspots=_hotspots(rng, video_id, length, segments, products),
                    )
                )
    return tuple(videos)


def _side_by_side(rng: random.Random, video: Video) -> Video:
    """Two hotspots next in the timeline made visible together, with click-throughs an order of magnitude apart:
    the later one moves to open while the earlier one is still on screen."""
    timeline = sorted(video.hotspots, key=lambda h: h.start_s)
    k = rng.randrange(len(timeline) - 1)
    first, second = timeline[k], timeline[k + 1]
    start = round(first.start_s + rng.uniform(0.2, 0.5) * (first.end_s - first.start_s), 1)
    duration = second.end_s - second.start_s
    rare, popular = (round(rng.uniform(*bounds), 3) for bounds in SIDE_BY_SIDE_RATES)
    rates = (rare, popular) if rng.random() < 0.5 else (popular, rare)
    moved = {
        first.hotspot_id: replace(first, click_probability=rates[0]),
        second.hotspot_id: replace(
            second, start_s=start, end_s=round(min(video.length_s, start + duration), 1), click_probability=rates[1]
        ),
    }
    return replace(video, hotspots=tuple(moved.get(h.hotspot_id, h) for h in video.hotspots))


def build_catalog(rng: random.Random, product_count: int, start_date: date) -> Catalog:
    products = _products(rng, product_count)
    best_host, best_format, best_segment = rng.choice(HOSTS), rng.choice(FORMATS), rng.choice(SEGMENTS)
    videos = _videos(rng, products, start_date, best_host, best_format, best_segment)
    videos = tuple(
        _side_by_side(rng, video) if number % SIDE_BY_SIDE_EVERY == 0 else video for number, video in enumerate(videos)
    )
    return Catalog(products, videos, best_host, best_format, best_segment)


def money(cents: int) -> str:
    return f"{cents / 100:.2f}"


def _write_csv(path: Path, header: tuple[str, ...], rows: list[tuple]) -> int:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)


def write_catalog(catalog: Catalog, folder: Path) -> dict[str, int]:
    """Writes products.csv, videos.csv and hotspots.csv; returns data rows per file."""
    folder.mkdir(parents=True, exist_ok=True)
    products = [
        (p.product_id, p.name, p.category, p.brand, money(p.price_cents), p.currency, money(p.unit_cost_cents))
        for p in catalog.products
    ]
    videos = [
        (v.video_id, v.title, v.host, v.format, v.length_s, v.published_at, money(v.production_cost_cents), "EUR")
        for v in catalog.videos
    ]
    hotspots = [
        (h.video_id, h.hotspot_id, h.product_id, h.start_s, h.end_s, h.segment)
        for v in catalog.videos
        for h in v.hotspots
    ]
    return {
        "products": _write_csv(
            folder / "products.csv",
            ("product_id", "name", "category", "brand", "price", "currency", "unit_cost"),
            products,
        ),
        "videos": _write_csv(
            folder / "videos.csv",
            ("video_id", "title", "host", "format", "length_s", "published_at", "production_cost", "currency"),
            videos,
        ),
        "hotspots": _write_csv(
            folder / "hotspots.csv", ("video_id", "hotspot_id", "product_id", "start_s", "end_s", "segment"), hotspots
        ),
    }
