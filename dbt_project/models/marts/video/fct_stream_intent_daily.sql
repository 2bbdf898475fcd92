{#- In-video purchase intent per day and video: how many (person, video) pairs showed intent, how many
    ordered within abandonment_window_hours anyway (recovered), how many did not (abandoned) and how many
    are still inside their window (pending), and the value abandoned. A pair counts on the day of its last
    intent in the reporting time zone, the moment its window starts from. -#}

with stream_intents as (

    select * from {{ ref('int_stream_intents') }}

),

final as (

    select
        last_intent_date as intent_date,
        video_id,
        count(*) as intents,
        count(*) filter (where status = 'converted') as recovered,
        count(*) filter (where status = 'abandoned') as abandoned,
        count(*) filter (where status = 'pending') as pending,
        cast(sum(intent_value) as decimal(18, 4)) as intent_value,
        cast(coalesce(sum(intent_value) filter (where status = 'abandoned'), 0) as decimal(18, 4))
            as value_left_on_table,
        {#- Over the pairs whose outcome is known: a pending pair is neither recovered nor lost yet. -#}
        cast(count(*) filter (where status = 'converted') as double)
        / nullif(count(*) filter (where status in ('converted', 'abandoned')), 0) as recovery_rate
    from stream_intents
    group by last_intent_date, video_id

)

select * from final
