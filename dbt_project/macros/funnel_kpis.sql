{#- The funnel KPIs of CONTRACT section 9, defined once and used by every mart that reports them. A rate
    over nothing is null, not zero: "no sessions" is not "no conversions". -#}
{% macro conversion_rate(purchase_sessions, sessions) -%}
    cast({{ purchase_sessions }} as double) / nullif({{ sessions }}, 0)
{%- endmacro %}

{% macro cart_abandonment_rate(cart_purchase_sessions, cart_sessions) -%}
    1 - cast({{ cart_purchase_sessions }} as double) / nullif({{ cart_sessions }}, 0)
{%- endmacro %}

{% macro average_order_value(revenue, orders) -%}
    cast({{ revenue }} as double) / nullif({{ orders }}, 0)
{%- endmacro %}
