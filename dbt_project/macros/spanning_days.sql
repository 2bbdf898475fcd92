{#- A relation joined to every day from first_day to last_day (both dates, inclusive) of each of its rows:
    `from {{ spanning_days('sessions', 'sessions.first_day', 'sessions.last_day', 'spanned') }}` gives
    `spanned.day` beside the relation's columns. -#}
{% macro spanning_days(relation, first_day, last_day, alias) -%}
    {{ return(adapter.dispatch('spanning_days')(relation, first_day, last_day, alias)) }}
{%- endmacro %}

{% macro default__spanning_days(relation, first_day, last_day, alias) -%}
    {{ relation }}
    lateral view explode(sequence(cast({{ first_day }} as date), cast({{ last_day }} as date), interval 1 day)) {{ alias }}
        as day
{%- endmacro %}

{% macro duckdb__spanning_days(relation, first_day, last_day, alias) -%}
    {{ relation }},
    unnest(generate_series(cast({{ first_day }} as date), cast({{ last_day }} as date), interval 1 day)) as {{ alias }} (day)
{%- endmacro %}
