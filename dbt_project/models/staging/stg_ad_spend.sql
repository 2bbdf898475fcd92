with latest_report as (

    {{ latest_landed(source('raw', 'ad_spend'), ['date', 'platform', 'campaign']) }}

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
