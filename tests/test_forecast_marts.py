"""The demand forecast and content signals as the pipeline builds them on the session's shop: one forecast per
product and future day, a backtest that beats the weekly seasonal naive on regular sellers, and content
signals whose inputs agree with the marts they come from."""

from datetime import timedelta

import pytest

from tests.conftest import query

HORIZON = 28  # forecast_horizon_days' default


@pytest.fixture(scope="module")
def shop(video_shop):
    return video_shop


def test_every_product_gets_one_forecast_per_future_day_after_the_data(shop):
    _, db = shop
    last_day = query(db, "select max(date_day) from intermediate.int_product_daily")[0][0]
    products = query(db, "select count(distinct product_id) from intermediate.int_product_daily")[0][0]
    per_product = query(
        db,
        """
        select min(days), max(days), min(first_day), max(last_day), count(*)
        from (
            select product_id, count(*) as days, min(date_day) as first_day, max(date_day) as last_day
            from marts.fct_demand_forecast group by 1
        )
        """,
    )[0]
    bounds = query(
        db,
        "select count(*) from marts.fct_demand_forecast "
        "where not (forecast_low_80 <= forecast_units and forecast_units <= forecast_high_80) or forecast_units < 0",
    )[0][0]

    assert per_product == (HORIZON, HORIZON, last_day + timedelta(days=1), last_day + timedelta(days=HORIZON), products)
    assert bounds == 0


def test_each_product_uses_the_model_its_backtest_selected(shop):
    _, db = shop
    mismatched = query(
        db,
        """
        select count(*)
        from (select distinct product_id, model from marts.fct_demand_forecast) as used
        left join marts.fct_forecast_accuracy as accuracy
            on used.product_id = accuracy.product_id and accuracy.is_selected
        where accuracy.model is not null and accuracy.model <> used.model
        """,
    )[0][0]
    selected_twice = query(
        db,
        "select count(*) from (select product_id from marts.fct_forecast_accuracy where is_selected "
        "group by 1 having count(*) > 1)",
    )[0][0]

    assert (mismatched, selected_twice) == (0, 0)


def test_the_selected_models_beat_the_weekly_seasonal_naive_on_regular_sellers(shop):
    _, db = shop
    naive_mase, regular_products, mean_selected_mase = query(
        db,
        """
        select
            max(case when model = 'seasonal_naive' then mase end) filter (where is_catalog),
            count(distinct product_id) filter (where demand_class = 'regular'),
            avg(mase) filter (where demand_class = 'regular' and is_selected and isfinite(mase))
        from marts.fct_forecast_accuracy
        """,
    )[0]

    assert naive_mase == pytest.approx(1.0)
    assert regular_products > 0
    assert mean_selected_mase < 1


def test_content_signals_read_the_last_window_of_the_product_days(shop):
    _, db = shop
    differing = query(
        db,
        """
        with window_days as (
            select product_id, sum(hotspot_impressions) as impressions, sum(hotspot_clicks) as clicks
            from intermediate.int_product_daily
            where date_day > (select max(date_day) from intermediate.int_product_daily) - 28
            group by 1
        )
        select count(*)
        from marts.fct_content_signals as signals
        left join window_days on signals.product_id = window_days.product_id
        where signals.hotspot_impressions <> coalesce(window_days.impressions, 0)
            or signals.hotspot_clicks <> coalesce(window_days.clicks, 0)
        """,
    )[0][0]
    recommendations = dict(query(db, "select recommendation, count(*) from marts.fct_content_signals group by 1"))

    assert differing == 0
    assert set(recommendations) >= {"restock_and_feature", "feature_more", "reshoot_content", "hold"}


def test_product_days_count_every_order_line_of_the_shop(shop):
    _, db = shop
    sold = query(db, "select sum(units_sold) from intermediate.int_product_daily")[0][0]
    ordered_before_clock = query(
        db,
        """
        select sum(items.quantity)
        from intermediate.int_orders as orders
        inner join staging.stg_order_items as items on orders.event_id = items.event_id
        where orders.order_date < (select clock_date from intermediate.int_warehouse_clock)
        """,
    )[0][0]

    assert sold == ordered_before_clock


@pytest.mark.parametrize(
    "planted_as",
    [
        "restock_and_feature",  # high demand and click-through, low stock: feature it and order more
        "reshoot_content",  # shown in hotspots nobody clicks, with stock piling up
    ],
)
def test_the_products_the_generator_planted_get_their_recommendation(shop, planted_as):
    truth, db = shop
    planted = truth["planted"][planted_as]
    recommended = dict(
        query(
            db,
            "select product_id, recommendation from marts.fct_content_signals where product_id in (select unnest($p))",
            {"p": planted},
        )
    )

    assert recommended == dict.fromkeys(planted, planted_as)
