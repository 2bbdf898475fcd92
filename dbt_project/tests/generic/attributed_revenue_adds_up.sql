{#- Attribution test (CONTRACT section 9): under every model, an order's attributed revenue adds up to
    its revenue in the reporting currency, to the cent, and every order is credited. -#}
{% test attributed_revenue_adds_up(model, orders) %}
with credited as (
    select order_id, model, sum(attributed_revenue) as attributed_revenue
    from {{ model }}
    group by order_id, model
),
models as (
    select distinct model from {{ model }}
)
select orders.order_id, models.model, orders.revenue_reporting, credited.attributed_revenue
from {{ orders }} as orders
cross join models
left join credited
    on orders.order_id = credited.order_id and models.model = credited.model
where credited.attributed_revenue is distinct from orders.revenue_reporting
{% endtest %}
