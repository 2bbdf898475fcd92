{#- The lifetimes-style summary the CLV models fit (orchestration/customers/clv.py), one row per customer
    with an order, in days. A purchase is an order DAY: two orders on one day are one purchase, as BG/NBD
    counts them. Money is net of refunds, so a refunded repeat order lowers the monetary value.
    The summary stops at the last complete day before the warehouse clock, as the demand forecast does: it
    moves once a day (or when late orders land), so the hourly runs of a day keep the day's fit instead of
    refitting for every new order; today's orders count from tomorrow's fit on. -#}

with orders as (

    select
        customer_id,
        order_date,
        net_revenue
    from {{ ref('fct_orders') }}
    where customer_id is not null

),

last_complete_day as (

    select cast({{ dbt.dateadd('day', -1, 'clock_date') }} as date) as summarised_through
    from {{ ref('int_warehouse_clock') }}

),

order_days as (

    select
        orders.customer_id,
        orders.order_date,
        sum(orders.net_revenue) as net_revenue
    from orders
    inner join last_complete_day on orders.order_date <= last_complete_day.summarised_through
    group by orders.customer_id, orders.order_date

),

first_days as (

    select
        customer_id,
        min(order_date) as first_order_date
    from order_days
    group by customer_id

),

per_customer as (

    select
        order_days.customer_id,
        first_days.first_order_date,
        max(order_days.order_date) as last_order_date,
        count(*) - 1 as frequency,
        sum(case when order_days.order_date > first_days.first_order_date then order_days.net_revenue end)
            as repeat_net_revenue
    from order_days
    inner join first_days on order_days.customer_id = first_days.customer_id
    group by order_days.customer_id, first_days.first_order_date

),

final as (

    select
        per_customer.customer_id,
        per_customer.first_order_date,
        per_customer.last_order_date,
        per_customer.frequency,
        {{ dbt.datediff('per_customer.first_order_date', 'per_customer.last_order_date', 'day') }} as recency_days,  -- noqa: LT05
        -- Every order counted is on or before the last complete day, so recency <= T as BG/NBD needs.
        {{ dbt.datediff('per_customer.first_order_date', 'last_complete_day.summarised_through', 'day') }}
            as tenure_days,
        case
            when per_customer.frequency > 0
                then cast(per_customer.repeat_net_revenue as double) / per_customer.frequency
            else 0
        end as monetary_value
    from per_customer
    cross join last_complete_day

)

select * from final
