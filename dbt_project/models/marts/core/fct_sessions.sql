{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='anonymous_id',
        on_schema_change='fail'
    )
}}
{#- The public session mart: one row per session with its customer, channel, funnel flags and the
    orders placed in it. Incremental by device: a run rebuilds every session of the devices that new
    events touched and of the devices whose orders a newly landed FX rate re-priced. -#}

with sessions as (

    select * from {{ ref('int_sessions') }}

),

session_channels as (

    select * from {{ ref('int_session_channels') }}

),

orders as (

    select * from {{ ref('int_orders') }}

),

events as (

    select * from {{ ref('stg_events') }}

),

{% if is_incremental() %}
watermark as (

    select coalesce(max(last_load_id), 0) as last_load_id from {{ this }}

),

touched_devices as (

    select anonymous_id from events
    where load_id > (select watermark.last_load_id from watermark)
    union
    select anonymous_id from orders
    where fx_load_id > (select watermark.last_load_id from watermark)

),
{% endif %}

device_sessions as (

    select sessions.*
    from sessions
    {% if is_incremental() %}
    where sessions.anonymous_id in (select touched_devices.anonymous_id from touched_devices)
    {% endif %}

),

device_session_channels as (

    select session_channels.*
    from session_channels
    {% if is_incremental() %}
    where session_channels.anonymous_id in (select touched_devices.anonymous_id from touched_devices)
    {% endif %}

),

session_orders as (

    select
        session_id,
        count(*) as orders,
        sum(revenue_reporting) as revenue,
        max(fx_load_id) as fx_load_id
    from orders
    group by session_id

),

final as (

    select
        device_sessions.session_id,
        device_sessions.anonymous_id,
        device_sessions.customer_id,
        coalesce(device_sessions.customer_id, device_sessions.anonymous_id) as person_id,
        cast(device_sessions.session_index as integer) as session_index,
        device_sessions.session_index = 1 as is_new_visitor,
        {{ reporting_date('device_sessions.started_at') }} as session_date,
        device_sessions.started_at,
        device_sessions.ended_at,
        device_sessions.duration_s,
        device_sessions.events,
        device_sessions.page_views,
        device_sessions.product_views,
        session_channels.channel,
        session_channels.source,
        session_channels.medium,
        session_channels.campaign,
        device_sessions.device_type,
        device_sessions.country,
        device_sessions.landing_page,
        device_sessions.is_bounce,
        device_sessions.searched,
        device_sessions.viewed_video,
        device_sessions.clicked_hotspot,
        device_sessions.added_to_cart,
        device_sessions.began_checkout,
        device_sessions.purchased,
        coalesce(session_orders.orders, 0) as orders,
        cast(coalesce(session_orders.revenue, 0) as decimal(18, 4)) as revenue,
        {#- The newest load any row of the device depends on, so the daily marts know which days to redo. -#}
        greatest(
            max(device_sessions.last_load_id) over (partition by device_sessions.anonymous_id),
            coalesce(max(session_orders.fx_load_id) over (partition by device_sessions.anonymous_id), 0)
        ) as last_load_id
    from device_sessions
    inner join device_session_channels as session_channels
        on device_sessions.session_id = session_channels.session_id
    left join session_orders
        on device_sessions.session_id = session_orders.session_id

)

select * from final
