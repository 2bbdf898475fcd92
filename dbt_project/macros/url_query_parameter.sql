{#- The decoded value of one query-string parameter of a URL, null when absent or empty. -#}
{% macro url_query_parameter(url, parameter) -%}
    {{ return(adapter.dispatch('url_query_parameter')(url, parameter)) }}
{%- endmacro %}

{#- A '+' in a query string is a space (HTML form encoding, as trackers and browsers write campaign tags);
    an encoded plus (%2B) stays a plus, since it is decoded after. -#}
{% macro default__url_query_parameter(url, parameter) -%}
    nullif(url_decode(replace(regexp_extract({{ url }}, '[?&]{{ parameter }}=([^&#]*)', 1), '+', ' ')), '')
{%- endmacro %}
