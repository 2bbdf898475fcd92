{#- One row per video: what it cost, what it was watched and clicked, and the revenue it earned - each
    order credited whole to the video of its person's last hotspot click within attribution_lookback_days
    before it (last in-video click; the attribution marts will offer the other models). Production cost
    is converted to the reporting currency at the rate of the video's publication day. -#}

with videos as (

    select * from {{ ref('stg_videos') }}

),

views as (

    select * from {{ ref('int_video_views') }}

),

video_events as (

    select * from {{ ref('int_video_events') }}

),

orders as (

    select * from {{ ref('int_orders') }}

),

clicks as (

    select
        event_id as click_event_id,
        person_id,
        video_id,
        occurred_at as clicked_at
    from video_events
    where event_name = 'hotspot_click'

),

clicks_before_orders as (

    select
        orders.order_id,
        orders.revenue_reporting,
        clicks.video_id,
        row_number() over (
            partition by orders.order_id order by clicks.clicked_at desc, clicks.click_event_id desc
        ) as recency_rank
    from orders
    inner join clicks
        on
            orders.person_id = clicks.person_id
            and orders.ordered_at > clicks.clicked_at
            and orders.ordered_at <= {{ dbt.dateadd('day', var('attribution_lookback_days'), 'clicks.clicked_at') }}

),

credited_orders as (

    {#- The latest click before the order, ties broken by event_id: one video per order, build after build. -#}
    select * from clicks_before_orders
    where recency_rank = 1

),

attributed as (

    select
        video_id,
        count(*) as attributed_orders,
        sum(revenue_reporting) as attributed_revenue
    from credited_orders
    group by video_id

),

engagement as (

    select
        video_id,
        count(*) as views,
        sum(video_starts) as video_starts,
        count(distinct person_id) as unique_viewers,
        sum(hotspot_impressions) as hotspot_impressions,
        sum(hotspot_clicks) as hotspot_clicks
    from views
    group by video_id

),

costed as (

    select
        videos.video_id,
        videos.video_title,
        videos.host,
        videos.format,
        videos.length_s,
        videos.published_at,
        videos.currency as production_currency,
        videos.production_cost,
        cast(videos.production_cost * {{ fx_rate('rates', 'videos.currency') }} as decimal(18, 4))
            as production_cost_reporting
    from videos
    {{ join_fx_rate('rates', 'videos.currency', reporting_date('videos.published_at')) }}

),

final as (

    select
        costed.*,
        coalesce(engagement.views, 0) as views,
        coalesce(engagement.unique_viewers, 0) as unique_viewers,
        cast(coalesce(engagement.hotspot_impressions, 0) as bigint) as hotspot_impressions,
        cast(coalesce(engagement.hotspot_clicks, 0) as bigint) as hotspot_clicks,
        {{ hctr('engagement.hotspot_clicks', 'engagement.hotspot_impressions') }} as hctr,
        coalesce(attributed.attributed_orders, 0) as attributed_orders,
        cast(coalesce(attributed.attributed_revenue, 0) as decimal(18, 4)) as attributed_revenue,
        {{ revenue_per_view('attributed.attributed_revenue', 'engagement.video_starts') }} as attributed_revenue_per_view,
        cast(coalesce(attributed.attributed_revenue, 0) - costed.production_cost_reporting as double)
        / nullif(costed.production_cost_reporting, 0) as roi
    from costed
    left join engagement
        on costed.video_id = engagement.video_id
    left join attributed
        on costed.video_id = attributed.video_id

)

select * from final
