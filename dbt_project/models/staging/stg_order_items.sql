{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
{#- Same reasoning as stg_events: each purchase's items depend on that event alone. -#}

with purchases as (

    select
        event_id,
        order_id,
        occurred_at,
        currency,
        items,
        load_id
    from {{ ref('stg_events') }}
    where
        event_name = 'purchase'
        {% if is_incremental() %}
        and load_id > (select coalesce(max(existing.load_id), 0) from {{ this }} as existing)
        {% endif %}

),

items as (

    select
        purchases.event_id,
        purchases.order_id,
        purchases.occurred_at,
        purchases.currency,
        purchases.load_id,
        unnest(json_extract(purchases.items, '$[*]')) as item
    from purchases

),

numbered as (

    select
        *,
        row_number() over (partition by event_id) as item_index
    from items

),

final as (

    select
        event_id,
        order_id,
        item_index,
        occurred_at,
        item ->> '$.product_id' as product_id,
        (item ->> '$.price')::decimal(18, 4) as price,
        (item ->> '$.quantity')::integer as quantity,
        (item ->> '$.price')::decimal(18, 4) * (item ->> '$.quantity')::integer as line_revenue,
        currency,
        load_id
    from numbered

)

select * from final
