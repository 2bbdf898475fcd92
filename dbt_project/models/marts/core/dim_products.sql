{#- The product catalog as analysts slice by it: one row per product, its latest landed version. -#}

with products as (

    select * from {{ ref('stg_products') }}

),

final as (

    select
        product_id,
        product_name,
        category,
        brand,
        list_price,
        unit_cost,
        currency
    from products

)

select * from final
