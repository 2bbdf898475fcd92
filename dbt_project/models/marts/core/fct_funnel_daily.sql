{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='session_date',
        on_schema_change='fail'
    )
}}
{#- The daily funnel per channel and device type, from fct_sessions: a session counts on the day it
    started in the reporting time zone, with the orders placed in it. Incremental by day: a run redoes
    every day spanned by a session rebuilt since the last run. A session only ever grows into earlier or
    later events, so the days it spanned before a late event are inside the days it spans after. Erasures
    shrink sessions, or remove them: the days every device an erasure touched spanned are redone too. -#}

with sessions as (

    select * from {{ ref('fct_sessions') }}

),

{% if is_incremental() %}
rebuilt_sessions as (

    select
        session_date,
        ended_at
    from sessions
    where last_load_id > (select coalesce(max(existing.last_load_id), 0) from {{ this }} as existing)

),

erased_spans as (

    select
        {{ reporting_date('pending.first_occurred_at') }} as first_day,
        {{ reporting_date('pending.last_occurred_at') }} as last_day
    from {{ source('raw', 'pending_rebuilds') }} as pending

),

touched_days as (

    select distinct cast(spanned.day as date) as session_date
    from
        rebuilt_sessions,
        unnest(generate_series(
            rebuilt_sessions.session_date, {{ reporting_date('rebuilt_sessions.ended_at') }}, interval 1 day
        )) as spanned (day)
    union
    select distinct cast(spanned.day as date) as session_date
    from
        erased_spans,
        unnest(generate_series(erased_spans.first_day, erased_spans.last_day, interval 1 day)) as spanned (day)

),
{% endif %}

day_sessions as (

    select *
    from sessions
    {% if is_incremental() %}
    where session_date in (select touched_days.session_date from touched_days)
    {% endif %}

),

final as (

    select
        session_date,
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
        cast(sum(orders) as bigint) as orders,
        cast(sum(revenue) as decimal(18, 4)) as revenue,
        {{ conversion_rate('count(*) filter (where purchased)', 'count(*)') }} as conversion_rate,
        {{ cart_abandonment_rate(
            'count(*) filter (where added_to_cart and purchased)', 'count(*) filter (where added_to_cart)'
        ) }} as cart_abandonment_rate,
        {{ average_order_value('sum(revenue)', 'sum(orders)') }} as aov,
        max(last_load_id) as last_load_id
    from day_sessions
    group by session_date, channel, coalesce(device_type, '(not set)')

)

select * from final
