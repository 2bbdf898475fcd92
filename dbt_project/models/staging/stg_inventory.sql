with latest_snapshot as (

    {{ latest_landed(source('raw', 'inventory'), ['snapshot_date', 'product_id']) }}

),

final as (

    select
        snapshot_date,
        product_id,
        units_on_hand,
        units_on_hand = 0 as is_out_of_stock,
        load_id
    from latest_snapshot

)

select * from final
