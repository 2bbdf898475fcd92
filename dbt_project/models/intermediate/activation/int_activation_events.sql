{{
    config(
        materialized=replaced_by_device(),
        incremental_strategy='delete+insert',
        unique_key='anonymous_id',
        on_schema_change='fail'
    )
}}
{#- The behaviour the activation flows react to, each event with its person (the one person rule) and its
    session: sign-ups, product views, cart changes and searches of people, bots left out. One narrow table
    the six trigger models read, so none of them joins the events to people and sessions on its own.
    Incremental by device, like int_video_events: a row depends only on its device's events (its session)
    and logins (its person), and a login is an event of the device, so the run manifest's devices are
    exactly those whose rows can change. -#}

with events as (

    select * from {{ ref('stg_events') }}
    {{ only_devices_of_this_run('anonymous_id') }}

),

behaviour as (

    select * from events
    where
        event_name in ('sign_up', 'view_item', 'add_to_cart', 'buy_now', 'remove_from_cart', 'search')
        and not is_bot

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
        behaviour.event_id,
        behaviour.event_name,
        behaviour.occurred_at,
        {{ reporting_date('behaviour.occurred_at') }} as event_date,
        {{ person_id('behaviour.anonymous_id') }} as person_id,
        people.customer_id,
        behaviour.anonymous_id,
        sessionized.session_id,
        behaviour.product_id,
        behaviour.price,
        behaviour.currency,
        behaviour.quantity,
        behaviour.video_id,
        behaviour.search_query,
        behaviour.sign_up_method
    from behaviour
    inner join sessionized
        on behaviour.event_id = sessionized.event_id
    left join people
        on behaviour.anonymous_id = people.anonymous_id

)

select * from final
