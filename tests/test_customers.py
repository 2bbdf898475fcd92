"""dim_customers on the generated shop: every planted order belongs to exactly one customer, and the RFM
segment of every customer follows its scores by the documented rules."""

import pytest

from tests.conftest import query

# The segment rules of int_customer_rfm, in order; the first that matches names the segment.
SEGMENT_RULES = (
    ("champions", lambda r, f: r >= 4 and f >= 4),
    ("loyal", lambda r, f: r >= 3 and f >= 3),
    ("cant_lose", lambda r, f: r <= 2 and f >= 4),
    ("at_risk", lambda r, f: r <= 2 and f >= 2),
    ("new", lambda r, f: r >= 4 and f == 1),
    ("potential_loyalist", lambda r, f: r >= 3),
    ("hibernating", lambda r, f: r == 2),
    ("lost", lambda r, f: r == 1),
)


def _segment(recency: int, frequency: int) -> str:
    return next(name for name, rule in SEGMENT_RULES if rule(recency, frequency))


def test_every_planted_order_and_its_revenue_belong_to_one_customer(video_shop):
    truth, db = video_shop
    [(orders, gross)] = query(db, "select sum(orders), sum(gross_revenue) from marts.dim_customers")

    assert orders == truth["sessions"]["orders"]
    assert float(gross) == pytest.approx(truth["sessions"]["revenue_reporting"], abs=0.01)


def test_everyone_who_signed_up_is_a_customer_and_prospects_are_those_without_orders(video_shop):
    truth, db = video_shop
    [(customers, prospects, prospects_with_orders)] = query(
        db,
        "select count(*), count(*) filter (where rfm_segment = 'prospect'), "
        "count(*) filter (where rfm_segment = 'prospect' and orders > 0) from marts.dim_customers",
    )

    assert customers >= sum(truth["sessions"]["sign_ups_by_method"].values())
    assert prospects > 0 and prospects_with_orders == 0


def test_each_buyers_segment_follows_its_recency_and_frequency_scores(video_shop):
    _, db = video_shop
    buyers = query(
        db,
        "select recency_score, frequency_score, rfm_segment, recency_days, orders "
        "from marts.dim_customers where orders > 0",
    )
    segments = {segment for *_, segment, _, _ in buyers}

    assert all(segment == _segment(r, f) for r, f, segment, _, _ in buyers)
    assert {"new", "lost", "champions"} <= segments
    # Scores rank: a customer who ordered more recently never has a lower R.
    by_recency = sorted(buyers, key=lambda row: row[3])
    assert all(a[0] >= b[0] for a, b in zip(by_recency, by_recency[1:], strict=False))
