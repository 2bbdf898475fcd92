{#- One row per day and video (CONTRACT section 8): how its views went, what viewers clicked and carted
    inside it, and the orders its viewers placed within attribution_lookback_days after the view. Days
    are the view's start day in the reporting time zone, so every figure of a row belongs to the same
    views. Rates come from macros/video_kpis.sql. -#}

with views as (

    select * from {{ ref('int_video_views') }}

),

final as (

    select
        view_date,
        video_id,
        count(*) as views,
        cast(sum(video_starts) as bigint) as video_starts,
        count(distinct person_id) as unique_viewers,
        count(*) filter (where completed) as completions,
        {{ completion_rate('count(*) filter (where completed)', 'count(*)') }} as completion_rate,
        cast(sum(watch_time_s) as double) as watch_time_s,
        count(*) filter (where furthest_percent >= 25) as reached_25_percent,
        count(*) filter (where furthest_percent >= 50) as reached_50_percent,
        count(*) filter (where furthest_percent >= 75) as reached_75_percent,
        count(*) filter (where furthest_percent >= 100) as reached_100_percent,
        cast(sum(hotspot_impressions) as bigint) as hotspot_impressions,
        cast(sum(hotspot_clicks) as bigint) as hotspot_clicks,
        {{ hctr('sum(hotspot_clicks)', 'sum(hotspot_impressions)') }} as hctr,
        cast(sum(in_video_carts) as bigint) as in_video_carts,
        cast(sum(in_video_buy_nows) as bigint) as in_video_buy_nows,
        cast(sum(orders_after_view) as bigint) as orders_after_view,
        cast(sum(revenue_after_view) as decimal(18, 4)) as revenue_after_view,
        {{ revenue_per_view('sum(revenue_after_view)', 'sum(video_starts)') }} as revenue_per_view
    from views
    group by view_date, video_id

)

select * from final
