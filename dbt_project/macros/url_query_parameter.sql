{#- The decoded value of one query-string parameter of a URL, null when absent or empty. -#}
{% macro url_query_parameter(url, parameter) -%}
    {{ return(adapter.dispatch('url_query_parameter')(url, parameter)) }}
{%- endmacro %}

{% macro default__url_query_parameter(url, parameter) -%}
    nullif(url_decode(regexp_extract({{ url }}, '[?&]{{ parameter }}=([^&#]*)', 1)), '')
{%- endmacro %}
