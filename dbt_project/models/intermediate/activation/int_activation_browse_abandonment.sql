{#- Browse abandonment's trigger: a person's last product view, with no add to cart and no order after it,
    who has not come back since (no session of theirs started after the view: a return is the person
    answering on their own, so the flow stops; a return with new views moves the trigger to them). The
    flow reminds in stages, var browse_abandonment_stage_days (1, 3, 5): the person is in the audience on
    the day each stage falls due - from last_view_at + n days for 24 hours - and not between stages nor
    after the last, so a daily send reaches each stage once. The products are those viewed in the last
    view's session, each at its latest shown price; the video of the latest in-video view there names the
    video that raised the interest. -#}

{%- set stage_days = var('browse_abandonment_stage_days') %}

with activation_events as (

    select * from {{ ref('int_activation_events') }}

),

orders as (

    select * from {{ ref('int_orders') }}

),

sessions as (

    select * from {{ ref('int_sessions') }}

),

products as (

    select * from {{ ref('dim_products') }}

),

warehouse_clock as (

    select * from {{ ref('int_warehouse_clock') }}

),

views as (

    select * from activation_events
    where event_name = 'view_item'

),

ranked_views as (

    select
        person_id,
        session_id,
        occurred_at,
        row_number() over (partition by person_id order by occurred_at desc, event_id desc) as recency_rank
    from views

),

last_views as (

    select
        person_id,
        session_id,
        occurred_at as last_view_at
    from ranked_views
    where recency_rank = 1

),

carted_since as (

    select distinct last_views.person_id
    from last_views
    inner join activation_events
        on last_views.person_id = activation_events.person_id
    where
        activation_events.event_name in ('add_to_cart', 'buy_now')
        and activation_events.occurred_at > last_views.last_view_at

),

ordered_since as (

    select distinct last_views.person_id
    from last_views
    inner join orders
        on last_views.person_id = orders.person_id and last_views.last_view_at < orders.ordered_at

),

came_back as (

    select distinct last_views.person_id
    from last_views
    inner join sessions
        on last_views.person_id = sessions.person_id and last_views.last_view_at < sessions.started_at

),

staged as (

    select
        last_views.*,
        case
            {%- for days in stage_days %}
            when
                warehouse_clock.clock_at >= {{ dbt.dateadd('day', days, 'last_views.last_view_at') }}
                and warehouse_clock.clock_at < {{ dbt.dateadd('day', days + 1, 'last_views.last_view_at') }}
                then {{ days }}
            {%- endfor %}
        end as stage
    from last_views
    cross join warehouse_clock
    left join carted_since
        on last_views.person_id = carted_since.person_id
    left join ordered_since
        on last_views.person_id = ordered_since.person_id
    left join came_back
        on last_views.person_id = came_back.person_id
    where carted_since.person_id is null and ordered_since.person_id is null and came_back.person_id is null

),

session_views as (

    select
        views.person_id,
        views.product_id,
        views.price,
        views.currency,
        views.video_id,
        row_number() over (
            partition by views.person_id, views.product_id order by views.occurred_at desc, views.event_id desc
        ) as product_recency_rank,
        row_number() over (
            partition by views.person_id, views.video_id is not null
            order by views.occurred_at desc, views.event_id desc
        ) as video_recency_rank
    from views
    inner join staged
        on views.person_id = staged.person_id and views.session_id = staged.session_id
    where staged.stage is not null

),

viewed_products as (

    select
        session_views.person_id,
        count(*) as products_viewed,
        {{ json_object_list(
            {
                'product_id': 'session_views.product_id',
                'product_name': 'products.product_name',
                'price': 'cast(session_views.price as double)',
                'currency': 'session_views.currency',
                'quantity': 'null'
            },
            order_by=['session_views.product_id']
        ) }} as items
    from session_views
    left join products
        on session_views.product_id = products.product_id
    where session_views.product_recency_rank = 1
    group by session_views.person_id

),

video_views as (

    select
        person_id,
        video_id
    from session_views
    where video_id is not null and video_recency_rank = 1

),

final as (

    select
        staged.person_id,
        staged.last_view_at as triggered_at,
        {{ dbt.dateadd('day', 'staged.stage', 'staged.last_view_at') }} as send_after,
        'viewed ' || viewed_products.products_viewed
        || case when viewed_products.products_viewed = 1 then ' product' else ' products' end
        || ' until ' || {{ reporting_time_text('staged.last_view_at') }}
        || ', then no cart, no order and no visit since: day-' || staged.stage || ' reminder' as reason,
        viewed_products.items,
        video_views.video_id,
        cast(null as {{ dbt.type_string() }}) as search_query,
        cast(null as {{ json_type() }}) as recommended_products,
        cast(staged.stage as integer) as stage
    from staged
    inner join viewed_products
        on staged.person_id = viewed_products.person_id
    left join video_views
        on staged.person_id = video_views.person_id
    where staged.stage is not null

)

select * from final
