{#- One row per order, video, hotspot, product and model (CONTRACT section 8): the one rule set every video
    mart takes its revenue from. The interactions are the person's hotspot clicks and in-video carts
    (int_video_touches) in the attribution_lookback_days before the order, strictly before it; ties on
    time go to the larger event_id, so a build always credits the same interaction.

    - last_in_video: the whole order to the latest interaction.
    - linear_in_video: the order shared equally by the interactions.
    - product_interaction: each order line to the latest interaction with that line's product; lines
      nobody interacted with stay uncredited, so an order's credits sum to at most 1.
    credit is the share of the order's revenue; rows of one order and model that land on the same video,
    hotspot and product are added up. -#}

with orders as (

    select * from {{ ref('int_orders') }}

),

order_items as (

    select * from {{ ref('stg_order_items') }}

),

video_touches as (

    select * from {{ ref('int_video_touches') }}

),

interactions_before_orders as (

    select
        orders.order_id,
        orders.revenue_reporting,
        video_touches.event_id,
        video_touches.video_id,
        video_touches.hotspot_id,
        video_touches.product_id,
        row_number() over (
            partition by orders.order_id
            order by video_touches.occurred_at desc, video_touches.event_id desc
        ) as recency_rank,
        count(*) over (partition by orders.order_id) as interactions
    from orders
    inner join video_touches
        on
            orders.person_id = video_touches.person_id
            and orders.ordered_at > video_touches.occurred_at
            and orders.ordered_at
            <= {{ dbt.dateadd('day', var('attribution_lookback_days'), 'video_touches.occurred_at') }}

),

order_lines as (

    select
        orders.order_id,
        orders.person_id,
        orders.ordered_at,
        order_items.item_index,
        order_items.product_id,
        cast(order_items.line_revenue * orders.fx_rate as decimal(18, 4)) as line_revenue_reporting
    from orders
    inner join order_items
        on orders.event_id = order_items.event_id

),

product_interactions_before_lines as (

    select
        order_lines.order_id,
        order_lines.line_revenue_reporting,
        video_touches.video_id,
        video_touches.hotspot_id,
        video_touches.product_id,
        row_number() over (
            partition by order_lines.order_id, order_lines.item_index
            order by video_touches.occurred_at desc, video_touches.event_id desc
        ) as recency_rank
    from order_lines
    inner join video_touches
        on
            order_lines.person_id = video_touches.person_id
            and order_lines.product_id = video_touches.product_id
            and order_lines.ordered_at > video_touches.occurred_at
            and order_lines.ordered_at
            <= {{ dbt.dateadd('day', var('attribution_lookback_days'), 'video_touches.occurred_at') }}

),

credited as (

    select
        order_id,
        'last_in_video' as model,
        video_id,
        hotspot_id,
        product_id,
        cast(1 as double) as credit,
        revenue_reporting as attributed_revenue
    from interactions_before_orders
    where recency_rank = 1
    union all
    select
        order_id,
        'linear_in_video' as model,
        video_id,
        hotspot_id,
        product_id,
        cast(1 as double) / interactions as credit,
        revenue_reporting / interactions as attributed_revenue
    from interactions_before_orders
    union all
    select
        product_interactions_before_lines.order_id,
        'product_interaction' as model,
        product_interactions_before_lines.video_id,
        product_interactions_before_lines.hotspot_id,
        product_interactions_before_lines.product_id,
        cast(product_interactions_before_lines.line_revenue_reporting as double)
        / nullif(orders.revenue_reporting, 0) as credit,
        product_interactions_before_lines.line_revenue_reporting as attributed_revenue
    from product_interactions_before_lines
    inner join orders
        on product_interactions_before_lines.order_id = orders.order_id
    where product_interactions_before_lines.recency_rank = 1

),

final as (

    select
        credited.order_id,
        credited.model,
        credited.video_id,
        credited.hotspot_id,
        credited.product_id,
        sum(credited.credit) as credit,
        cast(sum(credited.attributed_revenue) as decimal(18, 4)) as attributed_revenue,
        orders.order_date,
        orders.ordered_at,
        orders.person_id
    from credited
    inner join orders
        on credited.order_id = orders.order_id
    group by
        credited.order_id,
        credited.model,
        credited.video_id,
        credited.hotspot_id,
        credited.product_id,
        orders.order_date,
        orders.ordered_at,
        orders.person_id

)

select * from final
