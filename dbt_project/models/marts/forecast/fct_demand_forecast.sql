{#- Each product's demand forecast for the next forecast_horizon_days days, from its selected model, with
    the 80% interval and the revenue it would bring at the product's realised price. -#}

with fit as (

    select * from {{ ref('int_demand_forecast_fit') }}
    where result_kind = 'forecast'

),

product_days as (

    select * from {{ ref('int_product_daily') }}

),

products as (

    select * from {{ ref('stg_products') }}

),

realised_prices as (

    {#- What a unit brought, in the reporting currency; the list price where the product never sold and is
        priced in the reporting currency already. -#}
    select
        product_days.product_id,
        coalesce(
            sum(product_days.revenue_reporting) / nullif(sum(product_days.units_sold), 0),
            max(case when products.currency = '{{ var("reporting_currency") }}' then products.list_price end)
        ) as unit_price_reporting
    from product_days
    left join products
        on product_days.product_id = products.product_id
    group by 1

),

final as (

    select
        cast(fit.product_id as {{ dbt.type_string() }}) as product_id,
        cast(fit.date_day as date) as date_day,
        cast(fit.model as {{ dbt.type_string() }}) as model,
        cast(fit.forecast_units as double) as forecast_units,
        cast(fit.forecast_low_80 as double) as forecast_low_80,
        cast(fit.forecast_high_80 as double) as forecast_high_80,
        cast(realised_prices.unit_price_reporting as double) as unit_price_reporting,
        cast(fit.forecast_units * realised_prices.unit_price_reporting as double) as forecast_revenue,
        cast(fit.fitted_through as date) as fitted_through,
        cast(fit.fitted_at as {{ instant_type() }}) as fitted_at
    from fit
    left join realised_prices
        on fit.product_id = realised_prices.product_id

)

select * from final
