{#- Converting money to the reporting currency (var reporting_currency) with stg_fx_rates: the rate of the
    given date, or the latest earlier one when the feed skipped that day (weekends, holidays). An amount
    with no rate on or before its date stays null, and the not_null tests on the converted columns fail.
    `join_fx_rate` renders the join (the newest rate_date not after the date);
    `fx_rate` the rate it found, 1 for the reporting currency itself. -#}
{% macro join_fx_rate(alias, currency, on_date) -%}
    {{ return(adapter.dispatch('join_fx_rate')(alias, currency, on_date)) }}
{%- endmacro %}

{#- Each rate holds until the next one: a range join, on engines without as-of joins. -#}
{% macro default__join_fx_rate(alias, currency, on_date) -%}
    left join (
        select
            currency,
            rate_date,
            rate_to_reporting,
            load_id,
            lead(rate_date) over (partition by currency order by rate_date) as next_rate_date
        from {{ ref('stg_fx_rates') }}
    ) as {{ alias }}
        on
            {{ currency }} = {{ alias }}.currency
            and {{ on_date }} >= {{ alias }}.rate_date
            and ({{ on_date }} < {{ alias }}.next_rate_date or {{ alias }}.next_rate_date is null)
{%- endmacro %}

{% macro duckdb__join_fx_rate(alias, currency, on_date) -%}
    asof left join {{ ref('stg_fx_rates') }} as {{ alias }}
        on {{ currency }} = {{ alias }}.currency and {{ on_date }} >= {{ alias }}.rate_date
{%- endmacro %}

{% macro fx_rate(alias, currency) -%}
    case when {{ currency }} = '{{ var("reporting_currency") }}' then 1 else {{ alias }}.rate_to_reporting end
{%- endmacro %}
