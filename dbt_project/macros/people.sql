{#- The one person rule (CONTRACT section 7), written once: a device's person is the customer int_people
    stitched it to, else the device itself. Every model that names a person left-joins int_people on the
    device (as `people`) and reads the person here; none derives a person from an event's own user_id. -#}
{% macro person_id(anonymous_id, people='people') -%}
    coalesce({{ people }}.customer_id, {{ anonymous_id }})
{%- endmacro %}
