{#- One row per refund event: partial refunds and several refunds of one order are all kept. A refund
    is converted at its order's rate, so refunding a whole order nets its revenue to exactly zero
    whatever the currency did in between; it lowers net revenue on its own date (refund_date). -#}

with refunds as (

    select *
    from {{ ref('stg_events') }}
    where event_name = 'refund' and not is_bot

),

orders as (

    select * from {{ ref('int_orders') }}

),

final as (

    select
        refunds.event_id,
        refunds.order_id,
        orders.order_id is not null as has_order,
        coalesce(orders.customer_id, refunds.user_id) as customer_id,
        refunds.anonymous_id,
        refunds.occurred_at as refunded_at,
        {{ reporting_date('refunds.occurred_at') }} as refund_date,
        refunds.currency,
        refunds.refund_amount as amount,
        cast(refunds.refund_amount * {{ fx_rate('rates', 'refunds.currency') }} as decimal(18, 4)) as amount_reporting,
        refunds.load_id
    from refunds
    left join orders
        on refunds.order_id = orders.order_id
    {%- set valued_on = 'coalesce(orders.order_date, ' ~ reporting_date('refunds.occurred_at') ~ ')' %}
    {{ join_fx_rate('rates', 'refunds.currency', valued_on) }}

)

select * from final
