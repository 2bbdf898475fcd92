{#- Abandoned stream intent (CONTRACT sections 8 and 9): one row per person x video whose last in-video
    add_to_cart or buy_now got no order from the person within abandonment_window_hours, the window
    having closed by the warehouse's clock. What a recovery message needs: who (and whether we may
    write to them), which video and products, what the cart was worth and how far into checkout the
    person got before leaving. The judgement is made once, in int_stream_intents. -#}

with stream_intents as (

    select * from {{ ref('int_stream_intents') }}
    where status = 'abandoned'

),

final as (

    select
        person_id,
        customer_id,
        anonymous_id,
        video_id,
        first_intent_at,
        last_intent_at,
        last_intent_date,
        window_closes_at,
        intents,
        products,
        intent_value,
        currency,
        is_contactable,
        email_sha256,
        furthest_checkout_step_after_intent,
        furthest_checkout_step,
        furthest_checkout_step_name
    from stream_intents

)

select * from final
