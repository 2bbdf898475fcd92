{#- One row per order_id (CONTRACT section 7): the first delivery of its purchase wins (earliest load,
    then line), so a shop re-sending a purchase with a new event_id does not count it twice. Revenue is
    converted with the rate of the order date in the reporting time zone.

    Money is never a bot: a purchase counts whatever its user agent, because a shop's backend reporting
    orders server-side looks exactly like a script. Its session is the one of its device whose span,
    extended by the session timeout, holds the order time: the purchase's own session for a browser
    purchase (sessions of a device are more than the timeout apart, so at most one span holds it), the
    session the visitor was in for a server-side one; none for a device never seen browsing. Its person
    is its device's (the one person rule, int_people), never the event's own user_id.

    A table, rebuilt every run: an order depends on its device's sessions, on the FX feed (a late rate
    re-prices old orders) and on the customer's other orders, and orders are a fraction of a percent of
    events, so rebuilding them is cheaper and safer than tracking all three. -#}

with purchases as (

    select *
    from {{ ref('stg_events') }}
    where event_name = 'purchase'
    qualify row_number() over (partition by order_id order by load_id, source_line) = 1

),

sessions as (

    select * from {{ ref('int_sessions') }}

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

purchase_sessions as (

    select
        purchases.event_id,
        sessions.session_id
    from purchases
    inner join sessions
        on
            purchases.anonymous_id = sessions.anonymous_id
            and purchases.occurred_at >= sessions.started_at
            and purchases.occurred_at
            <= {{ dbt.dateadd('minute', var('session_timeout_minutes'), 'sessions.ended_at') }}

),

orders as (

    select
        purchases.order_id,
        purchases.event_id,
        people.customer_id,
        purchases.user_id as purchase_user_id,
        purchases.anonymous_id,
        {{ person_id('purchases.anonymous_id') }} as person_id,
        purchase_sessions.session_id,
        purchases.is_bot as is_server_side,
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
    left join purchase_sessions
        on purchases.event_id = purchase_sessions.event_id
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
        orders.purchase_user_id,
        orders.anonymous_id,
        orders.person_id,
        orders.session_id,
        orders.is_server_side,
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
