{#- The video KPIs of CONTRACT section 9, defined once for every mart that reports them. A rate over
    nothing is null: a hotspot nobody saw has no click-through rate, not a zero one. -#}
{% macro hctr(clicks, impressions) -%}
    cast({{ clicks }} as double) / nullif({{ impressions }}, 0)
{%- endmacro %}

{% macro completion_rate(completions, starts) -%}
    cast({{ completions }} as double) / nullif({{ starts }}, 0)
{%- endmacro %}

{% macro revenue_per_view(revenue, views) -%}
    cast({{ revenue }} as double) / nullif({{ views }}, 0)
{%- endmacro %}
