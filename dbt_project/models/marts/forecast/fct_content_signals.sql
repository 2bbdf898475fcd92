{#- What to do with each product's video content (CONTRACT section 9): hotspot click-through and days of
    stock cover over the last content_signal_window_days days, each against the catalog median.
    High HCTR with low cover: restock_and_feature; high with high: feature_more; low HCTR with high cover:
    reshoot_content (the video and the product do not fit); low with low: hold. A product with fewer
    hotspot impressions than content_signal_min_impressions in the window, or no stock snapshot, is
    insufficient_data, never a guess. Cover = units on hand / the forecast's daily units; a product with no
    forecast demand has unbounded cover (null days, counted as high). -#}

with product_days as (

    select * from {{ ref('int_product_daily') }}

),

forecasts as (

    select * from {{ ref('fct_demand_forecast') }}

),

products as (

    select * from {{ ref('stg_products') }}

),

abandoned as (

    select * from {{ ref('fct_abandoned_stream_intent') }}

),

video_events as (

    select * from {{ ref('int_video_events') }}

),

window_start as (

    select {{ dbt.dateadd('day', '1 - ' ~ var('content_signal_window_days'), 'max(date_day)') }} as first_day
    from product_days

),

recent as (

    select
        product_days.product_id,
        sum(product_days.hotspot_impressions) as hotspot_impressions,
        sum(product_days.hotspot_clicks) as hotspot_clicks,
        sum(product_days.views) as views,
        sum(product_days.net_units) as net_units
    from product_days
    cross join window_start
    where product_days.date_day >= window_start.first_day
    group by 1

),

latest_stock as (

    select
        product_id,
        max(date_day) as last_day
    from product_days
    group by 1

),

stock as (

    select
        product_days.product_id,
        product_days.units_on_hand
    from product_days
    inner join latest_stock
        on product_days.product_id = latest_stock.product_id and product_days.date_day = latest_stock.last_day

),

forecast_totals as (

    select
        product_id,
        sum(forecast_units) as forecast_units_horizon,
        count(*) as forecast_days
    from forecasts
    group by 1

),

abandoned_intent as (

    {#- The in-video intents of abandoned (person, video) pairs, up to the latest one, priced per product. -#}
    select
        video_events.product_id,
        sum(video_events.intent_value) as abandoned_intent_value
    from abandoned
    inner join video_events
        on
            abandoned.person_id = video_events.person_id
            and abandoned.video_id = video_events.video_id
            and video_events.occurred_at <= abandoned.last_intent_at
    where video_events.is_in_video_intent
    group by 1

),

measured as (

    select
        products.product_id,
        products.product_name,
        coalesce(recent.hotspot_impressions, 0) as hotspot_impressions,
        coalesce(recent.hotspot_clicks, 0) as hotspot_clicks,
        cast(recent.hotspot_clicks as double) / nullif(recent.hotspot_impressions, 0) as hctr,
        coalesce(recent.views, 0) as views,
        stock.units_on_hand,
        coalesce(forecast_totals.forecast_units_horizon, 0) as forecast_units_horizon,
        forecast_totals.forecast_units_horizon / nullif(forecast_totals.forecast_days, 0) as forecast_daily_units,
        stock.units_on_hand
        / nullif(forecast_totals.forecast_units_horizon / nullif(forecast_totals.forecast_days, 0), 0) as days_of_cover,
        coalesce(abandoned_intent.abandoned_intent_value, 0) as abandoned_intent_value,
        coalesce(recent.hotspot_impressions, 0) >= {{ var('content_signal_min_impressions') }}
        and stock.units_on_hand is not null as is_judged
    from products
    left join recent
        on products.product_id = recent.product_id
    left join stock
        on products.product_id = stock.product_id
    left join forecast_totals
        on products.product_id = forecast_totals.product_id
    left join abandoned_intent
        on products.product_id = abandoned_intent.product_id

),

ranked as (

    {#- Unbounded cover (nothing forecast to sell) ranks above every finite one. -#}
    select
        *,
        coalesce(days_of_cover, 1e300) as cover_for_ranking
    from measured

),

medians as (

    {#- Over the judged products. -#}
    select
        percentile_cont(0.5) within group (order by hctr) as hctr_median,
        percentile_cont(0.5) within group (order by cover_for_ranking) as days_of_cover_median
    from ranked
    where is_judged

),

final as (

    select
        cast(ranked.product_id as {{ dbt.type_string() }}) as product_id,
        cast(ranked.product_name as {{ dbt.type_string() }}) as product_name,
        cast(ranked.hotspot_impressions as bigint) as hotspot_impressions,
        cast(ranked.hotspot_clicks as bigint) as hotspot_clicks,
        cast(ranked.hctr as double) as hctr,
        cast(ranked.views as bigint) as views,
        cast(ranked.units_on_hand as integer) as units_on_hand,
        cast(ranked.forecast_units_horizon as double) as forecast_units_horizon,
        cast(ranked.forecast_daily_units as double) as forecast_daily_units,
        cast(ranked.days_of_cover as double) as days_of_cover,
        cast(ranked.abandoned_intent_value as decimal(18, 4)) as abandoned_intent_value,
        cast(medians.hctr_median as double) as hctr_median,
        cast(medians.days_of_cover_median as double) as days_of_cover_median,
        cast(
            case
                when not ranked.is_judged then 'insufficient_data'
                when ranked.hctr >= medians.hctr_median
                    and ranked.cover_for_ranking < medians.days_of_cover_median
                    then 'restock_and_feature'
                when ranked.hctr >= medians.hctr_median then 'feature_more'
                when ranked.cover_for_ranking >= medians.days_of_cover_median then 'reshoot_content'
                else 'hold'
            end as {{ dbt.type_string() }}
        ) as recommendation
    from ranked
    cross join medians

)

select * from final
