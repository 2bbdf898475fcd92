{#- The run manifest's loads: every load of raw.load_ledger (every source) newer than the watermark, the
    newest load every incremental model had folded in when this run started. int_devices_this_run derives
    the devices from them; every incremental model filters on the two, so cost grows with what landed,
    not with the history.

    Why this watermark. It is read from int_loads_built, which dbt builds only after every incremental model
    (and its tests) succeeded. A run that fails half-way leaves it where it was, so the next run offers the
    same loads again and every model that missed them catches up: models rebuilt by device or day redo the
    same devices (idempotent). Models appended by load (stg_events, stg_order_items, int_event_loads) keep
    taking the loads newer than their own newest: the manifest's, fewer after a failed run, and for
    int_event_loads more after an erasure, which removes its rows from the first load it changed. Their
    tests still check every row of the manifest's loads, so a run that failed on a test fails again on the
    next run rather than passing rows nobody checked. stg_events' own
    newest load would not do: a run whose stg_events succeeded and whose sessions failed would have moved
    it, and the next run would never rebuild the devices of the loads in between. A ref to int_loads_built
    would be a cycle (it is built after every reader of this model), so it is read by name, the previous
    run's table, as an incremental model reads {{ this }}. Until int_loads_built exists (a first build, or
    a warehouse built before it) the watermark is 0: every device is rebuilt once. -#}

with ledger as (

    select * from {{ source('raw', 'load_ledger') }}

),

final as (

    select
        load_id,
        source
    from ledger
    where load_id > {{ loads_built_through() }}

)

select * from final
