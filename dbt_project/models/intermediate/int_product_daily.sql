{{ config(materialized='table') }}
{#- One row per catalog product and day (reporting time zone), from the product's first day in the data
    (first stock snapshot, view or order) to the last complete day before the warehouse clock: what it sold,
    net of what came back, what it earned, how often it was seen and clicked, and what stock it had. The
    demand forecast reads it. A day the stock snapshot says 0 on hand is out of stock: its sales are
    censored demand (people could not buy), which the forecast must not learn as zero demand. -#}

with products as (

    select * from {{ ref('stg_products') }}

),

clock as (

    select * from {{ ref('int_warehouse_clock') }}

),

calendar as (

    select * from {{ ref('dim_dates') }}

),

orders as (

    select * from {{ ref('int_orders') }}

),

order_items as (

    select * from {{ ref('stg_order_items') }}

),

refunds as (

    select * from {{ ref('int_refunds') }}

),

events as (

    select * from {{ ref('stg_events') }}

),

video_events as (

    select * from {{ ref('int_video_events') }}

),

hotspots as (

    select * from {{ ref('stg_hotspots') }}

),

inventory as (

    select * from {{ ref('stg_inventory') }}

),

sold as (

    {#- The order's winning delivery only (int_orders keeps the first), valued at the order's rate. -#}
    select
        order_items.product_id,
        orders.order_date as date_day,
        sum(order_items.quantity) as units_sold,
        sum(order_items.line_revenue * orders.fx_rate) as revenue_reporting
    from orders
    inner join order_items
        on orders.event_id = order_items.event_id
    group by 1, 2

),

refund_events as (

    select
        refunds.refund_date,
        events.items
    from refunds
    inner join events
        on refunds.event_id = events.event_id
    where events.items is not null

),

refunded as (

    {#- A refund that lists its items returns those units on its own day; one without items returns money only. -#}
    select
        {{ json_text(json_array_item('refund_events.items'), '$.product_id') }} as product_id,
        refund_events.refund_date as date_day,
        sum(cast({{ json_text(json_array_item('refund_events.items'), '$.quantity') }} as integer)) as units_refunded
    from {{ json_array_items('refund_events', 'items') }}
    group by 1, 2

),

viewed as (

    select
        product_id,
        {{ reporting_date('occurred_at') }} as date_day,
        count(*) as views
    from events
    where event_name = 'view_item' and not is_bot and product_id is not null
    group by 1, 2

),

in_video as (

    select
        coalesce(video_events.product_id, hotspots.product_id) as product_id,
        video_events.event_date as date_day,
        sum(case when video_events.event_name = 'hotspot_impression' then 1 else 0 end) as hotspot_impressions,
        sum(case when video_events.event_name = 'hotspot_click' then 1 else 0 end) as hotspot_clicks,
        sum(
            case when video_events.event_name = 'add_to_cart' and video_events.is_in_video_intent then 1 else 0 end
        ) as in_video_carts
    from video_events
    left join hotspots
        on video_events.hotspot_id = hotspots.hotspot_id
    group by 1, 2

),

stock_snapshots as (

    select
        product_id,
        snapshot_date as date_day,
        min(units_on_hand) as units_on_hand
    from inventory
    group by 1, 2

),

sightings as (

    select product_id, date_day from stock_snapshots
    union all
    select product_id, date_day from viewed
    union all
    select product_id, date_day from sold

),

first_days as (

    select
        product_id,
        min(date_day) as first_day
    from sightings
    group by 1

),

product_days as (

    select
        products.product_id,
        calendar.date_day,
        products.list_price
    from products
    inner join first_days
        on products.product_id = first_days.product_id
    cross join clock
    inner join calendar
        on
            first_days.first_day <= calendar.date_day
            and calendar.date_day < clock.clock_date

),

filled as (

    select
        product_days.product_id,
        product_days.date_day,
        cast(coalesce(sold.units_sold, 0) as integer) as units_sold,
        cast(coalesce(refunded.units_refunded, 0) as integer) as units_refunded,
        cast(coalesce(sold.revenue_reporting, 0) as decimal(18, 4)) as revenue_reporting,
        cast(product_days.list_price as double) as price,
        cast(coalesce(viewed.views, 0) as integer) as views,
        cast(coalesce(in_video.hotspot_impressions, 0) as integer) as hotspot_impressions,
        cast(coalesce(in_video.hotspot_clicks, 0) as integer) as hotspot_clicks,
        cast(coalesce(in_video.in_video_carts, 0) as integer) as in_video_carts,
        cast(
            {{ last_non_null("stock_snapshots.units_on_hand") }} over (
                partition by product_days.product_id
                order by product_days.date_day
                rows between unbounded preceding and current row
            ) as integer
        ) as units_on_hand
    from product_days
    left join sold
        on product_days.product_id = sold.product_id and product_days.date_day = sold.date_day
    left join refunded
        on product_days.product_id = refunded.product_id and product_days.date_day = refunded.date_day
    left join viewed
        on product_days.product_id = viewed.product_id and product_days.date_day = viewed.date_day
    left join in_video
        on product_days.product_id = in_video.product_id and product_days.date_day = in_video.date_day
    left join stock_snapshots
        on product_days.product_id = stock_snapshots.product_id and product_days.date_day = stock_snapshots.date_day

),

final as (

    select
        product_id,
        date_day,
        units_sold,
        units_refunded,
        units_sold - units_refunded as net_units,
        revenue_reporting,
        price,
        views,
        hotspot_impressions,
        hotspot_clicks,
        in_video_carts,
        units_on_hand,
        coalesce(units_on_hand = 0, false) as is_out_of_stock
    from filled

)

select * from final
