{{
    config(
        materialized=replaced_by_device(),
        incremental_strategy='delete+insert',
        unique_key='anonymous_id',
        on_schema_change='fail'
    )
}}
{#- Every non-bot event that happened in or because of a video: plays, progress, completions, hotspot
    impressions and clicks, and the product views, wishlists, carts and buy-nows that carry a video_id.
    Each with its session, its person (the customer the device belongs to, else the device) and its day
    in the reporting time zone; the video marts are built from here. Incremental by touched device, like
    the sessions: a late event or a login changes the sessions and the person of its own device only. -#}

with events as (

    select * from {{ ref('stg_events') }}
    {{ only_devices_of_this_run('anonymous_id') }}

),

sessionized as (

    select * from {{ ref('int_events_sessionized') }}
    {{ only_devices_of_this_run('anonymous_id') }}

),

people as (

    select * from {{ ref('int_people') }}

),

final as (

    select
        events.event_id,
        events.event_name,
        events.occurred_at,
        {{ reporting_date('events.occurred_at') }} as event_date,
        sessionized.session_id,
        events.anonymous_id,
        people.customer_id,
        {{ person_id('events.anonymous_id') }} as person_id,
        events.video_id,
        events.hotspot_id,
        events.product_id,
        events.position_s,
        events.video_percent,
        events.is_in_video_intent,
        events.price,
        events.quantity,
        events.currency,
        events.price * events.quantity as intent_value,
        events.load_id
    from events
    inner join sessionized
        on events.event_id = sessionized.event_id
    left join people
        on events.anonymous_id = people.anonymous_id
    where events.video_id is not null and not events.is_bot

)

select * from final
