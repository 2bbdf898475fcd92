{#- How well the purchase-propensity model ranks and how honest its probabilities are, judged on customers
    it never trained on (int_propensity_evaluation): one row per decile of predicted probability. -#}

with evaluation as (

    select * from {{ ref('int_propensity_evaluation') }}

),

final as (

    select
        cast(decile as integer) as decile,
        cast(customers as bigint) as customers,
        cast(predicted_mean as double) as predicted_mean,
        cast(observed_rate as double) as observed_rate,
        cast(orders as bigint) as orders,
        cast(auc as double) as auc,
        cutoff_at,
        cast(horizon_days as integer) as horizon_days,
        cast(model as {{ dbt.type_string() }}) as model,
        cast(trained_customers as bigint) as trained_customers,
        cast(evaluated_customers as bigint) as evaluated_customers
    from evaluation

)

select * from final
