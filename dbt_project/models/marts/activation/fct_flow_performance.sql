{#- What each activation flow earns over doing nothing (CONTRACT section 8), per flow and week of sent_at
    (reporting time zone, weeks start on Monday). The unit is a send: a messaged person or a person the flow
    held back in its control group, and its outcome is the orders of that person (the one person rule) in
    the flow_outcome_window_days after sent_at, at their net revenue. Random holds make the control a fair
    picture of the messaged without the message, so the difference of the two means, times the messaged,
    is the revenue the flow added; its standard error is Welch's (each group's own sample variance), and the
    95% interval the normal approximation. A send whose window the warehouse clock has not closed yet has
    an unknown outcome: it counts in pending_sends only, never in the comparison. -#}
{%- set z_95 = 1.96 -%}

with clock as (

    select clock_at from {{ ref('int_warehouse_clock') }}

),

people as (

    select * from {{ ref('int_people') }}

),

sends as (

    select
        messages.message_id,
        messages.flow,
        messages.is_control,
        messages.sent_at,
        messages.opened_at,
        messages.clicked_at,
        coalesce(messages.customer_id, people.customer_id, messages.anonymous_id) as person_id,
        cast({{ dbt.date_trunc('week', reporting_date('messages.sent_at')) }} as date) as week_start,
        {{ dbt.dateadd('day', var('flow_outcome_window_days'), 'messages.sent_at') }} as window_end_at
    from {{ ref('stg_messages') }} as messages
    left join people
        on messages.anonymous_id = people.anonymous_id

),

judged_sends as (

    select
        sends.*,
        sends.window_end_at <= clock.clock_at as is_window_closed
    from sends
    cross join clock

),

orders as (

    select
        order_id,
        person_id,
        ordered_at,
        net_revenue
    from {{ ref('fct_orders') }}

),

outcomes as (

    select
        judged_sends.message_id,
        count(orders.order_id) as orders,
        coalesce(sum(cast(orders.net_revenue as double)), 0) as revenue
    from judged_sends
    left join orders
        on
            judged_sends.person_id = orders.person_id
            and judged_sends.sent_at < orders.ordered_at
            and judged_sends.window_end_at >= orders.ordered_at
    where judged_sends.is_window_closed
    group by judged_sends.message_id

),

send_outcomes as (

    select
        judged_sends.flow,
        judged_sends.week_start,
        judged_sends.is_control,
        judged_sends.is_window_closed,
        judged_sends.opened_at,
        judged_sends.clicked_at,
        outcomes.orders,
        outcomes.revenue
    from judged_sends
    left join outcomes
        on judged_sends.message_id = outcomes.message_id

),

groups as (

    select
        flow,
        week_start,
        count(case when is_window_closed and not is_control then 1 end) as messaged,
        count(case when is_window_closed and is_control then 1 end) as control,
        count(case when not is_window_closed then 1 end) as pending_sends,
        count(case when is_window_closed and not is_control and opened_at is not null then 1 end) as opened,
        count(case when is_window_closed and not is_control and clicked_at is not null then 1 end) as clicked,
        cast(sum(case when not is_control then orders end) as bigint) as orders_messaged,
        sum(case when not is_control then revenue end) as revenue_messaged,
        cast(sum(case when is_control then orders end) as bigint) as orders_control,
        sum(case when is_control then revenue end) as revenue_control,
        var_samp(case when not is_control then revenue end) as revenue_variance_messaged,
        var_samp(case when is_control then revenue end) as revenue_variance_control,
        var_samp(case when not is_control then orders end) as orders_variance_messaged,
        var_samp(case when is_control then orders end) as orders_variance_control
    from send_outcomes
    group by flow, week_start

),

differences as (

    select
        flow,
        week_start,
        messaged as sent,
        control,
        pending_sends,
        opened,
        clicked,
        cast(opened as double) / nullif(messaged, 0) as open_rate,
        cast(clicked as double) / nullif(messaged, 0) as click_rate,
        coalesce(orders_messaged, 0) as orders_messaged,
        coalesce(revenue_messaged, 0) as revenue_messaged,
        coalesce(orders_control, 0) as orders_control,
        coalesce(revenue_control, 0) as revenue_control,
        revenue_messaged / nullif(messaged, 0) as revenue_per_messaged,
        revenue_control / nullif(control, 0) as revenue_per_control,
        (revenue_messaged / nullif(messaged, 0) - revenue_control / nullif(control, 0)) * messaged
            as incremental_revenue,
        sqrt(revenue_variance_messaged / nullif(messaged, 0) + revenue_variance_control / nullif(control, 0))
        * messaged
            as incremental_revenue_se,
        (cast(orders_messaged as double) / nullif(messaged, 0) - cast(orders_control as double) / nullif(control, 0))
        * messaged as incremental_orders,
        sqrt(orders_variance_messaged / nullif(messaged, 0) + orders_variance_control / nullif(control, 0))
        * messaged
            as incremental_orders_se
    from groups

),

final as (

    select
        flow,
        week_start,
        sent,
        control,
        pending_sends,
        opened,
        clicked,
        open_rate,
        click_rate,
        orders_messaged,
        revenue_messaged,
        orders_control,
        revenue_control,
        revenue_per_messaged,
        revenue_per_control,
        incremental_revenue,
        incremental_revenue_se,
        incremental_revenue - {{ z_95 }} * incremental_revenue_se as ci_low,
        incremental_revenue + {{ z_95 }} * incremental_revenue_se as ci_high,
        incremental_orders,
        incremental_orders_se,
        incremental_orders - {{ z_95 }} * incremental_orders_se as incremental_orders_ci_low,
        incremental_orders + {{ z_95 }} * incremental_orders_se as incremental_orders_ci_high,
        coalesce(
            incremental_revenue - {{ z_95 }} * incremental_revenue_se > 0
            or incremental_revenue + {{ z_95 }} * incremental_revenue_se < 0,
            false
        ) as is_significant
    from differences

)

select * from final
