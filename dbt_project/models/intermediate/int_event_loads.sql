{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
{#- One row per event file loaded (a load), in load order, with how late its events arrived. Lateness is
    measured against the data already processed (CONTRACT section 7), never the wall clock: an event is
    late when files loaded before its own already held a newer event, by how much older it is than the
    newest of them. A first load of a year of history, in time order, has nothing late in it. A load's
    row depends only on it and the loads before it, so new loads are appended. -#}

with events as (

    select * from {{ ref('stg_events') }}
    {% if is_incremental() %}
    where load_id > (select coalesce(max(existing.load_id), 0) from {{ this }} as existing)
    {% endif %}

),

processed_before as (

    {% if is_incremental() %}
    select max(existing.newest_occurred_at) as newest_occurred_at from {{ this }} as existing
    {% else %}
    select max(events.occurred_at) as newest_occurred_at from events where false
    {% endif %}

),

loads as (

    select
        load_id,
        min(source_file) as source_file,
        count(*) as events,
        min(occurred_at) as oldest_occurred_at,
        max(occurred_at) as newest_occurred_at
    from events
    group by load_id

),

watermarks as (

    select
        loads.*,
        {#- The newest event of the loads already in this table and of the earlier loads of this batch
            (greatest skips nulls: the first load of all has none). -#}
        greatest(
            processed_before.newest_occurred_at,
            max(loads.newest_occurred_at) over (order by loads.load_id rows between unbounded preceding and 1 preceding)
        ) as processed_until
    from loads
    cross join processed_before

),

lateness as (

    select
        events.load_id,
        count(*) filter (where events.occurred_at < watermarks.processed_until) as late_events,
        count(*) filter (
            where events.occurred_at < {{ dbt.dateadd('day', -var('late_arrival_days'), 'watermarks.processed_until') }}
        ) as late_events_beyond_threshold
    from events
    inner join watermarks
        on events.load_id = watermarks.load_id
    where events.occurred_at < watermarks.processed_until
    group by events.load_id

),

final as (

    select
        watermarks.load_id,
        watermarks.source_file,
        watermarks.events,
        watermarks.oldest_occurred_at,
        watermarks.newest_occurred_at,
        watermarks.processed_until,
        coalesce(lateness.late_events, 0) as late_events,
        coalesce(lateness.late_events_beyond_threshold, 0) as late_events_beyond_threshold
    from watermarks
    left join lateness
        on watermarks.load_id = lateness.load_id

)

select * from final
