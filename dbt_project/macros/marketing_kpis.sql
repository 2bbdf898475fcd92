{#- The social and paid-media KPIs of CONTRACT section 9, defined once for every mart that reports them.
    A ratio over nothing is null, never an error or infinity: a day without spend has no ROAS, not an
    infinite one, and a campaign without conversions has no CPA. -#}
{% macro engagement_rate(engagements, followers) -%}
    cast({{ engagements }} as double) / nullif({{ followers }}, 0)
{%- endmacro %}

{% macro click_through_rate(clicks, impressions) -%}
    cast({{ clicks }} as double) / nullif({{ impressions }}, 0)
{%- endmacro %}

{% macro sign_up_rate(sign_up_sessions, sessions) -%}
    cast({{ sign_up_sessions }} as double) / nullif({{ sessions }}, 0)
{%- endmacro %}

{#- CPA (per attributed conversion) and CAC (per attributed new customer). -#}
{% macro cost_per(spend, conversions) -%}
    cast({{ spend }} as double) / nullif({{ conversions }}, 0)
{%- endmacro %}

{% macro roas(attributed_revenue, spend) -%}
    cast({{ attributed_revenue }} as double) / nullif({{ spend }}, 0)
{%- endmacro %}

{% macro roi(attributed_revenue, spend) -%}
    cast({{ attributed_revenue }} - {{ spend }} as double) / nullif({{ spend }}, 0)
{%- endmacro %}
