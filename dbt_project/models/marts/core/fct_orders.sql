{#- The public order mart: one row per order, server-side ones included (money is never a bot), with
    its booked refunds (capped at its revenue, see int_refunds), net revenue, whether it was the person's
    first order and how many visits led to it. A table like int_orders: refunds, a customer's earlier
    orders and identity can change any order, and orders are few. -#}

with orders as (

    select * from {{ ref('int_orders') }}

),

refunds as (

    select * from {{ ref('int_refunds') }}

),

sessions as (

    select * from {{ ref('int_sessions') }}

),

order_refunds as (

    select
        order_id,
        count(*) as refunds,
        sum(booked_amount) as refunded_amount,
        sum(booked_amount_reporting) as refunded_amount_reporting,
        sum(excess_amount) as refund_excess_amount,
        sum(excess_amount_reporting) as refund_excess_reporting,
        max(refunded_at) as last_refunded_at
    from refunds
    where has_order
    group by order_id

),

numbered_orders as (

    select
        *,
        cast(row_number() over (partition by person_id order by ordered_at, order_id) as bigint) as order_number,
        lag(ordered_at) over (partition by person_id order by ordered_at, order_id) as previous_ordered_at
    from orders

),

visits_to_purchase as (

    {#- The order's session and the person's sessions started after the previous order and before this one. -#}
    select
        numbered_orders.order_id,
        count(*) as visits_to_purchase
    from numbered_orders
    inner join sessions
        on
            numbered_orders.person_id = sessions.person_id
            and (
                numbered_orders.session_id = sessions.session_id
                or (
                    numbered_orders.ordered_at >= sessions.started_at
                    and (
                        numbered_orders.previous_ordered_at is null
                        or numbered_orders.previous_ordered_at < sessions.started_at
                    )
                )
            )
    group by numbered_orders.order_id

),

final as (

    select
        numbered_orders.order_id,
        numbered_orders.customer_id,
        numbered_orders.purchase_user_id,
        numbered_orders.anonymous_id,
        numbered_orders.person_id,
        numbered_orders.session_id,
        numbered_orders.is_server_side,
        numbered_orders.ordered_at,
        numbered_orders.order_date,
        numbered_orders.revenue,
        numbered_orders.currency,
        numbered_orders.fx_rate,
        numbered_orders.fx_rate_date,
        numbered_orders.revenue_reporting,
        numbered_orders.tax,
        numbered_orders.shipping,
        numbered_orders.discount,
        numbered_orders.coupon,
        numbered_orders.items,
        numbered_orders.item_lines,
        coalesce(order_refunds.refunds, 0) as refunds,
        cast(coalesce(order_refunds.refunded_amount, 0) as decimal(18, 4)) as refunded_amount,
        cast(coalesce(order_refunds.refunded_amount_reporting, 0) as decimal(18, 4)) as refunded_amount_reporting,
        cast(coalesce(order_refunds.refund_excess_amount, 0) as decimal(18, 4)) as refund_excess_amount,
        cast(coalesce(order_refunds.refund_excess_reporting, 0) as decimal(18, 4)) as refund_excess_reporting,
        coalesce(order_refunds.refund_excess_amount, 0) > 0 as is_over_refunded,
        order_refunds.last_refunded_at,
        cast(
            numbered_orders.revenue_reporting - coalesce(order_refunds.refunded_amount_reporting, 0) as decimal(18, 4)
        ) as net_revenue,
        numbered_orders.order_number,
        numbered_orders.order_number = 1 as is_first_order,
        visits_to_purchase.visits_to_purchase
    from numbered_orders
    left join order_refunds
        on numbered_orders.order_id = order_refunds.order_id
    left join visits_to_purchase
        on numbered_orders.order_id = visits_to_purchase.order_id

)

select * from final
