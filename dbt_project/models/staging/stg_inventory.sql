with inventory as (

    select * from {{ source('raw', 'inventory') }}

),

latest_snapshot as (

    {#- A re-sent snapshot of the same day replaces the earlier one. -#}
    select *
    from inventory
    qualify row_number() over (
        partition by snapshot_date, product_id order by load_id desc, source_line desc
    ) = 1

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
