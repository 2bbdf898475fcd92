{#- One row per order, touch and model (CONTRACT sections 8 and 9): how much of the order each touch on its
    path earned under seven models. Per order and model the credits sum to 1 and the attributed revenue to
    the order's revenue, to the cent: each row's revenue is the rounded cumulative share minus the row
    before's, so rounding never loses or invents a cent. Touches a model gives nothing have no row. An
    order with no touch in its lookback gets one (direct) row per model.

    - first_touch, last_touch: everything to the first / last touch.
    - last_non_direct: to the last touch that is not Direct; to the last touch when all are.
    - linear: equal shares.
    - position_based: 40% first, 40% last, 20% shared by the touches between; one touch gets all, two
      get half each.
    - time_decay: weights halving every time_decay_half_life_days before the order.
    - markov: the path's distinct states share the order in proportion to their removal effects
      (int_markov_removal_effects); a state touched several times splits its share equally. -#}

{%- set models = attribution_models() %}

with path_touches as (

    select * from {{ ref('int_order_paths') }}
    where is_conversion

),

orders as (

    select * from {{ ref('fct_orders') }}

),

removal_effects as (

    select * from {{ ref('int_markov_removal_effects') }}

),

video_touches as (

    select * from {{ ref('int_video_touches') }}

),

weighted_touches as (

    select
        path_touches.*,
        max(case when path_touches.channel <> 'Direct' then path_touches.touch_index end)
            over (partition by path_touches.path_id) as last_non_direct_index,
        power(0.5, path_touches.days_before_order / {{ var('time_decay_half_life_days') }}) as decay_weight,
        coalesce(removal_effects.removal_effect, 0)
        / count(*) over (partition by path_touches.path_id, path_touches.markov_state) as markov_weight
    from path_touches
    left join removal_effects
        on path_touches.markov_state = removal_effects.markov_state

),

credits as (

    select
        *,
        {#- Shares as doubles: a decimal literal divided is a decimal on Spark, rounded to 12 places. -#}
        cast(1 as double) / touches_in_path as linear_credit,
        coalesce(
            markov_weight / nullif(sum(markov_weight) over (partition by path_id), 0),
            cast(1 as double) / touches_in_path
        ) as markov_credit,
        decay_weight / sum(decay_weight) over (partition by path_id) as time_decay_credit
    from weighted_touches

),

touch_credits as (

    select
        *,
        'first_touch' as model,
        case when touch_index = 1 then 1.0 else 0 end as credit
    from credits
    union all
    select
        *,
        'last_touch' as model,
        case when touch_index = touches_in_path then 1.0 else 0 end as credit
    from credits
    union all
    select
        *,
        'last_non_direct' as model,
        case when touch_index = coalesce(last_non_direct_index, touches_in_path) then 1.0 else 0 end as credit
    from credits
    union all
    select
        *,
        'linear' as model,
        linear_credit as credit
    from credits
    union all
    select
        *,
        'position_based' as model,
        case
            when touches_in_path <= 2 then linear_credit
            when touch_index in (1, touches_in_path) then 0.4
            else cast(0.2 as double) / (touches_in_path - 2)
        end as credit
    from credits
    union all
    select
        *,
        'time_decay' as model,
        time_decay_credit as credit
    from credits
    union all
    select
        *,
        'markov' as model,
        markov_credit as credit
    from credits

),

touch_videos as (

    {#- The video of a touch: its session's latest hotspot click or in-video cart before the order. -#}
    select
        path_touches.path_id,
        path_touches.touch_index,
        video_touches.video_id,
        row_number() over (
            partition by path_touches.path_id, path_touches.touch_index
            order by video_touches.occurred_at desc, video_touches.event_id desc
        ) as recency_rank
    from path_touches
    inner join video_touches
        on
            path_touches.session_id = video_touches.session_id
            and path_touches.ordered_at > video_touches.occurred_at

),

credited_touches as (

    select
        touch_credits.path_id as order_id,
        touch_credits.model,
        touch_credits.touch_index,
        touch_credits.touch_id,
        touch_credits.session_id,
        touch_credits.touched_at,
        touch_credits.days_before_order,
        touch_credits.channel,
        touch_credits.source,
        touch_credits.medium,
        touch_credits.campaign,
        touch_videos.video_id,
        touch_credits.markov_state,
        cast(touch_credits.credit as double) as credit
    from touch_credits
    left join touch_videos
        on
            touch_credits.path_id = touch_videos.path_id
            and touch_credits.touch_index = touch_videos.touch_index
            and touch_videos.recency_rank = 1
    where touch_credits.credit > 0

),

converting_paths as (

    select distinct path_id from path_touches

),

untouched_orders as (

    select orders.order_id
    from orders
    left join converting_paths
        on orders.order_id = converting_paths.path_id
    where converting_paths.path_id is null

),

direct_credits as (

    {%- for model in models %}
    select
        order_id,
        '{{ model }}' as model,
        0 as touch_index,
        cast(null as {{ dbt.type_string() }}) as touch_id,
        cast(null as {{ dbt.type_string() }}) as session_id,
        cast(null as {{ dbt.type_timestamp() }}) as touched_at,
        cast(null as double) as days_before_order,
        'Direct' as channel,
        '(direct)' as source,
        '(none)' as medium,
        cast(null as {{ dbt.type_string() }}) as campaign,
        cast(null as {{ dbt.type_string() }}) as video_id,
        {{ markov_state("'Direct'", "'(direct)'", "'(none)'") }} as markov_state,
        cast(1 as double) as credit
    from untouched_orders
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

all_credits as (

    select * from credited_touches
    union all
    select * from direct_credits

),

cumulated as (

    select
        all_credits.*,
        orders.revenue_reporting,
        orders.order_date,
        orders.ordered_at,
        orders.person_id,
        orders.customer_id,
        orders.is_first_order,
        sum(all_credits.credit) over (
            partition by all_credits.order_id, all_credits.model
            order by all_credits.touch_index
            rows between unbounded preceding and current row
        ) as cumulative_credit
    from all_credits
    inner join orders
        on all_credits.order_id = orders.order_id

),

final as (

    select
        cumulated.order_id,
        cumulated.model,
        cast(cumulated.touch_index as integer) as touch_index,
        cumulated.touch_id,
        cumulated.session_id,
        cumulated.touched_at,
        cumulated.days_before_order,
        cumulated.channel,
        cumulated.source,
        cumulated.medium,
        cumulated.campaign,
        cumulated.video_id,
        cumulated.markov_state,
        cumulated.credit,
        -- The row before's own cumulative share, not this one's minus its credit: in floating point the two
        -- can round to different sides of a half-cent, and the order's rows would not add up. Rounded as
        -- decimals: engines round a double that lies a hair off a half-cent differently (DuckDB scales it and
        -- rounds, Spark rounds its exact binary value), a decimal alike.
        cast(
            round(cast(cumulated.revenue_reporting * least(cumulated.cumulative_credit, 1.0) as decimal(38, 10)), 4)
            - round(
                cast(
                    cumulated.revenue_reporting
                    * least(
                        coalesce(
                            lag(cumulated.cumulative_credit) over (
                                partition by cumulated.order_id, cumulated.model order by cumulated.touch_index
                            ),
                            0
                        ),
                        1.0
                    )
                    as decimal(38, 10)
                ),
                4
            )
            as decimal(18, 4)
        ) as attributed_revenue,
        cumulated.order_date,
        cumulated.ordered_at,
        cumulated.person_id,
        cumulated.customer_id,
        cumulated.is_first_order
    from cumulated

)

select * from final
