{{
    config(
        materialized=replaced_by_device(),
        incremental_strategy='delete+insert',
        unique_key='anonymous_id',
        on_schema_change='fail'
    )
}}
{#- One row per session. Incremental like int_events_sessionized: the sessions of every device that new
    loads touched are rebuilt whole. A login always arrives as an event of the device itself, so a
    device whose customer changes is always among those rebuilt. -#}

with sessionized as (

    select * from {{ ref('int_events_sessionized') }}
    {{ only_devices_of_this_run('anonymous_id') }}

),

events as (

    {#- Filtered like sessionized, not only joined to it: a join would hash every event first. -#}
    select * from {{ ref('stg_events') }}
    {{ only_devices_of_this_run('anonymous_id') }}

),

people as (

    select * from {{ ref('int_people') }}

),

device_events as (

    select
        sessionized.session_id,
        sessionized.session_index,
        sessionized.event_index_in_session,
        events.*
    from sessionized
    inner join events
        on sessionized.event_id = events.event_id

),

sessions as (

    select
        session_id,
        anonymous_id,
        min(session_index) as session_index,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        count(*) as events,
        count(*) filter (where event_name = 'page_view') as page_views,
        count(*) filter (where event_name = 'view_item') as product_views,
        bool_or(event_name = 'search') as searched,
        bool_or(event_name = 'video_start') as viewed_video,
        bool_or(event_name = 'hotspot_click') as clicked_hotspot,
        bool_or(event_name in ('add_to_cart', 'buy_now')) as added_to_cart,
        bool_or(event_name = 'begin_checkout') as began_checkout,
        min_by(page_url, event_index_in_session) filter (where page_url is not null) as landing_page,
        min_by(device_type, event_index_in_session) as device_type,
        min_by(country, event_index_in_session) as country,
        max(load_id) as last_load_id
    from device_events
    group by session_id, anonymous_id

),

final as (

    select
        sessions.session_id,
        sessions.anonymous_id,
        people.customer_id,
        {{ person_id('sessions.anonymous_id') }} as person_id,
        sessions.session_index,
        sessions.started_at,
        sessions.ended_at,
        {{ dbt.datediff('sessions.started_at', 'sessions.ended_at', 'second') }} as duration_s,  -- noqa: LT05
        sessions.events,
        sessions.page_views,
        sessions.product_views,
        sessions.events = 1 as is_bounce,
        sessions.searched,
        sessions.viewed_video,
        sessions.clicked_hotspot,
        sessions.added_to_cart,
        sessions.began_checkout,
        sessions.landing_page,
        sessions.device_type,
        sessions.country,
        sessions.last_load_id
    from sessions
    left join people
        on sessions.anonymous_id = people.anonymous_id

)

select * from final
