{#- How well each model forecast each product on the rolling-origin backtest, and which one the product's
    forecast uses; the catalog rows ('(catalog)') hold each model's WAPE across every product. -#}

with fit as (

    select * from {{ ref('int_demand_forecast_fit') }}
    where result_kind = 'accuracy'

),

final as (

    select
        cast(coalesce(product_id, '(catalog)') as {{ dbt.type_string() }}) as product_id,
        cast(model as {{ dbt.type_string() }}) as model,
        product_id is null as is_catalog,
        cast(demand_class as {{ dbt.type_string() }}) as demand_class,
        cast(mase as double) as mase,
        cast(wape as double) as wape,
        cast(bias as double) as bias,
        cast(is_selected as boolean) as is_selected,
        cast(windows as integer) as windows,
        cast(first_cutoff as date) as first_cutoff,
        cast(last_cutoff as date) as last_cutoff,
        cast(fitted_at as {{ instant_type() }}) as fitted_at
    from fit

)

select * from final
