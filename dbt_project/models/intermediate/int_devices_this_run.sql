{#- The run manifest's devices: those with events in this run's loads (int_loads_this_run), whose whole
    history the models built by device redo, and those an erasure left with other people's events
    (raw.pending_rebuilds), to be rebuilt from what remains. -#}

with loads as (

    select * from {{ ref('int_loads_this_run') }}

),

events as (

    select * from {{ ref('stg_events') }}

),

pending_rebuilds as (

    select * from {{ source('raw', 'pending_rebuilds') }}

),

final as (

    select events.anonymous_id
    from events
    where events.load_id in (select loads.load_id from loads)
    union
    select pending_rebuilds.anonymous_id
    from pending_rebuilds
    where pending_rebuilds.anonymous_id is not null

)

select * from final
