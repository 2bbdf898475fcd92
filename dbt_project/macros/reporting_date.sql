{#- The calendar date of a UTC timestamp in the reporting time zone (var reporting_timezone): daily grains
    cut days where the shop's managers live, so a Rome evening order is not booked on the next day. -#}
{% macro reporting_date(timestamp) -%}
    {{ return(adapter.dispatch('reporting_date')(timestamp)) }}
{%- endmacro %}

{% macro default__reporting_date(timestamp) -%}
    cast(convert_timezone('UTC', '{{ var("reporting_timezone") }}', {{ timestamp }}) as date)
{%- endmacro %}

{% macro duckdb__reporting_date(timestamp) -%}
    cast(timezone('{{ var("reporting_timezone") }}', {{ timestamp }}) as date)
{%- endmacro %}
