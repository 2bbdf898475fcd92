{#- The shop's best sellers of the last 30 days by units (the window a "best seller" means in a message:
    recent enough to be in stock and in fashion), overall and within the category. Ranks are total orders
    ending in product_id, so two runs never disagree on ties. -#}

with orders as (

    select * from {{ ref('int_orders') }}

),

order_items as (

    select * from {{ ref('stg_order_items') }}

),

products as (

    select * from {{ ref('dim_products') }}

),

warehouse_clock as (

    select * from {{ ref('int_warehouse_clock') }}

),

recent_units as (

    select
        order_items.product_id,
        sum(order_items.quantity) as units_30d
    from orders
    inner join order_items
        on orders.event_id = order_items.event_id
    cross join warehouse_clock
    where
        orders.ordered_at > {{ dbt.dateadd('day', -30, 'warehouse_clock.clock_at') }}
        and orders.ordered_at <= warehouse_clock.clock_at
    group by order_items.product_id

),

final as (

    select
        recent_units.product_id,
        products.product_name,
        products.category,
        cast(recent_units.units_30d as bigint) as units_30d,
        row_number() over (order by recent_units.units_30d desc, recent_units.product_id asc) as sales_rank,
        row_number() over (
            partition by products.category order by recent_units.units_30d desc, recent_units.product_id asc
        ) as category_rank
    from recent_units
    left join products
        on recent_units.product_id = products.product_id

)

select * from final
