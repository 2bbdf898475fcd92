{#- One row per view: a session's play of a video (several starts of one video in one session are one
    view, counted in video_starts). How far it got, how long it was watched, what was seen and clicked,
    and the orders its person placed within attribution_lookback_days after it started. -#}

with video_events as (

    select * from {{ ref('int_video_events') }}

),

orders as (

    select * from {{ ref('int_orders') }}

),

views as (

    select
        session_id,
        video_id,
        min(person_id) as person_id,
        min(customer_id) as customer_id,
        min(anonymous_id) as anonymous_id,
        min(occurred_at) filter (where event_name = 'video_start') as started_at,
        count(*) filter (where event_name = 'video_start') as video_starts,
        coalesce(max(video_percent) filter (where event_name = 'video_progress'), 0) as furthest_percent,
        bool_or(event_name = 'video_complete') as completed,
        {#- The player's own events tell how far it played; shopping events repeat a click's position. -#}
        coalesce(max(position_s) filter (where event_name like 'video_%' or event_name like 'hotspot_%'), 0)
            as watch_time_s,
        count(*) filter (where event_name = 'hotspot_impression') as hotspot_impressions,
        count(*) filter (where event_name = 'hotspot_click') as hotspot_clicks,
        count(*) filter (where is_in_video_intent) as in_video_intents,
        count(*) filter (where event_name = 'add_to_cart' and is_in_video_intent) as in_video_carts,
        count(*) filter (where event_name = 'buy_now' and is_in_video_intent) as in_video_buy_nows
    from video_events
    group by session_id, video_id

),

started_views as (

    select
        *,
        {{ reporting_date('started_at') }} as view_date
    from views
    where started_at is not null

),

orders_after_view as (

    select
        started_views.session_id,
        started_views.video_id,
        count(*) as orders_after_view,
        sum(orders.revenue_reporting) as revenue_after_view
    from started_views
    inner join orders
        on
            started_views.person_id = orders.person_id
            and started_views.started_at < orders.ordered_at
            and {{ dbt.dateadd('day', var('attribution_lookback_days'), 'started_views.started_at') }}
            >= orders.ordered_at
    group by started_views.session_id, started_views.video_id

),

final as (

    select
        started_views.session_id,
        started_views.video_id,
        started_views.person_id,
        started_views.customer_id,
        started_views.anonymous_id,
        started_views.started_at,
        started_views.view_date,
        started_views.video_starts,
        started_views.furthest_percent,
        started_views.completed,
        started_views.watch_time_s,
        started_views.hotspot_impressions,
        started_views.hotspot_clicks,
        started_views.in_video_intents,
        started_views.in_video_carts,
        started_views.in_video_buy_nows,
        coalesce(orders_after_view.orders_after_view, 0) as orders_after_view,
        cast(coalesce(orders_after_view.revenue_after_view, 0) as decimal(18, 4)) as revenue_after_view
    from started_views
    left join orders_after_view
        on
            started_views.session_id = orders_after_view.session_id
            and started_views.video_id = orders_after_view.video_id

)

select * from final
