"""The daily CSV exports: inventory snapshots, ad spend, social post stats and exchange rates, each with a few
planted bad rows (exactly one bad value each, recorded with file and line in truth.json)."""

import csv
import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from orchestration.generator.catalog import Catalog, money
from orchestration.generator.channels import PAID_CAMPAIGNS
from orchestration.generator.faults import CSV_FAULTS
from orchestration.generator.fx import FxRates
from orchestration.generator.stock import Stock
from orchestration.generator.truth import CsvCounts, ExportTotals

HEADERS: dict[str, tuple[str, ...]] = {
    "inventory": ("snapshot_date", "product_id", "units_on_hand"),
    "ad_spend": ("date", "platform", "campaign", "spend", "currency", "impressions", "clicks"),
    "social": (
        "date",
        "platform",
        "account",
        "post_id",
        "post_type",
        "impressions",
        "reach",
        "likes",
        "comments",
        "shares",
        "saves",
        "link_clicks",
        "video_views",
        "followers",
    ),
    "fx_rates": ("date", "currency", "rate_to_reporting"),
}
# Engagement per post by followers (Rival IQ, seeds/benchmarks.csv), followers at the start, daily follower
# growth, posts per day and post types.
SOCIAL_ACCOUNTS: dict[str, tuple[str, float, int, float, tuple[int, int], tuple[str, ...]]] = {
    "instagram": ("@lumenloom", 0.0047, 48_000, 0.0015, (1, 2), ("reel", "image", "carousel")),
    "tiktok": ("@lumenloom", 0.0569, 26_000, 0.0040, (1, 3), ("video",)),
    "facebook": ("Lumen & Loom", 0.0006, 61_000, 0.0003, (1, 1), ("image", "video", "link")),
    "x": ("@lumen_loom", 0.00035, 12_500, 0.0005, (1, 3), ("text", "image")),
}
_VIDEO_POSTS = {"reel", "video"}


