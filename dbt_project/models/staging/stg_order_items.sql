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

numbered as (

    {#- Items keep their position in the event's list: numbering them by anything else could give two
        builds two different item_index for the same line. -#}
    select
        purchases.event_id,
        purchases.order_id,
        purchases.occurred_at,
        purchases.currency,
        purchases.load_id,
        item_offsets.item_offset + 1 as item_index,
        {{ json_array_item('purchases.items') }} as item
    from {{ json_array_items('purchases', 'items') }}

),

final as (

    select
        event_id,
        order_id,
        item_index,
        occurred_at,
        {{ json_text('item', '$.product_id') }} as product_id,
        cast({{ json_text('item', '$.price') }} as decimal(18, 4)) as price,
        cast({{ json_text('item', '$.quantity') }} as integer) as quantity,
        cast({{ json_text('item', '$.price') }} as decimal(18, 4))
        * cast({{ json_text('item', '$.quantity') }} as integer) as line_revenue,
        currency,
        load_id
    from numbered

)

select * from final
