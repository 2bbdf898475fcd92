{#- Small expressions the activation audiences share: how a moment reads in a marketer's sentence, when a
    reporting day starts, and the one shape of the six audience marts. -#}

{#- A UTC timestamp as the shop's managers read it: 'YYYY-MM-DD HH:MM' in the reporting time zone. -#}
{% macro reporting_time_text(timestamp) -%}
    {{ return(adapter.dispatch('reporting_time_text')(timestamp)) }}
{%- endmacro %}

{% macro default__reporting_time_text(timestamp) -%}
    date_format(from_utc_timestamp({{ timestamp }}, '{{ var("reporting_timezone") }}'), 'yyyy-MM-dd HH:mm')
{%- endmacro %}

{% macro duckdb__reporting_time_text(timestamp) -%}
    strftime(timezone('{{ var("reporting_timezone") }}', {{ timestamp }}), '%Y-%m-%d %H:%M')
{%- endmacro %}

{#- The UTC instant a reporting day (a date in var reporting_timezone) begins. -#}
{% macro reporting_day_start(day) -%}
    {{ return(adapter.dispatch('reporting_day_start')(day)) }}
{%- endmacro %}

{% macro default__reporting_day_start(day) -%}
    to_utc_timestamp(cast({{ day }} as timestamp), '{{ var("reporting_timezone") }}')
{%- endmacro %}

{% macro duckdb__reporting_day_start(day) -%}
    timezone('{{ var("reporting_timezone") }}', cast({{ day }} as timestamp))
{%- endmacro %}

{#- An amount as a sentence shows it: two decimals. -#}
{% macro money_text(amount) -%}
    cast(cast(round({{ amount }}, 2) as decimal(18, 2)) as {{ dbt.type_string() }})
{%- endmacro %}

{#- One audience mart: the rows of int_activation_audiences that won the person for this flow, in the shape
    every audience shares (the export and the sending tools read all six the same way). -#}
{% macro audience_mart(flow) -%}
with audiences as (

    select * from {{ ref('int_activation_audiences') }}
    where flow = '{{ flow }}'

),

final as (

    select
        person_id,
        customer_id,
        anonymous_id,
        email_sha256,
        phone_sha256,
        channels,
        reason,
        triggered_at,
        send_after,
        items,
        video_id,
        host,
        search_query,
        recommended_products,
        stage,
        flow_priority
    from audiences

)

select * from final
{%- endmacro %}

{#- The shop's top best sellers (int_product_best_sellers) as one JSON array, one row: what the welcome and
    reactivation messages suggest to everyone. -#}
{% macro best_seller_suggestions(limit=5) -%}
    select
        {{ json_object_list(
            {
                'product_id': 'product_id',
                'product_name': 'product_name',
                'units_30d': 'units_30d'
            },
            order_by=['sales_rank']
        ) }} as recommended_products
    from {{ ref('int_product_best_sellers') }}
    where sales_rank <= {{ limit }}
{%- endmacro %}
