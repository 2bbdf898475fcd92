{#- One row per video: what it cost, what it was watched and clicked, and the revenue it earned under the
    video model in var video_attribution_model (fct_video_attribution; by default last_in_video: each
    order whole to the video of its person's latest hotspot click or in-video cart within
    attribution_lookback_days before it). Production cost is converted to the reporting currency at the
    rate of the video's publication day. -#}

with videos as (

    select * from {{ ref('stg_videos') }}

),

views as (

    select * from {{ ref('int_video_views') }}

),

video_attribution as (

    select * from {{ ref('fct_video_attribution') }}

),

attributed as (

    select
        video_id,
        sum(credit) as attributed_orders,
        sum(attributed_revenue) as attributed_revenue
    from video_attribution
    where model = '{{ var("video_attribution_model") }}'
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
        cast(coalesce(attributed.attributed_orders, 0) as double) as attributed_orders,
        cast(coalesce(attributed.attributed_revenue, 0) as decimal(18, 4)) as attributed_revenue,
        {{ revenue_per_view('attributed.attributed_revenue', 'engagement.video_starts') }} as attributed_revenue_per_view,  -- noqa: LT05
        cast(coalesce(attributed.attributed_revenue, 0) - costed.production_cost_reporting as double)
        / nullif(costed.production_cost_reporting, 0) as roi
    from costed
    left join engagement
        on costed.video_id = engagement.video_id
    left join attributed
        on costed.video_id = attributed.video_id

)

select * from final
