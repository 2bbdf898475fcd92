{{
    config(
        materialized=replaced_by_device(),
        incremental_strategy='delete+insert',
        unique_key='anonymous_id',
        on_schema_change='fail'
    )
}}
{#- The public session mart: one row per session with its customer, channel, funnel flags and the
    orders placed in it (server-side ones included: int_orders gives each order its session), so a
    session "purchased" when it holds an order, however the shop reported it. Incremental by device: a run
    rebuilds every session of the run manifest's devices (new events, an erasure) and of the devices whose
    orders a newly landed FX rate re-priced. -#}
{#- Referred to on every build, so dbt knows the dependency when it parses. -#}
{%- set devices_of_this_run, loads_of_this_run = ref('int_devices_this_run'), ref('int_loads_this_run') %}
{%- set only_touched_devices -%}
{%- if is_incremental() %}where anonymous_id in (select touched_devices.anonymous_id from touched_devices){% endif -%}
{%- endset %}

with orders as (

    select * from {{ ref('int_orders') }}

),

{% if is_incremental() %}
touched_devices as (

    select devices.anonymous_id from {{ devices_of_this_run }} as devices
    union
    select orders.anonymous_id from orders
    where orders.fx_load_id in (select loads.load_id from {{ loads_of_this_run }} as loads)

),
{% endif %}

sessions as (

    select * from {{ ref('int_sessions') }}
    {{ only_touched_devices }}

),

session_channels as (

    select * from {{ ref('int_session_channels') }}
    {{ only_touched_devices }}

),

session_orders as (

    select
        session_id,
        count(*) as orders,
        sum(revenue_reporting) as revenue,
        {#- A server-side order is a bot event, which the session's own loads leave out. -#}
        max(greatest(load_id, coalesce(fx_load_id, 0))) as order_load_id
    from orders
    group by session_id

),

final as (

    select
        sessions.session_id,
        sessions.anonymous_id,
        sessions.customer_id,
        sessions.person_id,
        cast(sessions.session_index as integer) as session_index,
        sessions.session_index = 1 as is_new_visitor,
        {{ reporting_date('sessions.started_at') }} as session_date,
        sessions.started_at,
        sessions.ended_at,
        sessions.duration_s,
        sessions.events,
        sessions.page_views,
        sessions.product_views,
        session_channels.channel,
        session_channels.source,
        session_channels.medium,
        session_channels.campaign,
        sessions.device_type,
        sessions.country,
        sessions.landing_page,
        sessions.is_bounce,
        sessions.searched,
        sessions.viewed_video,
        sessions.clicked_hotspot,
        sessions.added_to_cart,
        sessions.began_checkout,
        coalesce(session_orders.orders, 0) > 0 as purchased,
        coalesce(session_orders.orders, 0) as orders,
        cast(coalesce(session_orders.revenue, 0) as decimal(18, 4)) as revenue,
        {#- The newest load any row of the device depends on, so the daily marts know which days to redo. -#}
        greatest(
            max(sessions.last_load_id) over (partition by sessions.anonymous_id),
            coalesce(max(session_orders.order_load_id) over (partition by sessions.anonymous_id), 0)
        ) as last_load_id
    from sessions
    inner join session_channels
        on sessions.session_id = session_channels.session_id
    left join session_orders
        on sessions.session_id = session_orders.session_id

)

select * from final
