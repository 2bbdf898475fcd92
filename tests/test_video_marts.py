"""The video marts against what the generator planted: click-through per hotspot, completion per video,
every video event counted once and credited to its own hotspot, and the revenue credited to hotspots."""

import math

from tests.conftest import query

# Three standard errors: a measured rate is held to the planted probability at the two-sided tail mass
# beyond 3 SE of a normal (0.27%). Completion rates (hundreds of views at rates near one half) are judged
# by the normal approximation itself; hotspot clicks, rare events on a few hundred impressions (1.5% of
# 99 is 1.5 clicks expected), by the exact binomial tail, where the normal one calls 6 clicks impossible
# when they happen once in 170 hotspots. On the median hotspot (~300 impressions) a rate off by half fails;
# clicks credited to the wrong hotspot are caught exactly by the per-hotspot count test below.
SIGMAS = 3
TAIL_BEYOND_SIGMAS = math.erfc(SIGMAS / math.sqrt(2))


def _within_sampling_error(measured: float, planted: float, trials: int) -> bool:
    return abs(measured - planted) <= SIGMAS * math.sqrt(planted * (1 - planted) / trials)


def _binomial_two_sided_p(successes: int, trials: int, probability: float) -> float:
    def pmf(k: int) -> float:
        return math.comb(trials, k) * probability**k * (1 - probability) ** (trials - k)

    at_most = sum(pmf(k) for k in range(successes + 1))
    at_least = 1 - at_most + pmf(successes)
    return min(1.0, 2 * min(at_most, at_least))


def test_every_hotspot_click_through_recovers_its_planted_probability(video_shop):
    truth, db = video_shop
    planted = truth["planted"]["hotspot_click_probability"]
    rows = query(db, "select hotspot_id, impressions, clicks from marts.fct_hotspot_performance where impressions > 0")
    assert len(rows) == len(planted)
    misses = [
        (hotspot, clicks, impressions, planted[hotspot])
        for hotspot, impressions, clicks in rows
        if _binomial_two_sided_p(clicks, impressions, planted[hotspot]) < TAIL_BEYOND_SIGMAS
    ]
    assert misses == []


def test_every_video_completion_rate_recovers_its_planted_probability(video_shop):
    truth, db = video_shop
    planted = truth["planted"]["video_completion_probability"]
    rows = query(db, "select video_id, sum(views), sum(completions) from marts.fct_video_daily group by video_id")
    assert len(rows) == len(planted)
    misses = [
        (video, completions / views, planted[video])
        for video, views, completions in rows
        if not _within_sampling_error(completions / views, planted[video], views)
    ]
    assert misses == []


def test_video_events_are_counted_once_in_the_marts(video_shop):
    truth, db = video_shop
    by_name = truth["events"]["by_name"]
    starts, impressions, clicks = query(
        db, "select sum(video_starts), sum(hotspot_impressions), sum(hotspot_clicks) from marts.fct_video_daily"
    )[0]
    assert (starts, impressions, clicks) == (
        by_name["video_start"],
        by_name["hotspot_impression"],
        by_name["hotspot_click"],
    )
    hotspot_clicks, roi_clicks = query(
        db,
        "select (select sum(clicks) from marts.fct_hotspot_performance), "
        "(select sum(hotspot_clicks) from marts.fct_video_roi)",
    )[0]
    assert hotspot_clicks == roi_clicks == by_name["hotspot_click"]


def _planted_per_hotspot(truth: dict, column: str) -> dict[tuple[str, str, str], float]:
    return {(h["video_id"], h["hotspot_id"], h["product_id"]): h[column] for h in truth["planted"]["hotspot_events"]}


def test_impressions_and_clicks_per_hotspot_equal_the_events_the_generator_wrote(video_shop):
    """Some videos show two hotspots at once, one clicked about 2% of the time and one about 25%: a click
    credited to its neighbour changes both counts."""
    truth, db = video_shop
    rows = query(db, "select video_id, hotspot_id, product_id, impressions, clicks from marts.fct_hotspot_performance")
    measured = {
        (video, hotspot, product): (impressions, clicks) for video, hotspot, product, impressions, clicks in rows
    }
    impressions = _planted_per_hotspot(truth, "impressions")
    clicks = _planted_per_hotspot(truth, "clicks")
    assert measured == {key: (impressions[key], clicks[key]) for key in impressions}


def test_revenue_credited_to_each_hotspot_equals_what_the_generator_planted(video_shop):
    """Each order line goes to its person's latest click on that product within the 30-day lookback before
    the order (truth.json definitions.hotspot_events); a cent per hotspot covers the 4-decimal line values."""
    truth, db = video_shop
    rows = query(db, "select video_id, hotspot_id, product_id, attributed_revenue from marts.fct_hotspot_performance")
    planted = _planted_per_hotspot(truth, "attributed_revenue_reporting")
    # Enough hotspots earn something for the equality below to mean something (the shop sells only what is on
    # hand, so fewer products sell than the traffic alone would make).
    assert sum(1 for revenue in planted.values() if revenue > 0) > len(planted) / 3
    measured = {(video, hotspot, product): float(revenue) for video, hotspot, product, revenue in rows}
    assert measured.keys() == planted.keys()
    misses = {key: (measured[key], revenue) for key, revenue in planted.items() if abs(measured[key] - revenue) > 0.01}
    assert misses == {}
