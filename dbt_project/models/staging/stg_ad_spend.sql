with ad_spend as (

    select * from {{ source('raw', 'ad_spend') }}

),

latest_report as (

    select *
    from ad_spend
    qualify row_number() over (
        partition by date, platform, campaign order by load_id desc, source_line desc
    ) = 1

),

final as (

    select
        date as spend_date,
        lower(platform) as platform,
        campaign as campaign_name,
        spend,
        upper(currency) as currency,
        impressions,
        clicks,
        load_id
    from latest_report

)

select * from final
