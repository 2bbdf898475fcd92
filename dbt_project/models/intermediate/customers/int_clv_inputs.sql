{#- The lifetimes-style summary the CLV models fit (orchestration/customers/clv.py), one row per customer
    with an order, in days. A purchase is an order DAY: two orders on one day are one purchase, as BG/NBD
    counts them. Money is net of refunds, so a refunded repeat order lowers the monetary value. -#}

with orders as (

    select
        customer_id,
        order_date,
        net_revenue
    from {{ ref('fct_orders') }}
    where customer_id is not null

),

clock as (

    select clock_date from {{ ref('int_warehouse_clock') }}

),

order_days as (

    select
        customer_id,
        order_date,
        sum(net_revenue) as net_revenue
    from orders
    group by customer_id, order_date

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

spans as (

    select
        per_customer.*,
        {{ dbt.datediff('per_customer.first_order_date', 'per_customer.last_order_date', 'day') }} as recency_days,  -- noqa: LT05
        {{ dbt.datediff('per_customer.first_order_date', 'clock.clock_date', 'day') }} as days_to_clock  -- noqa: LT05
    from per_customer
    cross join clock

),

final as (

    select
        customer_id,
        first_order_date,
        last_order_date,
        frequency,
        recency_days,
        -- A purchase flagged as a bot's can postdate the clock (money is never a bot, behaviour is); BG/NBD
        -- needs recency <= T.
        greatest(days_to_clock, recency_days) as tenure_days,
        case
            when frequency > 0 then cast(repeat_net_revenue as double) / frequency
            else 0
        end as monetary_value
    from spans

)

select * from final
