"""fct_flow_performance on the generated video shop, held against the uplift the generator planted per flow
(truth.json flows): the sends it compares are exactly the planted sends whose outcome window closed by the
warehouse clock, and the incremental revenue it measures recovers the revenue of the orders the messages
themselves caused, within its own 95% interval."""

import pytest

from tests.conftest import query

Z_95 = 1.96


def _by_flow(db) -> dict[str, tuple]:
    """flow -> (messaged, control, pending sends, incremental revenue, its standard error) summed over weeks."""
    rows = query(
        db,
        "select flow, sum(sent), sum(control), sum(pending_sends), sum(incremental_revenue), "
        "sqrt(sum(incremental_revenue_se * incremental_revenue_se)), "
        "count(*) filter (where sent > 0 and incremental_revenue_se is null) "
        "from marts.fct_flow_performance group by flow",
    )
    return {flow: rest for flow, *rest in rows}


def _planted(truth: dict) -> dict[str, dict]:
    return {flow: planted for flow, planted in truth["flows"]["by_flow"].items() if planted["messaged"]}


def test_the_compared_sends_are_the_planted_sends_with_a_closed_window(video_shop):
    truth, db = video_shop
    measured = _by_flow(db)
    planted = _planted(truth)
    assert set(measured) == set(planted)
    for flow, p in planted.items():
        messaged, control, pending, *_ = measured[flow]
        assert (messaged, control) == (p["closed_messaged"], p["closed_control"]), flow
        assert pending == p["messaged"] + p["control"] - p["closed_messaged"] - p["closed_control"] > 0, flow


@pytest.mark.parametrize(
    "flow", ["welcome", "cart_recovery", "browse_abandonment", "search_abandonment", "post_purchase"]
)
def test_incremental_revenue_recovers_the_planted_revenue_within_its_interval(video_shop, flow):
    truth, db = video_shop
    _, _, _, incremental, se, weeks_without_se = _by_flow(db)[flow]
    planted = _planted(truth)[flow]["incremental_revenue_reporting"]
    assert weeks_without_se == 0
    assert abs(incremental - planted) <= Z_95 * se, (incremental, se, planted)


def test_the_flow_planted_at_zero_is_not_significant_and_the_strong_one_is(video_shop):
    truth, db = video_shop
    planted = _planted(truth)
    zero = [flow for flow, p in planted.items() if p["uplift"] == 0]
    strongest = max(planted, key=lambda flow: planted[flow]["uplift"])
    assert zero == ["post_purchase"] and strongest == "cart_recovery"
    measured = _by_flow(db)
    _, _, _, incremental, se, _ = measured["post_purchase"]
    assert abs(incremental) < Z_95 * se
    _, _, _, incremental, se, _ = measured["cart_recovery"]
    assert incremental - Z_95 * se > 0
    assert not query(db, "select bool_or(is_significant) from marts.fct_flow_performance where flow = 'post_purchase'")[
        0
    ][0]
