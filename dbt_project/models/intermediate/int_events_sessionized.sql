{{
    config(
        materialized=replaced_by_device(),
        incremental_strategy='delete+insert',
        unique_key='anonymous_id',
        on_schema_change='fail'
    )
}}
{#- Sessions depend on every event of a device, late ones included, so an incremental run re-sessionizes
    the whole history of each device that new loads touched (delete+insert by anonymous_id) and leaves
    every other device alone. That equals a full refresh on the same data, however late an event is. -#}

with events as (

    select
        event_id,
        anonymous_id,
        occurred_at,
        load_id
    from {{ ref('stg_events') }}
    where not is_bot

),

device_events as (

    select events.*
    from events
    {{ only_devices_of_this_run('events.anonymous_id') }}

),

with_previous as (

    select
        *,
        lag(occurred_at) over (partition by anonymous_id order by occurred_at, event_id) as previous_occurred_at
    from device_events

),

session_starts as (

    select
        *,
        coalesce(
            occurred_at > {{ dbt.dateadd('minute', var('session_timeout_minutes'), 'previous_occurred_at') }},
            true
        ) as is_session_start
    from with_previous

),

numbered as (

    select
        *,
        sum(case when is_session_start then 1 else 0 end) over (
            partition by anonymous_id order by occurred_at, event_id rows between unbounded preceding and current row
        ) as session_index
    from session_starts

),

final as (

    select
        event_id,
        anonymous_id,
        {{ dbt.hash(dbt.concat([
            'anonymous_id', "'|'",
            instant_text('min(occurred_at) over (partition by anonymous_id, session_index)')
        ])) }} as session_id,
        session_index,
        row_number() over (partition by anonymous_id, session_index order by occurred_at, event_id)
            as event_index_in_session,
        occurred_at,
        is_session_start,
        load_id
    from numbered

)

select * from final
