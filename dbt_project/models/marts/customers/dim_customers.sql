{#- One row per customer (an account): what they bought, their RFM segment, where they came from, what they
    are worth (to date, and predicted by int_customer_clv), how likely they are to order soon
    (int_purchase_propensity) and how to reach them. A customer who signed up and never ordered is a `prospect`, with no
    RFM scores: the welcome flow's audience. -#}
with orders as (

    select * from {{ ref('fct_orders') }}
    where customer_id is not null

),

contacts as (

    select * from {{ ref('int_person_contacts') }}
    where customer_id is not null

),

rfm as (

    select * from {{ ref('int_customer_rfm') }}

),

warehouse_clock as (

    select * from {{ ref('int_warehouse_clock') }}

),

predicted_value as (

    select * from {{ ref('int_customer_clv') }}

),

propensity as (

    select * from {{ ref('int_purchase_propensity') }}

),

first_touches as (

    select * from {{ ref('fct_attribution') }}
    where model = 'first_touch'

),

customers as (

    select customer_id from contacts
    union
    select customer_id from orders

),

order_totals as (

    select
        customer_id,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        count(*) as orders,
        cast(sum(revenue_reporting) as decimal(18, 4)) as gross_revenue,
        cast(sum(refunded_amount_reporting) as decimal(18, 4)) as refunded_amount,
        cast(sum(net_revenue) as decimal(18, 4)) as net_revenue
    from orders
    group by customer_id

),

acquisition as (

    {#- The campaign that brought the first order (its first touch in the attribution lookback), as the
        first-touch model credits it: an order with no touch is Direct. -#}
    select
        orders.customer_id,
        first_touches.channel,
        first_touches.source,
        first_touches.medium,
        first_touches.campaign
    from orders
    inner join first_touches
        on orders.order_id = first_touches.order_id
    where orders.is_first_order

),

final as (

    select
        customers.customer_id,
        order_totals.first_order_at,
        order_totals.last_order_at,
        coalesce(order_totals.orders, 0) as orders,
        coalesce(order_totals.gross_revenue, 0) as gross_revenue,
        coalesce(order_totals.refunded_amount, 0) as refunded_amount,
        coalesce(order_totals.net_revenue, 0) as net_revenue,
        cast(order_totals.gross_revenue / nullif(order_totals.orders, 0) as double) as aov,
        cast(rfm.recency_days as bigint) as recency_days,
        cast(
            {{ dbt.datediff('cast(order_totals.first_order_at as date)', 'warehouse_clock.clock_date', 'day') }}
            as bigint
        ) as tenure_days,
        rfm.recency_score,
        rfm.frequency_score,
        rfm.monetary_score,
        rfm.rfm_score,
        coalesce(rfm.rfm_segment, 'prospect') as rfm_segment,
        acquisition.channel as acquisition_channel,
        acquisition.source as acquisition_source,
        acquisition.medium as acquisition_medium,
        acquisition.campaign as acquisition_campaign,
        coalesce(order_totals.net_revenue, 0) as historical_clv,
        predicted_value.predicted_orders_12m,
        predicted_value.probability_alive,
        predicted_value.predicted_clv_12m,
        predicted_value.clv_fit_status,
        propensity.purchase_propensity,
        cast(propensity.propensity_decile as integer) as propensity_decile,
        contacts.email_sha256,
        contacts.phone_sha256,
        coalesce(contacts.can_email, true) as can_email,
        coalesce(contacts.can_sms, false) as can_sms,
        coalesce(contacts.can_email, true) or coalesce(contacts.can_sms, false) as is_contactable
    from customers
    cross join warehouse_clock
    left join order_totals
        on customers.customer_id = order_totals.customer_id
    left join rfm
        on customers.customer_id = rfm.customer_id
    left join acquisition
        on customers.customer_id = acquisition.customer_id
    left join contacts
        on customers.customer_id = contacts.customer_id
    left join predicted_value
        on customers.customer_id = predicted_value.customer_id
    left join propensity
        on customers.customer_id = propensity.customer_id

)

select * from final
