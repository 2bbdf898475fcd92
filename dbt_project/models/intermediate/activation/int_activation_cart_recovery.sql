{#- Cart recovery's trigger: a person whose cart still holds items, last changed at least
    cart_recovery_delay_hours before the warehouse's clock and at most cart_recovery_window_days before it.
    The cart is rebuilt from the person's add_to_cart / buy_now minus remove_from_cart since their last
    order: an order empties the cart (the shop's checkout buys the cart), so a cart followed by an order,
    59 minutes later or a week later, holds nothing. Every line keeps the price and currency of its latest
    add, and the video of the latest in-video add names the video that raised the intent. A return visit
    that changes nothing does not stop the flow (the cart is still there); a change restarts its delay. -#}

with cart_events as (

    select * from {{ ref('int_activation_events') }}
    where event_name in ('add_to_cart', 'buy_now', 'remove_from_cart')

),

orders as (

    select * from {{ ref('int_orders') }}

),

products as (

    select * from {{ ref('dim_products') }}

),

warehouse_clock as (

    select * from {{ ref('int_warehouse_clock') }}

),

last_orders as (

    select
        person_id,
        max(ordered_at) as last_ordered_at
    from orders
    group by person_id

),

open_cart_events as (

    select cart_events.*
    from cart_events
    left join last_orders
        on cart_events.person_id = last_orders.person_id
    where last_orders.last_ordered_at is null or cart_events.occurred_at > last_orders.last_ordered_at

),

lines as (

    select
        person_id,
        product_id,
        sum(case when event_name = 'remove_from_cart' then -quantity else quantity end) as quantity
    from open_cart_events
    group by person_id, product_id

),

latest_adds as (

    select
        person_id,
        product_id,
        price,
        currency,
        event_date,
        row_number() over (partition by person_id, product_id order by occurred_at desc, event_id desc) as recency_rank
    from open_cart_events
    where event_name != 'remove_from_cart'

),

video_adds as (

    select
        open_cart_events.person_id,
        open_cart_events.video_id,
        row_number() over (
            partition by open_cart_events.person_id
            order by open_cart_events.occurred_at desc, open_cart_events.event_id desc
        ) as recency_rank
    from open_cart_events
    inner join lines
        on open_cart_events.person_id = lines.person_id and open_cart_events.product_id = lines.product_id
    where
        open_cart_events.video_id is not null
        and open_cart_events.event_name != 'remove_from_cart'
        and lines.quantity > 0

),

cart_changes as (

    select
        person_id,
        max(occurred_at) as last_changed_at
    from open_cart_events
    group by person_id

),

priced_lines as (

    select
        lines.person_id,
        lines.product_id,
        products.product_name,
        latest_adds.price,
        latest_adds.currency,
        lines.quantity,
        latest_adds.price * lines.quantity * {{ fx_rate('rates', 'latest_adds.currency') }} as value_reporting
    from lines
    inner join latest_adds
        on
            lines.person_id = latest_adds.person_id
            and lines.product_id = latest_adds.product_id
            and latest_adds.recency_rank = 1
    left join products
        on lines.product_id = products.product_id
    {{ join_fx_rate('rates', 'latest_adds.currency', 'latest_adds.event_date') }}
    where lines.quantity > 0

),

carts as (

    select
        person_id,
        sum(quantity) as units,
        sum(value_reporting) as value_reporting,
        {{ json_object_list(
            {
                'product_id': 'product_id',
                'product_name': 'product_name',
                'price': 'cast(price as double)',
                'currency': 'currency',
                'quantity': 'quantity'
            },
            order_by=['product_id']
        ) }} as items
    from priced_lines
    group by person_id

),

final as (

    select
        carts.person_id,
        cart_changes.last_changed_at as triggered_at,
        {{ dbt.dateadd('hour', var('cart_recovery_delay_hours'), 'cart_changes.last_changed_at') }} as send_after,
        'left ' || carts.units || case when carts.units = 1 then ' item' else ' items' end
        || coalesce(' (' || {{ money_text('carts.value_reporting') }} || ' {{ var("reporting_currency") }})', '')
        || ' in the cart, last changed ' || {{ reporting_time_text('cart_changes.last_changed_at') }}
        || ', and has not ordered since' as reason,
        carts.items,
        video_adds.video_id,
        cast(null as {{ dbt.type_string() }}) as search_query,
        cast(null as {{ json_type() }}) as recommended_products,
        cast(null as integer) as stage
    from carts
    inner join cart_changes
        on carts.person_id = cart_changes.person_id
    left join video_adds
        on carts.person_id = video_adds.person_id and video_adds.recency_rank = 1
    cross join warehouse_clock
    where
        {{ dbt.dateadd('hour', var('cart_recovery_delay_hours'), 'cart_changes.last_changed_at') }}
        <= warehouse_clock.clock_at
        and cart_changes.last_changed_at
        > {{ dbt.dateadd('day', -var('cart_recovery_window_days'), 'warehouse_clock.clock_at') }}

)

select * from final
