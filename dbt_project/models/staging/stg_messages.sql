{#- The messaging tool exports a send again as opens and clicks come in: the latest delivery of a message
    is what it knows now. -#}
with latest_report as (

    {{ latest_landed(source('raw', 'messages'), ['message_id']) }}

),

final as (

    select
        message_id,
        lower(flow) as flow,
        lower(channel) as channel,
        customer_id,
        anonymous_id,
        sent_at,
        opened_at,
        clicked_at,
        unsubscribed_at,
        is_control,
        load_id
    from latest_report

)

select * from final
