{#- Types whose names differ by engine. -#}

{#- An instant (a UTC timestamp): DuckDB's timestamp with time zone, Spark's timestamp. -#}
{% macro instant_type() -%}
    {{ return(adapter.dispatch('instant_type')()) }}
{%- endmacro %}

{% macro default__instant_type() -%}
    timestamp
{%- endmacro %}

{% macro duckdb__instant_type() -%}
    timestamp with time zone
{%- endmacro %}

{#- JSON text: DuckDB's JSON type; text elsewhere. -#}
{% macro json_type() -%}
    {{ return(adapter.dispatch('json_type')()) }}
{%- endmacro %}

{% macro default__json_type() -%}
    {{ dbt.type_string() }}
{%- endmacro %}

{% macro duckdb__json_type() -%}
    json
{%- endmacro %}

{#- The last non-null value of a window, as `{{ last_non_null('x') }} over (...)`. -#}
{% macro last_non_null(expression) -%}
    {{ return(adapter.dispatch('last_non_null')(expression)) }}
{%- endmacro %}

{% macro default__last_non_null(expression) -%}
    last_value({{ expression }}, true)
{%- endmacro %}

{% macro duckdb__last_non_null(expression) -%}
    last_value({{ expression }} ignore nulls)
{%- endmacro %}

{#- An instant as text, the same on every engine: DuckDB's own text of a timestamp with time zone in UTC
    ('2026-09-01 10:44:46.352+00', trailing zeros of the fraction dropped), which the ids hashed from
    instants (session_id) have always used. Spark's sessions run in UTC (profiles.yml). -#}
{% macro instant_text(instant) -%}
    {{ return(adapter.dispatch('instant_text')(instant)) }}
{%- endmacro %}

{% macro default__instant_text(instant) -%}
    concat(cast({{ instant }} as {{ dbt.type_string() }}), '+00')
{%- endmacro %}

{% macro duckdb__instant_text(instant) -%}
    cast({{ instant }} as varchar)
{%- endmacro %}
