{#- The video KPIs of CONTRACT section 9, defined once for every mart that reports them. A rate over
    nothing is null: a hotspot nobody saw has no click-through rate, not a zero one. -#}
{% macro hctr(clicks, impressions) -%}
    cast({{ clicks }} as double) / nullif({{ impressions }}, 0)
{%- endmacro %}

{% macro completion_rate(completions, starts) -%}
    cast({{ completions }} as double) / nullif({{ starts }}, 0)
{%- endmacro %}

{#- Per video START, as the contract defines it: a view (a session's play of a video) started three times
    offered the viewer three chances to buy. -#}
{% macro revenue_per_view(revenue, video_starts) -%}
    cast({{ revenue }} as double) / nullif({{ video_starts }}, 0)
{%- endmacro %}
