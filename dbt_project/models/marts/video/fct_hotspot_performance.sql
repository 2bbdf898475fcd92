{#- One row per video, hotspot and product (CONTRACT section 8): impressions, clicks, click-through, the
    people who clicked, the in-video carts it led to, and the revenue fct_video_attribution credits to it
    under product_interaction: each order line to its person's latest interaction with that product within
    attribution_lookback_days before the order, so a line is never counted twice. Every catalogued
    hotspot has a row: one nobody saw has null HCTR, not zero. -#}

with hotspots as (

    select * from {{ ref('stg_hotspots') }}

),

video_events as (

    select * from {{ ref('int_video_events') }}

),

video_attribution as (

    select * from {{ ref('fct_video_attribution') }}

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

attributed as (

    {#- A hotspot earns the order lines of its own product (product_interaction): whole orders
        (last_in_video) would credit a hotspot with products it never showed. -#}
    select
        video_id,
        hotspot_id,
        product_id,
        count(distinct order_id) as attributed_orders,
        sum(attributed_revenue) as attributed_revenue
    from video_attribution
    where model = 'product_interaction' and hotspot_id is not null
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
        video_id,
        hotspot_id,
        product_id,
        segment,
        start_s,
        visible_s,
        impressions,
        clicks,
        hctr,
        unique_clickers,
        in_video_carts,
        in_video_buy_nows,
        attributed_orders,
        attributed_revenue,
        engagement_score,
        cast(rank() over (partition by video_id order by engagement_score desc) as bigint) as engagement_rank_in_video
    from ranked

)

select * from final
