{#- The warehouse's clock (CONTRACT section 7), the one "now" every window is judged by (abandonment,
    reactivation, pending): the newest occurred_at of a non-bot event, never later than the newest load.
    Not the wall clock, so a replay of old data judges exactly as the live run did; not bots, whose
    crawls say nothing about how far the shop's visitors have arrived; and capped at the load time, so a
    device whose clock runs ahead (the loader accepts events up to a day after their load) cannot close
    everybody's windows early. One row. -#}

with events as (

    select * from {{ ref('stg_events') }}

),

newest as (

    select
        max(occurred_at) filter (where not is_bot) as newest_event_at,
        max(loaded_at) as newest_load_at
    from events

),

final as (

    select
        newest_event_at,
        newest_load_at,
        least(newest_event_at, newest_load_at) as clock_at,
        {{ reporting_date('least(newest_event_at, newest_load_at)') }} as clock_date
    from newest

)

select * from final
