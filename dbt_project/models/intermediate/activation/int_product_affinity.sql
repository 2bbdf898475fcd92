{#- Products bought together, from order baskets (one basket per order: its distinct products, first
    delivery of the order). For a pair (product, related product):
    support = baskets with both / all baskets, confidence = P(related | product) = baskets with both /
    baskets with the product, lift = confidence / P(related) (above 1: bought together more than chance).
    A pair needs at least 3 baskets with both: a pair seen once or twice is one or two people's taste, and
    its lift is huge exactly because it is rare. The constant is not a var because it is a property of the
    statistics, not of a shop's policy. Per product the related products are ranked by lift, then baskets
    with both, then related_product_id (a total order). -#}

with orders as (

    select * from {{ ref('int_orders') }}

),

order_items as (

    select * from {{ ref('stg_order_items') }}

),

baskets as (

    select distinct
        orders.order_id,
        order_items.product_id
    from orders
    inner join order_items
        on orders.event_id = order_items.event_id

),

all_baskets as (

    select count(distinct order_id) as baskets
    from baskets

),

product_baskets as (

    select
        product_id,
        count(*) as baskets_with_product
    from baskets
    group by product_id

),

pairs as (

    select
        basket.product_id,
        related.product_id as related_product_id,
        count(*) as baskets_with_both
    from baskets as basket
    inner join baskets as related
        on basket.order_id = related.order_id and basket.product_id != related.product_id
    group by basket.product_id, related.product_id
    having count(*) >= 3

),

measured as (

    select
        pairs.product_id,
        pairs.related_product_id,
        pairs.baskets_with_both,
        cast(pairs.baskets_with_both as double) / all_baskets.baskets as support,
        cast(pairs.baskets_with_both as double) / product.baskets_with_product as confidence,
        (cast(pairs.baskets_with_both as double) / product.baskets_with_product)
        / (cast(related.baskets_with_product as double) / all_baskets.baskets) as lift
    from pairs
    cross join all_baskets
    inner join product_baskets as product
        on pairs.product_id = product.product_id
    inner join product_baskets as related
        on pairs.related_product_id = related.product_id

),

final as (

    select
        *,
        row_number() over (
            partition by product_id order by lift desc, baskets_with_both desc, related_product_id asc
        ) as affinity_rank
    from measured

)

select * from final
