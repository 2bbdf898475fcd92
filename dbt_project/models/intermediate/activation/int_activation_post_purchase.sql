{#- Post-purchase's trigger: a person who ordered in the last post_purchase_window_days before the
    warehouse's clock; the trigger is their latest order, and the message may go at once. The items are the
    lines of their orders in the window; the cross-sell is the products most often bought with them
    (int_product_affinity, highest lift first, each related product once with its best pair): only pairs
    with a lift above 1, bought together more often than chance, and nothing the person ever bought. Up
    to 5. A return visit does not stop the flow (the buyer coming
    back is what cross-sell wants); a later order moves the trigger to it. -#}

with orders as (

    select * from {{ ref('int_orders') }}

),

order_items as (

    select * from {{ ref('stg_order_items') }}

),

affinity as (

    select * from {{ ref('int_product_affinity') }}

),

products as (

    select * from {{ ref('dim_products') }}

),

warehouse_clock as (

    select * from {{ ref('int_warehouse_clock') }}

),

lines as (

    select
        orders.person_id,
        orders.order_id,
        orders.ordered_at,
        order_items.item_index,
        order_items.product_id,
        order_items.price,
        order_items.currency,
        order_items.quantity,
        orders.ordered_at > {{ dbt.dateadd('day', -var('post_purchase_window_days'), 'warehouse_clock.clock_at') }}
        and orders.ordered_at <= warehouse_clock.clock_at as is_in_window
    from orders
    inner join order_items
        on orders.event_id = order_items.event_id
    cross join warehouse_clock

),

recent_orders as (

    select
        person_id,
        max(ordered_at) as last_ordered_at,
        count(distinct order_id) as orders_in_window,
        sum(quantity) as units
    from lines
    where is_in_window
    group by person_id

),

recent_items as (

    select
        lines.person_id,
        {{ json_object_list(
            {
                'product_id': 'lines.product_id',
                'product_name': 'products.product_name',
                'price': 'cast(lines.price as double)',
                'currency': 'lines.currency',
                'quantity': 'lines.quantity'
            },
            order_by=['lines.ordered_at', 'lines.order_id', 'lines.item_index']
        ) }} as items
    from lines
    left join products
        on lines.product_id = products.product_id
    where lines.is_in_window
    group by lines.person_id

),

ever_bought as (

    select distinct
        person_id,
        product_id
    from lines

),

recent_products as (

    select distinct
        person_id,
        product_id
    from lines
    where is_in_window

),

cross_sell_pairs as (

    select
        recent.person_id,
        affinity.related_product_id,
        affinity.support,
        affinity.confidence,
        affinity.lift,
        row_number() over (
            partition by recent.person_id, affinity.related_product_id
            order by affinity.lift desc, affinity.baskets_with_both desc, affinity.product_id asc
        ) as pair_rank
    from recent_products as recent
    inner join affinity
        on recent.product_id = affinity.product_id
    left join ever_bought
        on recent.person_id = ever_bought.person_id and affinity.related_product_id = ever_bought.product_id
    where ever_bought.product_id is null and affinity.lift > 1

),

ranked_cross_sell as (

    select
        *,
        row_number() over (partition by person_id order by lift desc, related_product_id asc) as cross_sell_rank
    from cross_sell_pairs
    where pair_rank = 1

),

cross_sell as (

    select
        ranked_cross_sell.person_id,
        count(*) as products,
        {{ json_object_list(
            {
                'product_id': 'ranked_cross_sell.related_product_id',
                'product_name': 'products.product_name',
                'support': 'ranked_cross_sell.support',
                'confidence': 'ranked_cross_sell.confidence',
                'lift': 'ranked_cross_sell.lift'
            },
            order_by=['ranked_cross_sell.cross_sell_rank']
        ) }} as recommended_products
    from ranked_cross_sell
    left join products
        on ranked_cross_sell.related_product_id = products.product_id
    where ranked_cross_sell.cross_sell_rank <= 5
    group by ranked_cross_sell.person_id

),

final as (

    select
        recent_orders.person_id,
        recent_orders.last_ordered_at as triggered_at,
        recent_orders.last_ordered_at as send_after,
        'ordered ' || recent_orders.units || case when recent_orders.units = 1 then ' item' else ' items' end
        || ' in ' || recent_orders.orders_in_window
        || case when recent_orders.orders_in_window = 1 then ' order' else ' orders' end
        || ' of the last {{ var("post_purchase_window_days") }} days, the latest at '
        || {{ reporting_time_text('recent_orders.last_ordered_at') }} || '; '
        || coalesce(
            cross_sell.products || case when cross_sell.products = 1 then ' product' else ' products' end
            || ' often bought with them to suggest',
            'no product is often enough bought with them to suggest'
        ) as reason,
        recent_items.items,
        cast(null as {{ dbt.type_string() }}) as video_id,
        cast(null as {{ dbt.type_string() }}) as search_query,
        cross_sell.recommended_products,
        cast(null as integer) as stage
    from recent_orders
    inner join recent_items
        on recent_orders.person_id = recent_items.person_id
    left join cross_sell
        on recent_orders.person_id = cross_sell.person_id

)

select * from final
