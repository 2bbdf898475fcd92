{#- One row per channel path (CONTRACT section 8): the sequence of channels a person's touches took, and
    how often it ended in an order. Paths are int_order_paths': an order's touches in its lookback, and
    the journeys that ended in none, so a path's conversion rate is converting paths over all paths of
    that sequence. Orders with no touch in their lookback are on no path (fct_attribution credits them to
    Direct). path_rank orders the paths by conversions, the most frequent first. -#}

with path_touches as (

    select * from {{ ref('int_order_paths') }}

),

paths as (

    select
        path_id,
        is_conversion,
        {{ dbt.listagg('channel', "' > '", 'order by touch_index') }} as channel_path,
        count(*) as touches,
        count(distinct session_id) as visits,
        max(revenue_reporting) as revenue_reporting,
        max(days_before_order) as days_from_first_touch
    from path_touches
    group by path_id, is_conversion

),

by_channel_path as (

    select
        channel_path,
        min(touches) as touches,
        count(*) as paths,
        count(case when is_conversion then 1 end) as conversions,
        cast(sum(revenue_reporting) as decimal(18, 4)) as revenue,
        avg(case when is_conversion then days_from_first_touch end) as avg_days_to_convert,
        avg(case when is_conversion then cast(visits as double) end) as avg_visits_to_convert
    from paths
    group by channel_path

),

final as (

    select
        channel_path,
        cast(touches as integer) as touches,
        paths,
        conversions,
        cast(conversions as double) / paths as conversion_rate,
        coalesce(revenue, 0) as revenue,
        avg_days_to_convert,
        avg_visits_to_convert,
        cast(row_number() over (order by conversions desc, paths desc, channel_path asc) as bigint) as path_rank
    from by_channel_path

)

select * from final
