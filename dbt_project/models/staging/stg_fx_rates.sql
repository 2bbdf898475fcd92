with latest_rate as (

    {{ latest_landed(source('raw', 'fx_rates'), ['date', 'upper(currency)']) }}

),

final as (

    select
        date as rate_date,
        upper(currency) as currency,
        rate_to_reporting,
        load_id
    from latest_rate

)

select * from final
