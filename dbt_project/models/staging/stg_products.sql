with latest_version as (

    {{ latest_landed(source('raw', 'products'), ['product_id']) }}

),

final as (

    select
        product_id,
        name as product_name,
        category,
        brand,
        price as list_price,
        upper(currency) as currency,
        unit_cost,
        load_id
    from latest_version

)

select * from final
