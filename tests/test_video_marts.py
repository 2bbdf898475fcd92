"""The video marts against what the generator planted: click-through per hotspot, completion per video,
and every video event counted once."""

import math

from tests.conftest import query

# Four standard errors: with a few hundred hotspots, a correct mart fails this by chance about once in
# ten thousand runs, while a mart that miscounts clicks or impressions by a tenth fails it.
SIGMAS = 4


def _within_sampling_error(measured: float, planted: float, trials: int) -> bool:
    return abs(measured - planted) <= SIGMAS * math.sqrt(planted * (1 - planted) / trials)


def test_every_hotspot_click_through_recovers_its_planted_probability(video_shop):
    truth, db = video_shop
    planted = truth["planted"]["hotspot_click_probability"]
    rows = query(db, "select hotspot_id, impressions, hctr from marts.fct_hotspot_performance where impressions > 0")
    assert len(rows) == len(planted)
    misses = [
        (hotspot, hctr, planted[hotspot])
        for hotspot, impressions, hctr in rows
        if not _within_sampling_error(hctr, planted[hotspot], impressions)
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


def test_attributed_revenue_never_exceeds_the_revenue_of_the_orders(video_shop):
    _, db = video_shop
    attributed, orders = query(
        db,
        "select (select sum(attributed_revenue) from marts.fct_video_roi), "
        "(select sum(revenue_reporting) from marts.fct_orders)",
    )[0]
    assert 0 < attributed <= orders
