{#- The state a touch is in the Markov chain (var markov_state): its source / medium pair by default, as
    specific as the data allows; its channel for a coarser chain that needs fewer paths to be stable. -#}
{% macro markov_state(channel, source, medium) -%}
    {%- if var('markov_state') == 'channel' -%}
        {{ channel }}
    {%- elif var('markov_state') == 'source_medium' -%}
        {{ dbt.concat([source, "' / '", medium]) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("var markov_state must be source_medium or channel, not " ~ var('markov_state')) }}
    {%- endif -%}
{%- endmacro %}

{#- The channel attribution models (CONTRACT section 9), in the order marts list them. -#}
{% macro attribution_models() -%}
    {{ return(['first_touch', 'last_touch', 'last_non_direct', 'linear', 'position_based', 'time_decay', 'markov']) }}
{%- endmacro %}
