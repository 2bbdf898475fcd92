{#- How video length plays out, one row per length bucket (macros/video_length_bucket.sql): where HCTR
    peaks, how viewers convert, and whether one long video beats several short clips. The catalog gives
    the videos of each bucket, int_video_views their views; views of a video missing from the catalog (or
    without a length) fall in the '(not set)' bucket, as in fct_segment_performance. -#}

with videos as (

    select * from {{ ref('stg_videos') }}

),

video_views as (

    select * from {{ ref('int_video_views') }}

),

bucketed_videos as (

    select
        video_id,
        length_s,
        coalesce({{ video_length_bucket('length_s') }}, '(not set)') as length_bucket
    from videos

),

catalog_buckets as (

    select
        length_bucket,
        count(*) as videos,
        min(length_s) as shortest_video_s,
        max(length_s) as longest_video_s
    from bucketed_videos
    group by length_bucket

),

viewed_buckets as (

    select
        coalesce(bucketed_videos.length_bucket, '(not set)') as length_bucket,
        count(*) as views,
        sum(video_views.video_starts) as video_starts,
        count(distinct video_views.person_id) as viewers,
        count(distinct video_views.person_id) filter (where video_views.orders_after_view > 0) as converters,
        sum(video_views.watch_time_s) as watch_time_s,
        sum(video_views.hotspot_impressions) as hotspot_impressions,
        sum(video_views.hotspot_clicks) as hotspot_clicks,
        sum(video_views.revenue_after_view) as revenue_after_view
    from video_views
    left join bucketed_videos
        on video_views.video_id = bucketed_videos.video_id
    group by coalesce(bucketed_videos.length_bucket, '(not set)')

),

buckets as (

    select
        coalesce(catalog_buckets.length_bucket, viewed_buckets.length_bucket) as length_bucket,
        catalog_buckets.shortest_video_s,
        catalog_buckets.longest_video_s,
        coalesce(catalog_buckets.videos, 0) as videos,
        coalesce(viewed_buckets.views, 0) as views,
        coalesce(viewed_buckets.video_starts, 0) as video_starts,
        coalesce(viewed_buckets.viewers, 0) as viewers,
        coalesce(viewed_buckets.converters, 0) as converters,
        coalesce(viewed_buckets.watch_time_s, 0) as watch_time_s,
        coalesce(viewed_buckets.hotspot_impressions, 0) as hotspot_impressions,
        coalesce(viewed_buckets.hotspot_clicks, 0) as hotspot_clicks,
        coalesce(viewed_buckets.revenue_after_view, 0) as revenue_after_view
    from catalog_buckets
    full outer join viewed_buckets
        on catalog_buckets.length_bucket = viewed_buckets.length_bucket

),

final as (

    select
        length_bucket,
        shortest_video_s,
        longest_video_s,
        cast(videos as bigint) as videos,
        cast(views as bigint) as views,
        cast(video_starts as bigint) as video_starts,
        cast(viewers as bigint) as viewers,
        cast(watch_time_s as double) as watch_time_s,
        cast(hotspot_impressions as bigint) as hotspot_impressions,
        cast(hotspot_clicks as bigint) as hotspot_clicks,
        {{ hctr('hotspot_clicks', 'hotspot_impressions') }} as hctr,
        cast(converters as bigint) as converters,
        {{ conversion_rate('converters', 'viewers') }} as conversion_rate,
        cast(revenue_after_view as decimal(18, 4)) as revenue_after_view,
        {{ revenue_per_view('revenue_after_view', 'video_starts') }} as revenue_per_view,
        cast(converters as double) / nullif(watch_time_s / 60, 0) as converters_per_watch_minute
    from buckets

)

select * from final
