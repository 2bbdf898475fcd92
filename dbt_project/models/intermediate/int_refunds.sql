{#- One row per refund (CONTRACT sections 4 and 7). Money is never a bot: a refund counts whatever its user
    agent, since shops book refunds from their backend. A refund re-sent with a new event_id and the same
    refund_id counts once, as first delivered; partial refunds and several refunds of one order all count.

    A refund is valued in its order's currency and at its order's rate, so refunding a whole order nets
    its revenue to exactly zero whatever the currency did in between, and it lowers net revenue on its
    own date (refund_date). What is booked is capped at what is left of the order's revenue, refunds taken
    in the order they were booked: the excess is kept in excess_amount and flagged, never booked. A refund
    of an order the warehouse does not hold (has_order false) is valued at its own date's rate and books
    nothing; fct_refunds_without_order shows it, and it is matched the run its order arrives (a table,
    rebuilt every run like int_orders). -#}

with refund_events as (

    select *
    from {{ ref('stg_events') }}
    where event_name = 'refund'

),

orders as (

    select * from {{ ref('int_orders') }}

),

people as (

    select * from {{ ref('int_people') }}

),

first_deliveries as (

    select
        *,
        row_number() over (
            partition by refund_id is null, coalesce(refund_id, event_id)
            order by load_id, source_line
        ) as delivery_number
    from refund_events

),

refunds as (

    select * from first_deliveries
    where delivery_number = 1

),

valued as (

    select
        refunds.event_id,
        refunds.refund_id,
        refunds.order_id,
        orders.order_id is not null as has_order,
        coalesce(orders.customer_id, people.customer_id) as customer_id,
        coalesce(orders.person_id, {{ person_id('refunds.anonymous_id') }}) as person_id,
        refunds.anonymous_id,
        refunds.is_bot as is_server_side,
        refunds.occurred_at as refunded_at,
        {{ reporting_date('refunds.occurred_at') }} as refund_date,
        refunds.currency,
        refunds.refund_amount as amount,
        cast(refunds.refund_amount * {{ fx_rate('rates', 'refunds.currency') }} as decimal(18, 4)) as amount_reporting,
        orders.currency as order_currency,
        orders.revenue as order_revenue,
        orders.fx_rate as order_fx_rate,
        case
            when refunds.currency = orders.currency then refunds.refund_amount
            else cast(
                refunds.refund_amount * {{ fx_rate('rates', 'refunds.currency') }} / orders.fx_rate as decimal(18, 4)
            )
        end as amount_in_order_currency,
        refunds.load_id,
        refunds.source_line
    from refunds
    left join orders
        on refunds.order_id = orders.order_id
    left join people
        on refunds.anonymous_id = people.anonymous_id
    {%- set valued_on = 'coalesce(orders.order_date, ' ~ reporting_date('refunds.occurred_at') ~ ')' %}
    {{ join_fx_rate('rates', 'refunds.currency', valued_on) }}

),

with_earlier_refunds as (

    select
        *,
        coalesce(sum(amount_in_order_currency) over (
            partition by order_id
            order by refunded_at, load_id, source_line
            rows between unbounded preceding and 1 preceding
        ), 0) as refunded_before
    from valued

),

capped as (

    select
        *,
        case
            when has_order then greatest(least(amount_in_order_currency, order_revenue - refunded_before), 0)
        end as booked_amount
    from with_earlier_refunds

),

with_earlier_bookings as (

    select
        *,
        coalesce(sum(booked_amount) over (
            partition by order_id
            order by refunded_at, load_id, source_line
            rows between unbounded preceding and 1 preceding
        ), 0) as booked_before
    from capped

),

final as (

    select
        event_id,
        refund_id,
        order_id,
        has_order,
        customer_id,
        person_id,
        anonymous_id,
        is_server_side,
        refunded_at,
        refund_date,
        currency,
        amount,
        amount_reporting,
        order_currency,
        cast(booked_amount as decimal(18, 4)) as booked_amount,
        {#- The running total is converted, each refund booked as its step: converting and rounding every
            part alone could book a cent more than the order's revenue_reporting. -#}
        cast((booked_before + booked_amount) * order_fx_rate as decimal(18, 4))
        - cast(booked_before * order_fx_rate as decimal(18, 4)) as booked_amount_reporting,
        cast(amount_in_order_currency - booked_amount as decimal(18, 4)) as excess_amount,
        cast((amount_in_order_currency - booked_amount) * order_fx_rate as decimal(18, 4)) as excess_amount_reporting,
        coalesce(amount_in_order_currency > booked_amount, false) as is_over_refund,
        load_id
    from with_earlier_bookings

)

select * from final
