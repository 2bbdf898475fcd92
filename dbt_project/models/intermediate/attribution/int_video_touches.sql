{#- The in-video interactions video credit is given to (CONTRACT section 8, fct_video_attribution): every
    hotspot click, and every add_to_cart or buy_now fired inside a video, with its person (the one person
    rule), session, video, hotspot and product. -#}

with video_events as (

    select * from {{ ref('int_video_events') }}

),

final as (

    select
        event_id,
        session_id,
        person_id,
        video_id,
        hotspot_id,
        product_id,
        case when event_name = 'hotspot_click' then 'hotspot_click' else 'in_video_cart' end as interaction,
        occurred_at
    from video_events
    where event_name = 'hotspot_click' or is_in_video_intent

)

select * from final
