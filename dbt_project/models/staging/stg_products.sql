with products as (

    select * from {{ source('raw', 'products') }}

),

latest_version as (

    {#- A product landed again in a later catalog file takes that file's values. -#}
    select *
    from products
    qualify row_number() over (partition by product_id order by load_id desc, source_line desc) = 1

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
