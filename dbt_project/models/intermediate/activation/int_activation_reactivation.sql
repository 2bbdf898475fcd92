{#- Reactivation's trigger: a person whose last sign of life - the end of their last visit or their last
    order, whichever is later - lies at least reactivation_after_days before the warehouse's clock. The
    trigger is that last sign; the message may go once the days have passed. A return (a visit or an order)
    is a new last sign, so coming back stops the flow by definition. Suggests the 30-day best sellers. -#}

with sessions as (

    select * from {{ ref('int_sessions') }}

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

signs_of_life as (

    select
        person_id,
        ended_at as seen_at
    from sessions

    union all

    select
        person_id,
        ordered_at as seen_at
    from orders

),

last_seen as (

    select
        person_id,
        max(seen_at) as last_seen_at
    from signs_of_life
    group by person_id

),

final as (

    select
        last_seen.person_id,
        last_seen.last_seen_at as triggered_at,
        {{ dbt.dateadd('day', var('reactivation_after_days'), 'last_seen.last_seen_at') }} as send_after,
        'no order and no visit since ' || {{ reporting_time_text('last_seen.last_seen_at') }}
        || ' (' || {{ dbt.datediff('last_seen.last_seen_at', 'warehouse_clock.clock_at', 'day') }}
        || ' days)' as reason,
        cast(null as {{ json_type() }}) as items,
        cast(null as {{ dbt.type_string() }}) as video_id,
        cast(null as {{ dbt.type_string() }}) as search_query,
        best_sellers.recommended_products,
        cast(null as integer) as stage
    from last_seen
    cross join warehouse_clock
    cross join best_sellers
    where
        {{ dbt.dateadd('day', var('reactivation_after_days'), 'last_seen.last_seen_at') }}
        <= warehouse_clock.clock_at

)

select * from final
