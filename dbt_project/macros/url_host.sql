{#- The lower-cased host of a URL without a leading "www.", null when the URL has none. -#}
{% macro url_host(url) -%}
    {{ return(adapter.dispatch('url_host')(url)) }}
{%- endmacro %}

{% macro default__url_host(url) -%}
    nullif(regexp_replace(lower(regexp_extract({{ url }}, '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#:]+)', 1)), '^www\.', ''), '')
{%- endmacro %}