class DailyExports:
    def __init__(
        self,
        out: Path,
        rng: random.Random,
        catalog: Catalog,
        fx: FxRates,
        start_date: date,
        days: int,
        stock: Stock,
        counts: dict[str, CsvCounts],
    ):
        self._out = out
        self._rng = rng
        self._catalog = catalog
        self._fx = fx
        self._start_date = start_date
        self._counts = counts
        self._bad_rows = self._plan_bad_rows(days)
        self._followers = {platform: spec[2] for platform, spec in SOCIAL_ACCOUNTS.items()}
        self.engagement_rates: dict[str, list[float]] = {platform: [] for platform in SOCIAL_ACCOUNTS}
        self.totals = ExportTotals()
        self.stock = stock
        self.daily_units: list[list[int]] = [[] for _ in catalog.products]  # product -> units sold per day

    def _plan_bad_rows(self, days: int) -> dict[tuple[str, int], list[str]]:
        """(source, day) -> reasons of the bad rows to plant in that day's file."""
        plan: dict[tuple[str, int], list[str]] = {}
        published = [d for d in range(days) if self._fx.published(d)]
        for source, faults in CSV_FAULTS.items():
            for reason in faults:
                for _ in range(2 if days >= 14 else 1):
                    day = self._rng.choice(published if source == "fx_rates" else range(days))
                    plan.setdefault((source, day), []).append(reason)
        return plan

    def write_day(self, day: int, units_sold: Counter, paid_clicks: Counter) -> None:
        on = self._start_date + timedelta(days=day)
        self._write("inventory", on, day, self._inventory(on, day, units_sold))
        self._write("ad_spend", on, day, self._ad_spend(on, day, paid_clicks))
        self._write("social", on, day, self._social(on))
        if self._fx.published(day):
            self._write(
                "fx_rates",
                on,
                day,
                [(on.isoformat(), currency, f"{rate:.6f}") for currency, rate in self._fx.published_rates(day).items()],
            )

    # --- sources ------------------------------------------------------------------------------------------------

    def _inventory(self, on: date, day: int, units_sold: Counter) -> list[tuple]:
        """End-of-day stock of the launched products (Stock took the day's sales out as they were made)."""
        for i, units in enumerate(self.daily_units):
            units.append(units_sold.get(i, 0))
        products = self._catalog.products
        return [(on.isoformat(), products[i].product_id, units) for i, units in self.stock.close_day(day)]

    def _ad_spend(self, on: date, day: int, paid_clicks: Counter) -> list[tuple]:
        """Clicks the platform billed: the visits that landed plus the ones that bounced before tracking."""
        rng = self._rng
        rows = []
        for campaign in PAID_CAMPAIGNS:
            landed = paid_clicks.get(campaign.name, 0)
            clicks = round(landed * rng.uniform(1.08, 1.3)) + (rng.random() < 0.3)
            impressions = round(clicks / (campaign.click_through_rate * rng.uniform(0.8, 1.2)))
            spend = round(clicks * campaign.cost_per_click_cents * rng.uniform(0.85, 1.15))
            self._count_spend(campaign.platform, campaign.currency, day, spend, impressions, clicks)
            rows.append(
                (on.isoformat(), campaign.platform, campaign.name, money(spend), campaign.currency, impressions, clicks)
            )
        return rows

    def _social(self, on: date) -> list[tuple]:
        rng = self._rng
        rows = []
        for platform, (account, benchmark, _, growth, posts, post_types) in SOCIAL_ACCOUNTS.items():
            followers = round(self._followers[platform] * (1 + growth * rng.uniform(0, 2)))
            self._followers[platform] = followers
            for n in range(rng.randint(*posts)):
                post_type = rng.choice(post_types)
                rate = benchmark * rng.lognormvariate(-0.1, 0.45)  # mean 1 x benchmark
                engagements = round(followers * rate)
                likes = round(engagements * 0.78)
                comments = round(engagements * 0.07)
                shares = round(engagements * 0.06)
                saves = max(0, engagements - likes - comments - shares)
                reach_factor = rng.uniform(0.8, 4.0) if platform == "tiktok" else rng.uniform(0.25, 1.2)
                impressions = round(followers * reach_factor)
                self.engagement_rates[platform].append((likes + comments + shares + saves) / followers)
                reach = round(impressions * rng.uniform(0.6, 0.9))
                link_clicks = round(impressions * rng.uniform(0.001, 0.006))
                self.totals.social[platform].update(posts=1, impressions=impressions, link_clicks=link_clicks)
                rows.append(
                    (
                        on.isoformat(),
                        platform,
                        account,
                        f"{platform}_{on:%Y%m%d}_{n + 1}",
                        post_type,
                        impressions,
                        reach,
                        likes,
                        comments,
                        shares,
                        saves,
                        link_clicks,
                        round(impressions * rng.uniform(0.4, 0.8)) if post_type in _VIDEO_POSTS else 0,
                        followers,
                    )
                )
        return rows

    def _count_spend(self, platform: str, currency: str, day: int, cents: int, impressions: int, clicks: int) -> None:
        """The truth of one ad_spend row, in the reporting currency at the spend day's rate (as a model converts it)."""
        self.totals.spend_cents[platform][currency] += cents
        self.totals.ad_spend[platform].update(
            spend_reporting=cents / 100 * self._fx.rate_to_reporting(currency, day),
            impressions=impressions,
            clicks=clicks,
        )

    def units_trend(self) -> list[float]:
        """Least-squares slope of each product's daily units sold: the trend as it came out, units/day per day."""
        slopes = []
        for units in self.daily_units:
            n = len(units)
            mean_day, mean_units = (n - 1) / 2, sum(units) / n
            spread = sum((d - mean_day) ** 2 for d in range(n))
            covariance = sum((d - mean_day) * (u - mean_units) for d, u in enumerate(units))
            slopes.append(covariance / spread if spread else 0.0)
        return slopes

    # --- files --------------------------------------------------------------------------------------------------

    def _write(self, source: str, on: date, day: int, rows: list[tuple]) -> None:
        faults = [(reason, *CSV_FAULTS[source][reason]) for reason in self._bad_rows.get((source, day), [])]
        write_csv(self._out, source, HEADERS[source], on, rows, faults, self._rng, self._counts[source])


def write_csv(
    out: Path,
    source: str,
    header: tuple[str, ...],
    on: date,
    rows: list[tuple],
    faults: list[tuple[str, str, str]],
    rng: random.Random,
    counts: CsvCounts,
) -> None:
    """Writes out/source/source_<on>.csv with a bad copy of a random good row per (reason, column, bad value) at a
    random place, each recorded in `counts` with the line the loader will report."""
    rows = [tuple(str(value) for value in row) for row in rows]
    good_rows = list(rows)  # a bad row copies a good one, so it carries exactly one fault
    bad_at: dict[int, tuple[str, str]] = {}  # data row index -> (reason, column)
    for reason, column, value in faults:
        broken = list(rng.choice(good_rows))
        broken[header.index(column)] = value
        index = rng.randrange(len(rows) + 1)
        rows.insert(index, tuple(broken))
        bad_at = {(i + 1 if i >= index else i): fault for i, fault in bad_at.items()}
        bad_at[index] = (reason, column)
    relative = f"{source}/{source}_{on.isoformat()}.csv"
    for index, (reason, column) in sorted(bad_at.items()):
        counts.rejected[reason] += 1
        # Line numbers count the header as line 1, as the loader reports them.
        counts.bad_rows.append({"file": relative, "line": index + 2, "reason": reason, "column": column})
    counts.rows += len(rows)
    path = out / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
