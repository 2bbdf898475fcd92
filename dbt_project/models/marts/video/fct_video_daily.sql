{#- One row per day and video (CONTRACT section 8). View measures are booked on the view's start day: how
    its views went, what viewers clicked and carted inside it, and the orders its viewers placed within
    attribution_lookback_days after the view (the contract's revenue per view: every order after a view
    counts for that view, so one order can count for several). Credited measures are booked on the order
    day, like every order in every mart: the orders and revenue fct_video_attribution credits to the video
    under var video_attribution_model, which add up to each order once. Days are in the reporting time
    zone; rates come from macros/video_kpis.sql. -#}

with views as (

    select * from {{ ref('int_video_views') }}

),

video_attribution as (

    select * from {{ ref('fct_video_attribution') }}

),

viewed as (

    select
        view_date as date_day,
        video_id,
        count(*) as views,
        cast(sum(video_starts) as bigint) as video_starts,
        count(distinct person_id) as unique_viewers,
        count(*) filter (where completed) as completions,
        cast(sum(watch_time_s) as double) as watch_time_s,
        count(*) filter (where furthest_percent >= 25) as reached_25_percent,
        count(*) filter (where furthest_percent >= 50) as reached_50_percent,
        count(*) filter (where furthest_percent >= 75) as reached_75_percent,
        count(*) filter (where furthest_percent >= 100) as reached_100_percent,
        cast(sum(hotspot_impressions) as bigint) as hotspot_impressions,
        cast(sum(hotspot_clicks) as bigint) as hotspot_clicks,
        cast(sum(in_video_carts) as bigint) as in_video_carts,
        cast(sum(in_video_buy_nows) as bigint) as in_video_buy_nows,
        cast(sum(orders_after_view) as bigint) as orders_after_view,
        cast(sum(revenue_after_view) as decimal(18, 4)) as revenue_after_view
    from views
    group by view_date, video_id

),

credited as (

    select
        order_date as date_day,
        video_id,
        sum(credit) as attributed_orders,
        sum(attributed_revenue) as attributed_revenue
    from video_attribution
    where model = '{{ var("video_attribution_model") }}'
    group by order_date, video_id

),

final as (

    select
        coalesce(viewed.date_day, credited.date_day) as date_day,
        coalesce(viewed.video_id, credited.video_id) as video_id,
        coalesce(viewed.views, 0) as views,
        coalesce(viewed.video_starts, 0) as video_starts,
        coalesce(viewed.unique_viewers, 0) as unique_viewers,
        coalesce(viewed.completions, 0) as completions,
        {{ completion_rate('viewed.completions', 'viewed.views') }} as completion_rate,
        coalesce(viewed.watch_time_s, 0) as watch_time_s,
        coalesce(viewed.reached_25_percent, 0) as reached_25_percent,
        coalesce(viewed.reached_50_percent, 0) as reached_50_percent,
        coalesce(viewed.reached_75_percent, 0) as reached_75_percent,
        coalesce(viewed.reached_100_percent, 0) as reached_100_percent,
        coalesce(viewed.hotspot_impressions, 0) as hotspot_impressions,
        coalesce(viewed.hotspot_clicks, 0) as hotspot_clicks,
        {{ hctr('viewed.hotspot_clicks', 'viewed.hotspot_impressions') }} as hctr,
        coalesce(viewed.in_video_carts, 0) as in_video_carts,
        coalesce(viewed.in_video_buy_nows, 0) as in_video_buy_nows,
        coalesce(viewed.orders_after_view, 0) as orders_after_view,
        cast(coalesce(viewed.revenue_after_view, 0) as decimal(18, 4)) as revenue_after_view,
        {{ revenue_per_view('viewed.revenue_after_view', 'viewed.video_starts') }} as revenue_per_view,
        cast(coalesce(credited.attributed_orders, 0) as double) as attributed_orders,
        cast(coalesce(credited.attributed_revenue, 0) as decimal(18, 4)) as attributed_revenue
    from viewed
    full outer join credited
        on viewed.date_day = credited.date_day and viewed.video_id = credited.video_id

)

select * from final
