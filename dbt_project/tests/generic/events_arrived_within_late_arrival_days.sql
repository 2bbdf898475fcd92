{#- CONTRACT section 7: events more than late_arrival_days older than the data already processed when they
    arrived are folded in, but they point at a tracker or delivery problem. Applied to int_event_loads
    with severity warn: one failing row per such event, so the warning says how many. -#}
{% test events_arrived_within_late_arrival_days(model, events) %}

select
    events.event_id,
    events.source_file,
    events.occurred_at,
    loads.processed_until
from {{ events }} as events
inner join {{ model }} as loads
    on events.load_id = loads.load_id
where events.occurred_at < {{ dbt.dateadd('day', -var('late_arrival_days'), 'loads.processed_until') }}

{% endtest %}
