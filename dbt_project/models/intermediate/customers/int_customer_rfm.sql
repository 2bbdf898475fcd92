{#- RFM (CONTRACT section 9) over the customers who ordered. Each score is a quintile of rank position, 1 to
    5, in which ties resolve toward the state of a new customer (recent, one order, little spent): R is 5
    minus the fifths of customers who ordered more recently, F is 1 plus the fifths who ordered less often,
    M is 1 plus the fifths who spent less. So the many one-order customers of a young shop all score F = 1,
    the customers of its last day all score R = 5, and no arbitrary tie-break spreads equal customers over
    several quintiles.

    Segments follow the recency x frequency grid most RFM maps use; the first rule that matches names it:
      champions           R >= 4 and F >= 4   bought recently and often
      loyal               R >= 3 and F >= 3   buy regularly
      cant_lose           R <= 2 and F >= 4   were among the most frequent, gone quiet
      at_risk             R <= 2 and F >= 2   bought more than once, long ago
      new                 R >= 4 and F = 1    first order, recently
      potential_loyalist  R >= 3              recent, few orders so far
      hibernating         R = 2               one order, a while ago
      lost                R = 1               one order, long ago
    Monetary is scored and reported but names no segment: in the first years of a shop it moves with
    frequency, and a single large order should not make a champion. -#}
with orders as (

    select * from {{ ref('fct_orders') }}
    where customer_id is not null

),

warehouse_clock as (

    select * from {{ ref('int_warehouse_clock') }}

),

customer_orders as (

    select
        orders.customer_id,
        count(*) as orders,
        sum(orders.net_revenue) as net_revenue,
        max(orders.order_date) as last_order_date,
        max(warehouse_clock.clock_date) as clock_date
    from orders
    cross join warehouse_clock
    group by orders.customer_id

),

with_recency as (

    select
        *,
        {{ dbt.datediff('last_order_date', 'clock_date', 'day') }} as recency_days  -- noqa: LT05
    from customer_orders

),

ranked as (

    select
        *,
        percent_rank() over (order by recency_days) as more_recent_share,
        percent_rank() over (order by orders) as fewer_orders_share,
        percent_rank() over (order by net_revenue) as lower_spend_share
    from with_recency

),

scored as (

    select
        customer_id,
        recency_days,
        orders,
        net_revenue,
        greatest(1, 5 - cast(floor(5 * more_recent_share) as integer)) as recency_score,
        least(5, 1 + cast(floor(5 * fewer_orders_share) as integer)) as frequency_score,
        least(5, 1 + cast(floor(5 * lower_spend_share) as integer)) as monetary_score
    from ranked

),

final as (

    select
        customer_id,
        recency_days,
        orders,
        net_revenue,
        recency_score,
        frequency_score,
        monetary_score,
        cast(recency_score as {{ dbt.type_string() }})
        || cast(frequency_score as {{ dbt.type_string() }})
        || cast(monetary_score as {{ dbt.type_string() }}) as rfm_score,
        case
            when recency_score >= 4 and frequency_score >= 4 then 'champions'
            when recency_score >= 3 and frequency_score >= 3 then 'loyal'
            when recency_score <= 2 and frequency_score >= 4 then 'cant_lose'
            when recency_score <= 2 and frequency_score >= 2 then 'at_risk'
            when recency_score >= 4 and frequency_score = 1 then 'new'
            when recency_score >= 3 then 'potential_loyalist'
            when recency_score = 2 then 'hibernating'
            else 'lost'
        end as rfm_segment
    from scored

)

select * from final
