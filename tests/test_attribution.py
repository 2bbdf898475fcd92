"""Attribution against what the generator planted (CONTRACT section 9): the channel it made sell gets the
most data-driven credit, and each video earns exactly the orders whose last in-video interaction it held."""

import pytest

from orchestration.summary import format_summary, summarise_run
from tests.conftest import query

MODELS = ("first_touch", "last_touch", "last_non_direct", "linear", "position_based", "time_decay", "markov")


def test_every_order_is_credited_whole_under_every_model(video_shop):
    _, db = video_shop
    orders, revenue = query(db, "select count(*), sum(revenue_reporting) from marts.fct_orders")[0]
    rows = query(
        db,
        "select model, count(distinct order_id), sum(credit), sum(attributed_revenue) "
        "from marts.fct_attribution group by model",
    )
    assert {row[0] for row in rows} == set(MODELS)
    for model, credited_orders, credit, attributed in rows:
        assert credited_orders == orders, model
        assert credit == pytest.approx(orders, abs=1e-6), model
        assert attributed == revenue, model


def test_the_planted_converting_channel_earns_the_most_markov_credit(video_shop):
    truth, db = video_shop
    credit_by_channel = dict(
        query(db, "select channel, sum(credit) from marts.fct_attribution where model = 'markov' group by channel")
    )
    assert max(credit_by_channel, key=credit_by_channel.get) == truth["planted"]["converting_channel"]


def test_each_video_earns_the_orders_its_interaction_was_last_before(video_shop):
    truth, db = video_shop
    planted = truth["planted"]["video_credit"]
    credited = {
        video_id: (orders, float(revenue))
        for video_id, orders, revenue in query(
            db,
            "select video_id, sum(credit), sum(attributed_revenue) from marts.fct_video_attribution "
            "where model = 'last_in_video' group by video_id",
        )
    }
    assert set(credited) == set(planted)
    for video_id, expected in planted.items():
        orders, revenue = credited[video_id]
        assert orders == expected["orders"], video_id
        assert revenue == pytest.approx(expected["revenue_reporting"], abs=0.01 * expected["orders"]), video_id


def test_video_roi_and_daily_credit_agree_with_video_attribution(video_shop):
    _, db = video_shop
    credited = [
        query(db, f"select sum(attributed_revenue) from marts.{mart}{where}")[0][0]
        for mart, where in (
            ("fct_video_attribution", " where model = 'last_in_video'"),
            ("fct_video_roi", ""),
            ("fct_video_daily", ""),
        )
    ]
    assert credited[0] > 0
    assert credited[0] == credited[1] == credited[2]


def test_the_run_summary_shows_each_channel_under_three_models(video_shop):
    _, db = video_shop
    summary = summarise_run(db, 0)
    assert summary.attribution_model == "position_based"
    expected = dict(
        query(
            db, "select channel, sum(attributed_revenue) from marts.fct_attribution where model = 'markov' group by 1"
        )
    )
    assert {c.channel: c.markov for c in summary.channels} == pytest.approx({k: float(v) for k, v in expected.items()})
    paid = [c for c in summary.channels if c.spend]
    assert paid and all(c.roas == pytest.approx(c.chosen_model / c.spend) for c in paid)
    assert "Revenue credited per channel" in format_summary(summary)
