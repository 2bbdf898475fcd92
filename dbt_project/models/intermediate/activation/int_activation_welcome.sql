{#- Welcome's trigger: a person's first sign-up, within welcome_window_days before the warehouse's clock,
    and no order of theirs at all ("signed up, no order yet": someone who ordered before signing up is a
    customer already). The message may go at once; it suggests the shop's 30-day best sellers. A return
    visit does not stop the flow: it is what a welcome wants. -#}

with sign_ups as (

    select * from {{ ref('int_activation_events') }}
    where event_name = 'sign_up'

),

orders as (

    select * from {{ ref('int_orders') }}

),

best_sellers as (

    {{ best_seller_suggestions() }}

),

warehouse_clock as (

    select * from {{ ref('int_warehouse_clock') }}

),

ranked_sign_ups as (

    select
        person_id,
        occurred_at,
        sign_up_method,
        row_number() over (partition by person_id order by occurred_at, event_id) as sign_up_index
    from sign_ups

),

first_sign_ups as (

    select
        ranked_sign_ups.person_id,
        ranked_sign_ups.occurred_at as signed_up_at,
        ranked_sign_ups.sign_up_method
    from ranked_sign_ups
    cross join warehouse_clock
    left join orders
        on ranked_sign_ups.person_id = orders.person_id
    where
        ranked_sign_ups.sign_up_index = 1
        and orders.person_id is null
        and ranked_sign_ups.occurred_at
        > {{ dbt.dateadd('day', -var('welcome_window_days'), 'warehouse_clock.clock_at') }}

),

final as (

    select
        first_sign_ups.person_id,
        first_sign_ups.signed_up_at as triggered_at,
        first_sign_ups.signed_up_at as send_after,
        'signed up at ' || {{ reporting_time_text('first_sign_ups.signed_up_at') }}
        || coalesce(' (' || first_sign_ups.sign_up_method || ')', '') || ' and has not ordered yet' as reason,
        cast(null as {{ json_type() }}) as items,
        cast(null as {{ dbt.type_string() }}) as video_id,
        cast(null as {{ dbt.type_string() }}) as search_query,
        best_sellers.recommended_products,
        cast(null as integer) as stage
    from first_sign_ups
    cross join best_sellers

)

select * from final
