{#- Abandoned stream intent (CONTRACT section 9), judged once for every mart that reports it: one row per
    person x video with an in-video add_to_cart or buy_now. The window (var abandonment_window_hours)
    starts at the pair's LAST intent, so a viewer who comes back to the video and carts again is judged
    from the newest intent, not twice. The pair is converted when the person orders within the window
    after that intent, abandoned when the window closed without an order, and pending while it is open.
    "Closed" is read off the warehouse's clock (int_warehouse_clock), never the wall clock: a replay of
    old data judges exactly as the live run did, and the intents of the last hours before the latest load
    are not called abandoned just because their orders have not arrived yet. Every choice of one row
    (the pair's latest device, the furthest checkout step, the latest e-mail) is a total order ending in
    the event_id, so ties on time cannot make two runs disagree.

    A table rebuilt every run: a later order, login or sign-up re-judges old pairs, and in-video intents
    are a small fraction of events. -#}

with video_events as (

    select * from {{ ref('int_video_events') }}
    where is_in_video_intent

),

orders as (

    select * from {{ ref('int_orders') }}

),

people as (

    select * from {{ ref('int_people') }}

),

checkout_events as (

    select * from {{ ref('stg_events') }}
    where event_name in ('begin_checkout', 'checkout_step') and not is_bot

),

sign_ups as (

    select * from {{ ref('stg_events') }}
    where event_name = 'sign_up' and email_sha256 is not null and not is_bot

),

warehouse_clock as (

    select * from {{ ref('int_warehouse_clock') }}

),

valued_intents as (

    select
        video_events.*,
        video_events.intent_value * {{ fx_rate('rates', 'video_events.currency') }} as intent_value_reporting
    from video_events
    {{ join_fx_rate('rates', 'video_events.currency', 'video_events.event_date') }}

),

pairs as (

    select
        person_id,
        video_id,
        {#- person_id is the customer when there is one, so customer_id is the same on every row. -#}
        min(customer_id) as customer_id,
        min(occurred_at) as first_intent_at,
        max(occurred_at) as last_intent_at,
        count(*) as intents,
        {{ sorted_distinct_list('product_id') }} as products,
        {#- An intent with no FX rate on or before its day cannot be valued: the pair stays unvalued rather
            than silently summing the intents that could be. -#}
        case
            when bool_and(intent_value_reporting is not null) then sum(intent_value_reporting)
        end as intent_value
    from valued_intents
    group by person_id, video_id

),

latest_intents as (

    select
        person_id,
        video_id,
        anonymous_id,
        row_number() over (
            partition by person_id, video_id order by occurred_at desc, event_id desc
        ) as recency_rank
    from video_events

),

windows as (

    select
        pairs.*,
        latest_intents.anonymous_id,
        {{ dbt.dateadd('hour', var('abandonment_window_hours'), 'pairs.last_intent_at') }} as window_closes_at
    from pairs
    inner join latest_intents
        on
            pairs.person_id = latest_intents.person_id
            and pairs.video_id = latest_intents.video_id
            and latest_intents.recency_rank = 1

),

orders_in_window as (

    select
        windows.person_id,
        windows.video_id,
        min(orders.ordered_at) as converted_at
    from windows
    inner join orders
        on
            windows.person_id = orders.person_id
            and windows.last_intent_at < orders.ordered_at
            and windows.window_closes_at >= orders.ordered_at
    group by windows.person_id, windows.video_id

),

checkout_events_by_person as (

    select
        {{ person_id('checkout_events.anonymous_id') }} as person_id,
        checkout_events.event_id,
        checkout_events.event_name,
        checkout_events.occurred_at,
        checkout_events.checkout_step,
        checkout_events.checkout_step_name
    from checkout_events
    left join people
        on checkout_events.anonymous_id = people.anonymous_id

),

checkouts_in_window as (

    select
        windows.person_id,
        windows.video_id,
        checkout_events_by_person.event_name,
        checkout_events_by_person.checkout_step,
        checkout_events_by_person.checkout_step_name,
        row_number() over (
            partition by windows.person_id, windows.video_id
            order by
                checkout_events_by_person.checkout_step desc nulls last,
                checkout_events_by_person.occurred_at desc,
                checkout_events_by_person.event_id desc
        ) as furthest_rank
    from windows
    inner join checkout_events_by_person
        on
            windows.person_id = checkout_events_by_person.person_id
            and windows.last_intent_at < checkout_events_by_person.occurred_at
            and windows.window_closes_at >= checkout_events_by_person.occurred_at

),

checkout_after_intent as (

    select
        person_id,
        video_id,
        bool_or(event_name = 'begin_checkout') as began_checkout,
        max(checkout_step) as furthest_checkout_step,
        max(case when furthest_rank = 1 then checkout_step_name end) as furthest_checkout_step_name
    from checkouts_in_window
    group by person_id, video_id

),

sign_ups_by_person as (

    {#- The e-mail belongs to the person of the device it was given on (the one person rule); the latest
        sign-up wins. -#}
    select
        {{ person_id('sign_ups.anonymous_id') }} as person_id,
        sign_ups.email_sha256,
        row_number() over (
            partition by {{ person_id('sign_ups.anonymous_id') }}
            order by sign_ups.occurred_at desc, sign_ups.event_id desc
        ) as recency_rank
    from sign_ups
    left join people
        on sign_ups.anonymous_id = people.anonymous_id

),

emails as (

    select
        person_id,
        email_sha256
    from sign_ups_by_person
    where recency_rank = 1

),

final as (

    select
        windows.person_id,
        windows.customer_id,
        windows.anonymous_id,
        windows.video_id,
        windows.first_intent_at,
        windows.last_intent_at,
        {{ reporting_date('windows.last_intent_at') }} as last_intent_date,
        windows.window_closes_at,
        warehouse_clock.clock_at as warehouse_clock_at,
        windows.intents,
        windows.products,
        cast(windows.intent_value as decimal(18, 4)) as intent_value,
        '{{ var("reporting_currency") }}' as currency,
        case
            when orders_in_window.converted_at is not null then 'converted'
            when windows.window_closes_at <= warehouse_clock.clock_at then 'abandoned'
            else 'pending'
        end as status,
        orders_in_window.converted_at,
        coalesce(checkout_after_intent.began_checkout, false) as began_checkout_after_intent,
        checkout_after_intent.furthest_checkout_step,
        checkout_after_intent.furthest_checkout_step_name,
        case
            when checkout_after_intent.furthest_checkout_step is not null
                then 'checkout_step_' || checkout_after_intent.furthest_checkout_step
            when checkout_after_intent.began_checkout then 'began_checkout'
            else 'none'
        end as furthest_checkout_step_after_intent,
        emails.email_sha256,
        windows.customer_id is not null or emails.email_sha256 is not null as is_contactable
    from windows
    cross join warehouse_clock
    left join orders_in_window
        on windows.person_id = orders_in_window.person_id and windows.video_id = orders_in_window.video_id
    left join checkout_after_intent
        on windows.person_id = checkout_after_intent.person_id and windows.video_id = checkout_after_intent.video_id
    left join emails
        on windows.person_id = emails.person_id

)

select * from final
