{#- One row per video, hotspot and product (CONTRACT section 8): impressions, clicks, click-through, the
    people who clicked, the in-video carts it led to, and the revenue of that product ordered by a
    clicker within attribution_lookback_days after the click (each order line credited to the clicker's
    latest click on that product before it, so a line is never counted twice). Every catalogued hotspot
    has a row: one nobody saw has null HCTR, not zero. -#}

with hotspots as (

    select * from {{ ref('stg_hotspots') }}

),

video_events as (

    select * from {{ ref('int_video_events') }}

),

orders as (

    select * from {{ ref('int_orders') }}

),

order_items as (

    select * from {{ ref('stg_order_items') }}

),

interactions as (

    select
        video_id,
        hotspot_id,
        product_id,
        count(*) filter (where event_name = 'hotspot_impression') as impressions,
        count(*) filter (where event_name = 'hotspot_click') as clicks,
        count(distinct person_id) filter (where event_name = 'hotspot_click') as unique_clickers,
        count(*) filter (where event_name = 'add_to_cart' and is_in_video_intent) as in_video_carts,
        count(*) filter (where event_name = 'buy_now' and is_in_video_intent) as in_video_buy_nows
    from video_events
    where hotspot_id is not null
    group by video_id, hotspot_id, product_id

),

clicks as (

    select
        event_id as click_event_id,
        video_id,
        hotspot_id,
        product_id,
        person_id,
        occurred_at as clicked_at
    from video_events
    where event_name = 'hotspot_click'

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

clicks_before_lines as (

    {#- The credited click is one row, the latest before the order with the event_id breaking ties, so the
        video and hotspot credited always come from the same click. -#}
    select
        order_lines.order_id,
        order_lines.item_index,
        order_lines.line_revenue_reporting,
        order_lines.product_id,
        clicks.video_id,
        clicks.hotspot_id,
        row_number() over (
            partition by order_lines.order_id, order_lines.item_index
            order by clicks.clicked_at desc, clicks.click_event_id desc
        ) as recency_rank
    from order_lines
    inner join clicks
        on
            order_lines.person_id = clicks.person_id
            and order_lines.product_id = clicks.product_id
            and order_lines.ordered_at > clicks.clicked_at
            and order_lines.ordered_at
            <= {{ dbt.dateadd('day', var('attribution_lookback_days'), 'clicks.clicked_at') }}

),

credited_lines as (

    select * from clicks_before_lines
    where recency_rank = 1

),

attributed as (

    select
        video_id,
        hotspot_id,
        product_id,
        count(distinct order_id) as attributed_orders,
        sum(line_revenue_reporting) as attributed_revenue
    from credited_lines
    group by video_id, hotspot_id, product_id

),

scored as (

    select
        hotspots.video_id,
        hotspots.hotspot_id,
        hotspots.product_id,
        hotspots.segment,
        hotspots.start_s,
        hotspots.visible_s,
        coalesce(interactions.impressions, 0) as impressions,
        coalesce(interactions.clicks, 0) as clicks,
        {{ hctr('interactions.clicks', 'interactions.impressions') }} as hctr,
        coalesce(interactions.unique_clickers, 0) as unique_clickers,
        coalesce(interactions.in_video_carts, 0) as in_video_carts,
        coalesce(interactions.in_video_buy_nows, 0) as in_video_buy_nows,
        coalesce(attributed.attributed_orders, 0) as attributed_orders,
        cast(coalesce(attributed.attributed_revenue, 0) as decimal(18, 4)) as attributed_revenue,
        cast(coalesce(interactions.in_video_carts, 0) + coalesce(interactions.in_video_buy_nows, 0) as double)
        / nullif(interactions.impressions, 0) as intents_per_impression
    from hotspots
    left join interactions
        on
            hotspots.video_id = interactions.video_id
            and hotspots.hotspot_id = interactions.hotspot_id
            and hotspots.product_id = interactions.product_id
    left join attributed
        on
            hotspots.video_id = attributed.video_id
            and hotspots.hotspot_id = attributed.hotspot_id
            and hotspots.product_id = attributed.product_id

),

ranked as (

    select
        *,
        {#- Engagement score: the mean of three percentile ranks within the video - click-through, in-video
            carts per impression, attributed revenue - so a product must be clicked, carted and bought to
            rank first. A hotspot nobody saw ranks lowest on the first two. -#}
        (
            percent_rank() over (partition by video_id order by hctr asc nulls first)
            + percent_rank() over (partition by video_id order by intents_per_impression asc nulls first)
            + percent_rank() over (partition by video_id order by attributed_revenue)
        ) / 3 as engagement_score
    from scored

),

final as (

    select
        * exclude (intents_per_impression),
        rank() over (partition by video_id order by engagement_score desc) as engagement_rank_in_video
    from ranked

)

select * from final
