{#- Where people drop after an in-video intent: one row per funnel stage (the intent, began checkout,
    each checkout step of the shop, purchase) with the people who reached it within
    abandonment_window_hours after their intent. Only pairs whose outcome is known (converted or
    abandoned) count: a pending person may still walk on. A person reaches a stage when they reached it
    or any later one, so the funnel never widens; a purchase passes every stage. A person with intents
    on several videos counts once, at the furthest stage any of them reached.

    The steps come from the checkout_step events themselves (number and name), so a shop adding a step
    gets a row for it without a code change. In the generated shop the steps are shipping (address),
    shipping_cost (the shipping price is revealed) and payment: the drop at payment is the people who
    saw the shipping cost and left, the abandonment reason the research ranks first. -#}

with stream_intents as (

    select * from {{ ref('int_stream_intents') }}
    where status in ('converted', 'abandoned')

),

checkout_step_events as (

    select * from {{ ref('stg_events') }}
    where event_name = 'checkout_step' and not is_bot

),

checkout_steps as (

    select
        checkout_step,
        mode(checkout_step_name) as step_name
    from checkout_step_events
    group by checkout_step

),

stages as (

    select
        0 as stage_index,
        'intent' as stage,
        cast(null as integer) as checkout_step,
        cast(null as {{ dbt.type_string() }}) as step_name
    union all
    select
        1 as stage_index,
        'began_checkout' as stage,
        null as checkout_step,
        null as step_name
    union all
    select
        1 + checkout_step as stage_index,
        'checkout_step_' || checkout_step as stage,
        checkout_step,
        step_name
    from checkout_steps
    union all
    select
        2 + coalesce(max(checkout_step), 0) as stage_index,
        'purchase' as stage,
        null as checkout_step,
        null as step_name
    from checkout_steps

),

people_progress as (

    select
        person_id,
        bool_or(status = 'converted') as purchased,
        bool_or(began_checkout_after_intent or furthest_checkout_step is not null) as began_checkout,
        max(furthest_checkout_step) as furthest_checkout_step
    from stream_intents
    group by person_id

),

reached as (

    select
        stages.stage_index,
        stages.stage,
        stages.checkout_step,
        stages.step_name,
        count(people_progress.person_id) as people
    from stages
    left join people_progress
        on
            people_progress.purchased
            or stages.stage = 'intent'
            or (stages.stage = 'began_checkout' and people_progress.began_checkout)
            or stages.checkout_step <= people_progress.furthest_checkout_step
    group by stages.stage_index, stages.stage, stages.checkout_step, stages.step_name

),

final as (

    select
        stage_index,
        stage,
        checkout_step,
        step_name,
        people,
        lag(people) over (order by stage_index) - people as people_dropped,
        cast(people as double) / nullif(first_value(people) over (order by stage_index), 0) as share_of_intents,
        cast(lag(people) over (order by stage_index) - people as double)
        / nullif(lag(people) over (order by stage_index), 0) as drop_from_previous
    from reached

)

select * from final
