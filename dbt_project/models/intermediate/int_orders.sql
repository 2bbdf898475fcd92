{#- One row per order_id (CONTRACT section 7): the first delivery of its purchase wins (earliest load,
    then line), so a shop re-sending a purchase with a new event_id does not count it twice. Revenue is
    converted with the rate of the order date in the reporting time zone.

    A table, rebuilt every run: an order depends on its device's sessions, on the FX feed (a late rate
    re-prices old orders) and on the customer's other orders, and orders are a fraction of a percent of
    events, so rebuilding them is cheaper and safer than tracking all three. -#}

with purchases as (

    select *
    from {{ ref('stg_events') }}
    where event_name = 'purchase' and not is_bot
    qualify row_number() over (partition by order_id order by load_id, source_line) = 1

),

sessionized as (

    select * from {{ ref('int_events_sessionized') }}

),

people as (

    select * from {{ ref('int_people') }}

),

order_items as (

    select
        event_id,
        cast(count(*) as integer) as item_lines,
        cast(sum(quantity) as integer) as items
    from {{ ref('stg_order_items') }}
    group by event_id

),

orders as (

    select
        purchases.order_id,
        purchases.event_id,
        coalesce(purchases.user_id, people.customer_id) as customer_id,
        purchases.anonymous_id,
        sessionized.session_id,
        purchases.occurred_at as ordered_at,
        {{ reporting_date('purchases.occurred_at') }} as order_date,
        purchases.currency,
        purchases.revenue,
        purchases.tax,
        purchases.shipping,
        purchases.discount,
        purchases.coupon,
        order_items.item_lines,
        order_items.items,
        purchases.load_id
    from purchases
    inner join sessionized
        on purchases.event_id = sessionized.event_id
    left join people
        on purchases.anonymous_id = people.anonymous_id
    left join order_items
        on purchases.event_id = order_items.event_id

),

final as (

    select
        orders.order_id,
        orders.event_id,
        orders.customer_id,
        orders.anonymous_id,
        coalesce(orders.customer_id, orders.anonymous_id) as person_id,
        orders.session_id,
        orders.ordered_at,
        orders.order_date,
        orders.currency,
        orders.revenue,
        orders.tax,
        orders.shipping,
        orders.discount,
        orders.coupon,
        orders.item_lines,
        orders.items,
        {{ fx_rate('rates', 'orders.currency') }} as fx_rate,
        rates.rate_date as fx_rate_date,
        cast(orders.revenue * {{ fx_rate('rates', 'orders.currency') }} as decimal(18, 4)) as revenue_reporting,
        orders.load_id,
        rates.load_id as fx_load_id
    from orders
    {{ join_fx_rate('rates', 'orders.currency', 'orders.order_date') }}

)

select * from final
