{#- The headline KPIs per day, week (ISO, from Monday) and month, each next to its previous period and the
    same period a year earlier, with the changes: the numbers a weekly business review opens with. Periods
    with no data are zero, not missing, so "previous" is always the period just before. A year earlier is
    364 days for days and weeks (the same weekday) and 12 months for months. Sessions count on the day
    they start, orders on the day they are placed, refunds on the day they are booked (all in the
    reporting time zone). Refunds are what was booked (capped at each order's revenue); refunds of orders
    the warehouse does not hold are their own KPI and lower nothing. A table: a few thousand rows rolled up from the marts. -#}

{%- set grains = {
    'day': {'step': "interval 1 day", 'year_ago': "interval 364 day"},
    'week': {'step': "interval 7 day", 'year_ago': "interval 364 day"},
    'month': {'step': "interval 1 month", 'year_ago': "interval 12 month"},
} -%}
{%- set kpis = {
    'sessions': 'sessions',
    'users': 'users',
    'conversion_rate': conversion_rate('purchase_sessions', 'sessions'),
    'cart_abandonment_rate': cart_abandonment_rate('cart_purchase_sessions', 'cart_sessions'),
    'orders': 'orders',
    'aov': average_order_value('gross_revenue', 'orders'),
    'gross_revenue': 'gross_revenue',
    'refunds': 'refunded_revenue',
    'refunds_without_order': 'unmatched_refunds',
    'net_revenue': 'gross_revenue - refunded_revenue',
    'revenue_per_session': 'cast(gross_revenue as double) / nullif(sessions, 0)',
    'visits_to_purchase': 'cast(visits_to_purchase as double) / nullif(orders, 0)',
    'search_conversion_lift': conversion_rate('search_purchase_sessions', 'search_sessions') ~ ' / nullif('
        ~ conversion_rate('purchase_sessions - search_purchase_sessions', 'sessions - search_sessions') ~ ', 0)',
} -%}

with sessions as (

    select * from {{ ref('fct_sessions') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

refunds as (

    select * from {{ ref('int_refunds') }}

),

data_days as (

    {#- Every day something was booked on: a session started, an order placed (a session that crosses
        midnight places its order on a day no session started) or a refund booked. -#}
    select
        min(day) as first_day,
        max(day) as last_day
    from (
        select session_date as day from sessions
        union all
        select order_date from orders
        union all
        select refund_date from refunds
    ) as booked_days

),

periods as (

    {%- for grain, step in grains.items() %}
    select distinct
        '{{ grain }}' as period_grain,
        cast({{ dbt.date_trunc(grain, 'day') }} as date) as period_start,
        cast({{ dbt.date_trunc(grain, 'day') }} - {{ step.step }} as date) as previous_period_start,
        cast({{ dbt.date_trunc(grain, 'day') }} - {{ step.year_ago }} as date) as year_ago_period_start,
        cast({{ dbt.date_trunc(grain, 'day') }} + {{ step.step }} - interval 1 day as date) as period_end
    from {{ spanning_days('data_days', 'first_day', 'last_day', 'days') }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

session_measures as (

    {%- for grain in grains %}
    select
        '{{ grain }}' as period_grain,
        cast({{ dbt.date_trunc(grain, 'session_date') }} as date) as period_start,
        count(*) as sessions,
        count(distinct person_id) as users,
        count(*) filter (where purchased) as purchase_sessions,
        count(*) filter (where added_to_cart) as cart_sessions,
        count(*) filter (where added_to_cart and purchased) as cart_purchase_sessions,
        count(*) filter (where searched) as search_sessions,
        count(*) filter (where searched and purchased) as search_purchase_sessions
    from sessions
    group by 2
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

order_measures as (

    {%- for grain in grains %}
    select
        '{{ grain }}' as period_grain,
        cast({{ dbt.date_trunc(grain, 'order_date') }} as date) as period_start,
        count(*) as orders,
        sum(revenue_reporting) as gross_revenue,
        sum(visits_to_purchase) as visits_to_purchase
    from orders
    group by 2
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

refund_measures as (

    {%- for grain in grains %}
    select
        '{{ grain }}' as period_grain,
        cast({{ dbt.date_trunc(grain, 'refund_date') }} as date) as period_start,
        sum(booked_amount_reporting) filter (where has_order) as refunded_revenue,
        sum(amount_reporting) filter (where not has_order) as unmatched_refunds
    from refunds
    group by 2
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

measures as (

    select
        periods.*,
        coalesce(session_measures.sessions, 0) as sessions,
        coalesce(session_measures.users, 0) as users,
        coalesce(session_measures.purchase_sessions, 0) as purchase_sessions,
        coalesce(session_measures.cart_sessions, 0) as cart_sessions,
        coalesce(session_measures.cart_purchase_sessions, 0) as cart_purchase_sessions,
        coalesce(session_measures.search_sessions, 0) as search_sessions,
        coalesce(session_measures.search_purchase_sessions, 0) as search_purchase_sessions,
        coalesce(order_measures.orders, 0) as orders,
        coalesce(order_measures.gross_revenue, 0) as gross_revenue,
        coalesce(order_measures.visits_to_purchase, 0) as visits_to_purchase,
        coalesce(refund_measures.refunded_revenue, 0) as refunded_revenue,
        coalesce(refund_measures.unmatched_refunds, 0) as unmatched_refunds
    from periods
    left join session_measures
        on periods.period_grain = session_measures.period_grain and periods.period_start = session_measures.period_start
    left join order_measures
        on periods.period_grain = order_measures.period_grain and periods.period_start = order_measures.period_start
    left join refund_measures
        on periods.period_grain = refund_measures.period_grain and periods.period_start = refund_measures.period_start

),

kpi_values as (

    {%- for kpi, expression in kpis.items() %}
    select
        '{{ kpi }}' as kpi,
        period_grain,
        period_start,
        period_end,
        previous_period_start,
        year_ago_period_start,
        cast({{ expression }} as double) as value
    from measures
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select
        current_period.kpi,
        current_period.period_grain,
        current_period.period_start,
        current_period.period_end,
        current_period.period_start >= data_days.first_day and current_period.period_end <= data_days.last_day
            as is_complete_period,
        current_period.value,
        previous_period.value as previous_value,
        current_period.value - previous_period.value as change,
        (current_period.value - previous_period.value) / nullif(abs(previous_period.value), 0) as change_pct,
        year_ago_period.value as year_ago_value,
        current_period.value - year_ago_period.value as year_ago_change,
        (current_period.value - year_ago_period.value) / nullif(abs(year_ago_period.value), 0) as year_ago_change_pct
    from kpi_values as current_period
    cross join data_days
    left join kpi_values as previous_period
        on
            current_period.kpi = previous_period.kpi
            and current_period.period_grain = previous_period.period_grain
            and current_period.previous_period_start = previous_period.period_start
    left join kpi_values as year_ago_period
        on
            current_period.kpi = year_ago_period.kpi
            and current_period.period_grain = year_ago_period.period_grain
            and current_period.year_ago_period_start = year_ago_period.period_start

)

select * from final
