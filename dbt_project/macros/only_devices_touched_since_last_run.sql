{#- On an incremental run, a WHERE clause that keeps the devices with events from loads newer than any
    this model holds, and the devices an erasure changed (raw.pending_rebuilds): their history is rebuilt
    whole, every other device is left alone. Renders nothing on a full build. `events` is a relation with
    anonymous_id and load_id (stg_events), never a CTE of the model: DuckDB materialises a CTE read twice,
    millions of rows, before filtering any of them. `watermark` is this model's newest-load column. -#}
{% macro only_devices_touched_since_last_run(anonymous_id, events, watermark) -%}
    {%- if is_incremental() %}
        where {{ anonymous_id }} in (
            select new_events.anonymous_id
            from {{ events }} as new_events
            where new_events.load_id > (select coalesce(max(existing.{{ watermark }}), 0) from {{ this }} as existing)
            union
            {{ devices_pending_rebuild() }}
        )
    {%- endif %}
{%- endmacro %}


{#- The devices an erasure left with other people's events: to be rebuilt from what remains. -#}
{% macro devices_pending_rebuild() -%}
    select pending.anonymous_id from {{ source('raw', 'pending_rebuilds') }} as pending
    where pending.anonymous_id is not null
{%- endmacro %}
