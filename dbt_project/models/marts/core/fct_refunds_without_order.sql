{#- Refunds of orders the warehouse does not hold: kept and shown, never booked against revenue. Either the
    purchase has not arrived yet (it is matched, and the refund leaves this mart, the run it lands) or the
    tracker lost it. A table rebuilt every run from int_refunds. -#}

with refunds as (

    select * from {{ ref('int_refunds') }}
    where not has_order

),

final as (

    select
        event_id,
        refund_id,
        order_id,
        customer_id,
        person_id,
        anonymous_id,
        is_server_side,
        refunded_at,
        refund_date,
        currency,
        amount,
        amount_reporting,
        load_id
    from refunds

)

select * from final
