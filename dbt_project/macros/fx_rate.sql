{#- Converting money to the reporting currency (var reporting_currency) with stg_fx_rates: the rate of the
    given date, or the latest earlier one when the feed skipped that day (weekends, holidays). An amount
    with no rate on or before its date stays null, and the not_null tests on the converted columns fail.
    `join_fx_rate` renders the join (an as-of join: the newest rate_date not after the date);
    `fx_rate` the rate it found, 1 for the reporting currency itself. -#}
{% macro join_fx_rate(alias, currency, on_date) -%}
    asof left join {{ ref('stg_fx_rates') }} as {{ alias }}
        on {{ currency }} = {{ alias }}.currency and {{ on_date }} >= {{ alias }}.rate_date
{%- endmacro %}

{% macro fx_rate(alias, currency) -%}
    case when {{ currency }} = '{{ var("reporting_currency") }}' then 1 else {{ alias }}.rate_to_reporting end
{%- endmacro %}
