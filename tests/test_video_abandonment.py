"""Abandoned stream intent (CONTRACT section 9) on the generated video shop, held against what the generator
planted (truth.json planted.in_video_abandonment): the (person, video) pairs judged from their last in-video
intent - converted when the person ordered within 24 h after it (server-side orders included), abandoned when
the 24 h passed by the warehouse clock (the newest occurred_at of a non-bot event) without one, pending while
they have not."""

from datetime import datetime

from tests.conftest import query


def _planted(truth: dict) -> tuple[int, int, int]:
    planted = truth["planted"]["in_video_abandonment"]
    return planted["pairs"], planted["converted_pairs"], planted["pending_pairs"]


def test_the_window_is_judged_by_the_newest_occurred_at_of_a_non_bot_event(video_shop):
    """The generator ends with a bot's page view hours after the last visitor: it must not move the clock."""
    truth, db = video_shop
    planted = truth["planted"]
    assert planted["latest_occurred_at"] > planted["warehouse_clock_at"]
    clocks = query(db, "select distinct warehouse_clock_at from intermediate.int_stream_intents")
    assert clocks == [(datetime.fromisoformat(planted["warehouse_clock_at"]),)]


def test_abandoned_converted_and_pending_pairs_equal_what_the_generator_planted(video_shop):
    truth, db = video_shop
    measured = query(
        db,
        "select count(*) filter (where status = 'abandoned'), count(*) filter (where status = 'converted'), "
        "count(*) filter (where status = 'pending') from intermediate.int_stream_intents",
    )[0]
    assert measured == _planted(truth)
    by_any_clock = truth["planted"]["in_video_abandonment"]["if_bots_moved_the_clock"]
    assert measured[::2] != (by_any_clock["pairs"], by_any_clock["pending_pairs"])  # the rules differ here


def test_the_abandoned_mart_has_one_row_per_planted_abandoned_pair(video_shop):
    truth, db = video_shop
    abandoned, _, _ = _planted(truth)
    assert query(db, "select count(*) from marts.fct_abandoned_stream_intent") == [(abandoned,)]


def test_the_daily_mart_adds_up_to_the_planted_pairs(video_shop):
    truth, db = video_shop
    abandoned, converted, pending = _planted(truth)
    measured = query(
        db,
        "select sum(abandoned), sum(recovered), sum(pending), sum(intents) from marts.fct_stream_intent_daily",
    )[0]
    assert measured == (abandoned, converted, pending, abandoned + converted + pending)
