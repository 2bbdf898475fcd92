{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **days_replaced('date_day')
    )
}}
{#- The daily funnel per channel and device type. Two calendars, each named: sessions and their funnel
    steps count on the day the session started; orders and revenue on the day they were placed, like in
    every other mart (CONTRACT section 7), with the channel and device of the session they were placed in.
    Orders with no session (a server-side order from a device never seen browsing) have their own row,
    channel and device type `(no session)`, so the days add up to every order. orders_in_sessions_started
    keeps the session-day view of orders, for the conversion of a day's traffic.

    Incremental by day: a run redoes every day spanned by a session it rebuilt (one depending on a load of
    the run manifest; a session only ever grows into earlier or later events, so the days it spanned before
    are inside the days it spans after), the order days of orders loaded, re-priced or re-sessioned by this
    run's loads, and the days of every device an erasure touched. -#}

{%- set no_session = "'(no session)'" %}
{#- Referred to on every build, so dbt knows the dependency when it parses. -#}
{%- set loads_of_this_run = ref('int_loads_this_run') %}

with sessions as (

    select * from {{ ref('fct_sessions') }}

),

orders as (

    select
        orders.order_id,
        orders.order_date,
        orders.revenue_reporting,
        coalesce(sessions.channel, {{ no_session }}) as channel,
        case
            when sessions.session_id is null then {{ no_session }}
            else coalesce(sessions.device_type, '(not set)')
        end as device_type,
        greatest(orders.load_id, coalesce(orders.fx_load_id, 0), coalesce(sessions.last_load_id, 0)) as last_load_id
    from {{ ref('int_orders') }} as orders
    left join sessions
        on orders.session_id = sessions.session_id

),

{% if is_incremental() %}
loads as (

    select * from {{ loads_of_this_run }}

),

rebuilt_sessions as (

    select
        session_date,
        ended_at
    from sessions
    where last_load_id in (select loads.load_id from loads)

),

erased_spans as (

    select
        {{ reporting_date('pending.first_occurred_at') }} as first_day,
        {{ reporting_date('pending.last_occurred_at') }} as last_day
    from {{ source('raw', 'pending_rebuilds') }} as pending

),

touched_days as (

    select distinct cast(spanned.day as date) as date_day
    from {{ spanning_days(
        'rebuilt_sessions', 'rebuilt_sessions.session_date', reporting_date('rebuilt_sessions.ended_at'), 'spanned'
    ) }}
    union
    select distinct cast(spanned.day as date) as date_day
    from {{ spanning_days('erased_spans', 'erased_spans.first_day', 'erased_spans.last_day', 'spanned') }}
    union
    select order_date as date_day
    from orders
    where last_load_id in (select loads.load_id from loads)

),
{% endif %}

session_measures as (

    select
        session_date as date_day,
        channel,
        coalesce(device_type, '(not set)') as device_type,
        count(*) as sessions,
        count(distinct person_id) as users,
        count(*) filter (where is_new_visitor) as new_visitor_sessions,
        count(*) filter (where product_views > 0) as product_view_sessions,
        count(*) filter (where added_to_cart) as cart_sessions,
        count(*) filter (where began_checkout) as checkout_sessions,
        count(*) filter (where purchased) as purchase_sessions,
        count(*) filter (where added_to_cart and purchased) as cart_purchase_sessions,
        count(*) filter (where searched) as search_sessions,
        count(*) filter (where is_bounce) as bounced_sessions,
        sum(orders) as orders_in_sessions_started,
        sum(revenue) as revenue_in_sessions_started,
        max(last_load_id) as last_load_id
    from sessions
    {% if is_incremental() %}
    where session_date in (select touched_days.date_day from touched_days)
    {% endif %}
    group by session_date, channel, coalesce(device_type, '(not set)')

),

order_measures as (

    select
        order_date as date_day,
        channel,
        device_type,
        count(*) as orders,
        sum(revenue_reporting) as revenue,
        max(last_load_id) as last_load_id
    from orders
    {% if is_incremental() %}
    where order_date in (select touched_days.date_day from touched_days)
    {% endif %}
    group by order_date, channel, device_type

),

measures as (

    select
        coalesce(session_measures.date_day, order_measures.date_day) as date_day,
        coalesce(session_measures.channel, order_measures.channel) as channel,
        coalesce(session_measures.device_type, order_measures.device_type) as device_type,
        coalesce(session_measures.sessions, 0) as sessions,
        coalesce(session_measures.users, 0) as users,
        coalesce(session_measures.new_visitor_sessions, 0) as new_visitor_sessions,
        coalesce(session_measures.product_view_sessions, 0) as product_view_sessions,
        coalesce(session_measures.cart_sessions, 0) as cart_sessions,
        coalesce(session_measures.checkout_sessions, 0) as checkout_sessions,
        coalesce(session_measures.purchase_sessions, 0) as purchase_sessions,
        coalesce(session_measures.cart_purchase_sessions, 0) as cart_purchase_sessions,
        coalesce(session_measures.search_sessions, 0) as search_sessions,
        coalesce(session_measures.bounced_sessions, 0) as bounced_sessions,
        coalesce(order_measures.orders, 0) as orders,
        coalesce(order_measures.revenue, 0) as revenue,
        coalesce(session_measures.orders_in_sessions_started, 0) as orders_in_sessions_started,
        coalesce(session_measures.revenue_in_sessions_started, 0) as revenue_in_sessions_started,
        greatest(coalesce(session_measures.last_load_id, 0), coalesce(order_measures.last_load_id, 0)) as last_load_id
    from session_measures
    full outer join order_measures
        on
            session_measures.date_day = order_measures.date_day
            and session_measures.channel = order_measures.channel
            and session_measures.device_type = order_measures.device_type

),

final as (

    select
        date_day,
        channel,
        device_type,
        sessions,
        users,
        new_visitor_sessions,
        product_view_sessions,
        cart_sessions,
        checkout_sessions,
        purchase_sessions,
        cart_purchase_sessions,
        search_sessions,
        bounced_sessions,
        cast(orders as bigint) as orders,
        cast(revenue as decimal(18, 4)) as revenue,
        cast(orders_in_sessions_started as bigint) as orders_in_sessions_started,
        cast(revenue_in_sessions_started as decimal(18, 4)) as revenue_in_sessions_started,
        {{ conversion_rate('purchase_sessions', 'sessions') }} as conversion_rate,
        {{ cart_abandonment_rate('cart_purchase_sessions', 'cart_sessions') }} as cart_abandonment_rate,
        {{ average_order_value('revenue', 'orders') }} as aov,
        last_load_id
    from measures

)

select * from final
