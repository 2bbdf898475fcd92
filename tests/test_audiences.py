"""The six activation audiences (CONTRACT section 10) on the generated shop: every row keeps the promises a
sending tool relies on, checked against the raw events with this file's own SQL, not the models' - nobody
ordered after their trigger, a cart's items were carted and not bought, a person is in one audience, and
everyone can be reached on the channels listed. Then the export hands all six to those tools as CSV.

The edge cases (a cart 59 minutes before an order, stage boundaries, a return on day 2, priority, an
unsubscribe, 90 days without a visit) are dbt unit tests beside the models."""

import csv
import json
from pathlib import Path

import pytest

from orchestration.export import MANIFEST, export_marts
from tests.conftest import query

FLOWS = ("welcome", "cart_recovery", "browse_abandonment", "search_abandonment", "post_purchase", "reactivation")
# CONTRACT section 8: the least columns of every audience_<flow> mart.
LEAST_COLUMNS = {"customer_id", "reason", "triggered_at", "items", "video_id", "send_after"}

# A person by the raw events alone: a device belongs to the user_id it was last seen with, else it is its own
# person. Written here, not read from int_people, so the audiences are checked against the data itself.
RAW_PEOPLE = """
    raw_devices as (
        select anonymous_id, arg_max(user_id, occurred_at) as customer_id
        from raw.events
        where user_id is not null
        group by anonymous_id
    ),
    raw_person_events as (
        select events.*, coalesce(raw_devices.customer_id, events.anonymous_id) as person_id
        from raw.events as events
        left join raw_devices using (anonymous_id)
    )
"""

ALL_AUDIENCES = " union all ".join(
    f"select '{flow}' as flow, person_id, customer_id, channels, triggered_at, items from marts.audience_{flow}"
    for flow in FLOWS
)


@pytest.fixture(scope="module")
def warehouse(video_shop) -> Path:
    _, db = video_shop
    return db


def test_no_one_in_an_audience_ordered_after_their_trigger(warehouse):
    ordered_after = query(
        warehouse,
        f"""
        with {RAW_PEOPLE}, audiences as ({ALL_AUDIENCES})
        select audiences.flow, audiences.person_id, purchases.occurred_at
        from audiences
        inner join raw_person_events as purchases
            on purchases.person_id = audiences.person_id
            and purchases.event_name = 'purchase'
            and purchases.occurred_at > audiences.triggered_at
        """,
    )

    assert ordered_after == []


def test_every_cart_recovery_item_was_carted_by_the_person_and_not_bought(warehouse):
    item_lines = query(
        warehouse,
        """
        select count(*)
        from marts.audience_cart_recovery as carts,
            unnest(cast(json_extract(carts.items, '$[*]') as json[])) as lines (line)
        """,
    )[0][0]
    not_carted_or_bought = query(
        warehouse,
        f"""
        with {RAW_PEOPLE},
        lines as (
            select carts.person_id, carts.triggered_at, line ->> 'product_id' as product_id,
                cast(line ->> 'price' as decimal(18, 4)) as price
            from marts.audience_cart_recovery as carts,
                unnest(cast(json_extract(carts.items, '$[*]') as json[])) as lines (line)
        ),
        adds as (
            select person_id, occurred_at, properties ->> 'product_id' as product_id,
                cast(properties ->> 'price' as decimal(18, 4)) as price
            from raw_person_events
            where event_name in ('add_to_cart', 'buy_now')
        ),
        bought as (
            select person_id, occurred_at, item ->> 'product_id' as product_id
            from raw_person_events,
                unnest(cast(json_extract(properties, '$.items[*]') as json[])) as items (item)
            where event_name = 'purchase'
        )
        select lines.person_id, lines.product_id
        from lines
        where not exists (
            select 1
            from adds
            where adds.person_id = lines.person_id
                and adds.product_id = lines.product_id
                and adds.price = lines.price
                and adds.occurred_at <= lines.triggered_at
                and not exists (
                    select 1
                    from bought
                    where bought.person_id = adds.person_id
                        and bought.product_id = adds.product_id
                        and bought.occurred_at > adds.occurred_at
                )
        )
        """,
    )

    assert item_lines > 0
    assert not_carted_or_bought == []


def test_a_person_is_in_one_audience_at_most(warehouse):
    in_several = query(
        warehouse,
        f"select person_id, count(*) from ({ALL_AUDIENCES}) group by person_id having count(*) > 1",
    )

    assert in_several == []


def test_every_row_can_be_reached_on_the_channels_it_lists(warehouse):
    unreachable = query(
        warehouse,
        f"""
        with {RAW_PEOPLE},
        audiences as ({ALL_AUDIENCES}),
        reachable as (
            select
                person_id,
                bool_or(user_id is not null or (properties ->> 'email_sha256') is not null) as has_email,
                bool_or((properties ->> 'phone_sha256') is not null and event_name = 'sign_up') as has_phone
            from raw_person_events
            where event_name = 'sign_up' or user_id is not null
            group by person_id
        ),
        unsubscribed as (
            select coalesce(customer_id, anonymous_id) as person_id, channel
            from raw.messages
            where unsubscribed_at is not null
        )
        select audiences.flow, audiences.person_id, audiences.channels
        from audiences
        left join reachable using (person_id)
        where audiences.channels not in ('email', 'sms', 'email,sms')
            or (audiences.channels like '%email%' and not coalesce(reachable.has_email, false))
            or (audiences.channels like '%sms%' and not coalesce(reachable.has_phone, false))
            or exists (
                select 1 from unsubscribed
                where unsubscribed.person_id = audiences.person_id
                    and audiences.channels like '%' || unsubscribed.channel || '%'
            )
        """,
    )

    assert unreachable == []


@pytest.mark.parametrize("flow", [flow for flow in FLOWS if flow != "reactivation"])
def test_the_sixty_day_shop_fills_every_audience_but_reactivation(warehouse, flow):
    assert query(warehouse, f"select count(*) from marts.audience_{flow}")[0][0] > 0


def test_reactivation_is_empty_because_the_shop_is_younger_than_90_days(warehouse):
    """Nobody can be 90 days gone from a 60-day shop; the dbt unit test of int_activation_reactivation shows
    who the flow picks when the history is long enough."""
    history_days, reactivation = query(
        warehouse,
        """
        select
            date_diff('day', (select min(occurred_at) from raw.events), clock_at),
            (select count(*) from marts.audience_reactivation)
        from intermediate.int_warehouse_clock
        """,
    )[0]

    assert (history_days < 90, reactivation) == (True, 0)


def test_the_export_writes_each_audience_as_csv_with_the_least_columns(warehouse, tmp_path):
    export_marts(warehouse.with_name("serving.duckdb"), tmp_path / "export")

    manifest = json.loads((tmp_path / "export" / MANIFEST).read_text())["marts"]
    for flow in FLOWS:
        mart = f"audience_{flow}"
        assert manifest[mart]["files"] == [f"{mart}.parquet", f"{mart}.csv"]
        with (tmp_path / "export" / f"{mart}.csv").open(newline="") as written:
            reader = csv.DictReader(written)
            rows = sum(1 for _ in reader)
            assert set(reader.fieldnames) >= LEAST_COLUMNS
        assert rows == manifest[mart]["rows"] == query(warehouse, f"select count(*) from marts.{mart}")[0][0]
