{#- The first-order Markov chain over every path, converting or not (CONTRACT section 9), as transition
    counts: (start) into each path's first state, each state into the next touch's (a repeat is a
    self-loop, which leaves removal effects unchanged), and the last state into (conversion) or (null).
    Counting is SQL's job; int_markov_removal_effects solves the chain. -#}

with path_touches as (

    select * from {{ ref('int_order_paths') }}

),

steps as (

    select
        coalesce(lag(markov_state) over (partition by path_id order by touch_index), '(start)') as from_state,
        markov_state as to_state
    from path_touches

),

path_ends as (

    select
        markov_state as from_state,
        case when is_conversion then '(conversion)' else '(null)' end as to_state
    from path_touches
    where touch_index = touches_in_path

),

final as (

    select
        from_state,
        to_state,
        count(*) as transitions
    from (
        select * from steps
        union all
        select * from path_ends
    ) as all_steps
    group by from_state, to_state

)

select * from final
