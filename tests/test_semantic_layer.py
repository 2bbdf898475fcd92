"""The semantic layer (dbt_project/models/semantic/) against the marts and what the generator planted: `mf query`
on the command line, orchestration/metrics.py from Python, and every published metric by name and dimension."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from orchestration.assets.dbt_project import DBT_PROJECT_DIR, SEEDS_DIR
from orchestration.metrics import SEMANTIC_MANIFEST, semantic_layer
from orchestration.settings import DEFAULT_SERVING_DB
from tests.conftest import query

MF = Path(sys.executable).parent / "mf"
CENT = 0.01

# The metric names analysts, the dashboard and the export are promised, each with the dimensions it is
# promised to slice by (besides metric_time__day). Orders reach the channel through their session.
SESSION_DIMENSIONS = ("channel", "channel__is_paid", "session__device_type", "session__country")
ORDER_DIMENSIONS = ("session__channel", "session__device_type", "session__country")
VIDEO_DIMENSIONS = ("video", "video__host", "video__format", "video__length_bucket", "video__video_title")
SPEND_DIMENSIONS = ("channel", "channel__is_paid")
CREDIT_DIMENSIONS = ("channel", "attribution_credit__model")
PUBLISHED_METRICS = {
    **dict.fromkeys(("sessions", "users", "conversion_rate", "cart_abandonment_rate"), SESSION_DIMENSIONS),
    **dict.fromkeys(("orders", "aov", "gross_revenue", "net_revenue", "refunded_amount"), ORDER_DIMENSIONS),
    **dict.fromkeys(
        ("video_starts", "completions", "completion_rate", "hotspot_impressions", "hotspot_clicks", "hctr"),
        VIDEO_DIMENSIONS,
    ),
    "revenue_per_view": VIDEO_DIMENSIONS,
    **dict.fromkeys(("abandoned_intent_value", "abandoned_intents"), VIDEO_DIMENSIONS),
    **dict.fromkeys(("spend", "new_customers", "cpa", "cac", "roas", "roi"), SPEND_DIMENSIONS),
    **dict.fromkeys(("attributed_revenue", "attributed_conversions"), CREDIT_DIMENSIONS),
    # The one metric the product entity slices.
    "video_attributed_revenue": ("product", "product__product_name", "product__category", "video_credit__model"),
}


def _serving(db: Path) -> Path:
    return db.with_name(DEFAULT_SERVING_DB.name)


def _seed(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / f"{name}.csv").open() as seed:
        return list(csv.DictReader(seed))


def _by(frame: pd.DataFrame, key: str, column: str) -> dict:
    return {row[key]: (None if pd.isna(row[column]) else row[column]) for _, row in frame.iterrows()}


def test_mf_query_answers_hctr_per_day_as_the_sums_of_fct_video_daily(video_shop, tmp_path):
    _, db = video_shop
    semantic_layer()  # parses the project when a model changed, so `mf` reads a current semantic manifest
    answer = tmp_path / "hctr.csv"
    run = subprocess.run(
        [MF, "query", "--metrics", "hctr", "--group-by", "metric_time__day", "--csv", answer, "--quiet"],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "FUNNELHOUSE_DB": str(db), "FUNNELHOUSE_SERVING_DB": str(_serving(db))},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0 and answer.exists(), run.stdout + run.stderr
    with answer.open() as rows:
        answered = {
            row["metric_time__day"][:10]: float(row["hctr"]) if row["hctr"] else None for row in csv.DictReader(rows)
        }

    expected = {
        str(day): (clicks / impressions if impressions else None)
        for day, clicks, impressions in query(
            db,
            """
            select date_day, sum(hotspot_clicks), sum(hotspot_impressions)
            from marts.fct_video_daily
            group by date_day
            """,
        )
    }
    assert len(expected) >= 59
    assert answered.keys() == expected.keys()
    assert answered == {
        day: pytest.approx(rate, rel=1e-6) if rate is not None else None for day, rate in expected.items()
    }


def test_session_rates_by_channel_are_those_of_fct_sessions(video_shop):
    truth, db = video_shop
    planted = truth["sessions"]
    rates = semantic_layer().query(
        _serving(db),
        ["sessions", "users", "purchase_sessions", "conversion_rate", "cart_abandonment_rate"],
        ["channel"],
    )
    expected = {
        channel: (sessions, users, purchases, carts, cart_purchases)
        for channel, sessions, users, purchases, carts, cart_purchases in query(
            db,
            """
            select
                channel,
                count(*),
                count(distinct person_id),
                count(*) filter (where purchased),
                count(*) filter (where added_to_cart),
                count(*) filter (where added_to_cart and purchased)
            from marts.fct_sessions
            group by channel
            """,
        )
    }

    assert _by(rates, "channel", "sessions") == planted["sessions_by_channel"]
    assert rates["purchase_sessions"].sum() == planted["sessions_with_order"]
    assert _by(rates, "channel", "users") == {channel: users for channel, (_, users, *_) in expected.items()}
    assert _by(rates, "channel", "conversion_rate") == {
        channel: pytest.approx(purchases / sessions) for channel, (sessions, _, purchases, *_) in expected.items()
    }
    assert _by(rates, "channel", "cart_abandonment_rate") == {
        channel: pytest.approx(1 - cart_purchases / carts) for channel, (*_, carts, cart_purchases) in expected.items()
    }
    best = rates.sort_values("conversion_rate").iloc[-1]["channel"]
    assert best == truth["planted"]["converting_channel"]


def test_gross_revenue_orders_and_aov_per_day_are_fct_orders_per_order_date(video_shop):
    truth, db = video_shop
    days = semantic_layer().query(
        _serving(db), ["gross_revenue", "orders", "aov", "refunded_amount", "net_revenue"], ["metric_time__day"]
    )
    expected = {
        str(day): (orders, float(revenue))
        for day, orders, revenue in query(
            db, "select order_date, count(*), sum(revenue_reporting) from marts.fct_orders group by order_date"
        )
    }
    answered = {str(row.metric_time__day.date()): (row.orders, row.gross_revenue, row.aov) for row in days.itertuples()}
    assert answered == {
        day: (orders, pytest.approx(revenue, abs=1e-6), pytest.approx(revenue / orders))
        for day, (orders, revenue) in expected.items()
    }

    planted = truth["sessions"]
    assert days["orders"].sum() == planted["orders"]
    assert days["gross_revenue"].sum() == pytest.approx(planted["revenue_reporting"], abs=CENT)
    assert days["refunded_amount"].sum() == pytest.approx(planted["refund_amount_reporting"], abs=CENT)
    assert days["net_revenue"].sum() == pytest.approx(
        planted["revenue_reporting"] - planted["refund_amount_reporting"], abs=CENT
    )


def test_roas_by_channel_is_credited_revenue_over_the_planted_spend(video_shop):
    truth, db = video_shop
    ratios = semantic_layer().query(_serving(db), ["roas", "roi", "cpa", "spend"], ["channel"])

    channel_of = {row["platform"]: row["channel"] for row in _seed("ad_platforms")}
    planted_spend: dict[str, float] = {}
    for platform, spend in truth["planted"]["ad_spend_by_platform"].items():
        planted_spend[channel_of[platform]] = planted_spend.get(channel_of[platform], 0) + spend["spend_reporting"]
    assert {channel: spend for channel, spend in _by(ratios, "channel", "spend").items() if spend is not None} == {
        channel: pytest.approx(spend, abs=CENT) for channel, spend in planted_spend.items()
    }

    expected = {
        channel: (revenue, spend, conversions)
        for channel, revenue, spend, conversions in query(
            db,
            """
            select channel, cast(sum(attributed_revenue) as double), cast(sum(spend) as double), sum(orders)
            from marts.fct_marketing_roi group by channel
            """,
        )
    }
    paid = {channel for channel, (_, spend, _) in expected.items() if spend is not None}
    assert paid == planted_spend.keys()
    assert _by(ratios, "channel", "roas") == {
        channel: pytest.approx(revenue / spend) if channel in paid else None
        for channel, (revenue, spend, _) in expected.items()
    }
    assert _by(ratios, "channel", "roi") == {
        channel: pytest.approx((revenue - spend) / spend) if channel in paid else None
        for channel, (revenue, spend, _) in expected.items()
    }
    assert {channel: cpa for channel, cpa in _by(ratios, "channel", "cpa").items() if channel in paid} == {
        channel: pytest.approx(spend / conversions)
        for channel, (_, spend, conversions) in expected.items()
        if channel in paid
    }


def test_every_attribution_model_credits_the_orders_revenue_once(video_shop):
    truth, db = video_shop
    credits = semantic_layer().query(
        _serving(db), ["attributed_revenue", "attributed_conversions"], ["attribution_credit__model"]
    )
    planted = truth["sessions"]
    models = {"first_touch", "last_touch", "last_non_direct", "linear", "position_based", "time_decay", "markov"}
    assert _by(credits, "attribution_credit__model", "attributed_revenue") == dict.fromkeys(
        models, pytest.approx(planted["revenue_reporting"], abs=CENT)
    )
    assert _by(credits, "attribution_credit__model", "attributed_conversions") == dict.fromkeys(
        models, pytest.approx(planted["orders"])
    )

    (markov_direct,) = semantic_layer().query(
        _serving(db),
        ["attributed_revenue"],
        ["channel"],
        where=["{{ Dimension('attribution_credit__model') }} = 'markov'", "{{ Entity('channel') }} = 'Direct'"],
    )["attributed_revenue"]
    (expected,) = query(
        db,
        "select sum(attributed_revenue) from marts.fct_attribution where model = 'markov' and channel = 'Direct'",
    )[0]
    assert markov_direct == pytest.approx(float(expected), abs=1e-6)


def test_every_published_metric_is_defined_with_its_formula_and_answers_by_day_and_its_dimensions(video_shop):
    _, db = video_shop
    layer = semantic_layer()
    defined = {metric["name"]: metric for metric in json.loads(SEMANTIC_MANIFEST.read_text())["metrics"]}
    assert PUBLISHED_METRICS.keys() <= defined.keys()
    undocumented = [
        name
        for name, metric in defined.items()
        if not metric.get("label") or "=" not in (metric.get("description") or "")
    ]
    assert undocumented == []

    empty_columns = []
    for metric, dimensions in PUBLISHED_METRICS.items():
        answer = layer.query(_serving(db), [metric], ["metric_time__day", *dimensions])
        assert set(answer.columns) == {"metric_time__day", *dimensions, metric}
        # A dimension its join never reaches, or a metric over a column that is always null, answers nothing.
        empty_columns += [(metric, column) for column in (*dimensions, metric) if answer[column].isna().all()]
    assert empty_columns == []


def test_the_entity_marts_hold_the_catalogs_and_every_channel(video_shop):
    truth, db = video_shop
    catalog = truth["csv"]
    assert query(db, "select count(*) from marts.dim_videos") == [(catalog["videos"]["valid"],)]
    assert query(db, "select count(*) from marts.dim_products") == [(catalog["products"]["valid"],)]

    channels = dict(query(db, "select channel, is_paid from marts.dim_channels"))
    assert channels.keys() == {row["channel"] for row in _seed("channel_grouping")}
    assert {channel for channel, is_paid in channels.items() if is_paid} == {
        row["channel"] for row in _seed("ad_platforms")
    }
