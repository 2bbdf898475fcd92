{#- The behaviour the activation flows react to, each event with its person (the one person rule) and its
    session: sign-ups, product views, cart changes and searches of people, bots left out. One narrow table
    the six trigger models read, so none of them joins the events to people and sessions on its own. A table
    rebuilt every run (about 3 s on the 60-day test shop): a login re-assigns a device's old events to its
    customer, and a rebuild follows that without tracking it. -#}

with events as (

    select * from {{ ref('stg_events') }}
    where
        event_name in ('sign_up', 'view_item', 'add_to_cart', 'buy_now', 'remove_from_cart', 'search')
        and not is_bot

),

sessionized as (

    select * from {{ ref('int_events_sessionized') }}

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
        {{ person_id('events.anonymous_id') }} as person_id,
        people.customer_id,
        events.anonymous_id,
        sessionized.session_id,
        events.product_id,
        events.price,
        events.currency,
        events.quantity,
        events.video_id,
        events.search_query,
        events.sign_up_method
    from events
    inner join sessionized
        on events.event_id = sessionized.event_id
    left join people
        on events.anonymous_id = people.anonymous_id

)

select * from final
