{#- Which host, format, length bucket and video segment converts best, and whether the difference is real
    (CONTRACT sections 8 and 9). A person views a variant when they start a video of that host, format or
    length bucket, or, for a video segment, get an impression of a hotspot in that segment during a view;
    they convert when one of those views has an order of theirs within attribution_lookback_days after it
    (int_video_views). People, not views, are the trials: one viewer who watched ten times is one chance to
    convert. Each variant is tested against the best-converting variant of its dimension. -#}

{#- The success-failure condition of the normal approximation behind the z-test: at least this many
    converters and this many non-converters in a variant, else its test and its claim to be best are not
    trusted. -#}
{%- set min_outcomes = 10 -%}
{%- set significance_level = 0.05 -%}

with video_views as (

    select * from {{ ref('int_video_views') }}

),

video_events as (

    select * from {{ ref('int_video_events') }}

),

videos as (

    select * from {{ ref('stg_videos') }}

),

hotspots as (

    select * from {{ ref('stg_hotspots') }}

),

views_with_video as (

    select
        video_views.session_id,
        video_views.video_id,
        video_views.person_id,
        video_views.video_starts,
        video_views.orders_after_view,
        video_views.revenue_after_view,
        videos.host,
        videos.format,
        {{ video_length_bucket('videos.length_s') }} as length_bucket
    from video_views
    left join videos
        on video_views.video_id = videos.video_id

),

segments_seen as (

    select distinct
        video_events.session_id,
        video_events.video_id,
        hotspots.segment
    from video_events
    left join hotspots
        on video_events.video_id = hotspots.video_id and video_events.hotspot_id = hotspots.hotspot_id
    where video_events.event_name = 'hotspot_impression'

),

variant_views as (

    {%- for dimension in ['host', 'format', 'length_bucket'] %}
    select
        '{{ dimension }}' as dimension,
        {{ dimension }} as variant,
        person_id,
        video_starts,
        orders_after_view,
        revenue_after_view
    from views_with_video

    union all
    {% endfor %}

    select
        'video_segment' as dimension,
        segments_seen.segment as variant,
        views_with_video.person_id,
        views_with_video.video_starts,
        views_with_video.orders_after_view,
        views_with_video.revenue_after_view
    from views_with_video
    inner join segments_seen
        on views_with_video.session_id = segments_seen.session_id and views_with_video.video_id = segments_seen.video_id

),

variants as (

    select
        dimension,
        coalesce(variant, '(not set)') as variant,
        count(distinct person_id) as viewers,
        count(distinct person_id) filter (where orders_after_view > 0) as converters,
        count(*) as views,
        sum(video_starts) as video_starts,
        sum(revenue_after_view) as revenue_after_view
    from variant_views
    group by dimension, coalesce(variant, '(not set)')

),

judged_variants as (

    select
        *,
        {{ conversion_rate('converters', 'viewers') }} as conversion_rate,
        converters >= {{ min_outcomes }} and viewers - converters >= {{ min_outcomes }} as has_enough_sample
    from variants

),

ranked_variants as (

    select
        dimension,
        variant,
        converters,
        viewers,
        row_number() over (
            partition by dimension order by conversion_rate desc, viewers desc, variant asc
        ) as rank_in_dimension
    from judged_variants
    where has_enough_sample

),

best_variants as (

    select
        dimension,
        variant as best_variant,
        converters as best_converters,
        viewers as best_viewers
    from ranked_variants
    where rank_in_dimension = 1

),

compared as (

    select
        judged_variants.*,
        best_variants.best_variant,
        coalesce(judged_variants.variant = best_variants.best_variant, false) as is_best_variant,
        not judged_variants.has_enough_sample or best_variants.best_variant is null as is_sample_too_small,
        case when judged_variants.variant != best_variants.best_variant then {{ two_proportion_p_value(
            'judged_variants.converters', 'judged_variants.viewers',
            'best_variants.best_converters', 'best_variants.best_viewers'
        ) }} end as p_value_vs_best
    from judged_variants
    left join best_variants
        on judged_variants.dimension = best_variants.dimension

),

final as (

    select
        dimension,
        variant,
        viewers,
        converters,
        conversion_rate,
        {{ wilson_interval_low('converters', 'viewers') }} as conversion_rate_ci_low,
        {{ wilson_interval_high('converters', 'viewers') }} as conversion_rate_ci_high,
        views,
        cast(video_starts as bigint) as video_starts,
        cast(revenue_after_view as decimal(18, 4)) as revenue_after_view,
        {{ revenue_per_view('revenue_after_view', 'video_starts') }} as revenue_per_view,
        best_variant,
        is_best_variant,
        p_value_vs_best,
        coalesce(p_value_vs_best < {{ significance_level }}, false) and not is_sample_too_small as is_significant,
        is_sample_too_small
    from compared

)

select * from final
