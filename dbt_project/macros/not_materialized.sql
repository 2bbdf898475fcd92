{#- A CTE read more than once is copied whole by DuckDB before its first reader starts unless told not to;
    other engines inline CTEs anyway and do not know the words. -#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}
