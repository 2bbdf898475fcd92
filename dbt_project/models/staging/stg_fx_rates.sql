with fx_rates as (

    select * from {{ source('raw', 'fx_rates') }}

),

latest_rate as (

    select *
    from fx_rates
    qualify row_number() over (partition by date, upper(currency) order by load_id desc, source_line desc) = 1

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
