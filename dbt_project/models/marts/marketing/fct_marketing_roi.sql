{#- One row per day, channel and campaign: what the ad platforms billed, the sessions the campaign brought
    and the orders, revenue and new customers the attribution model of var `attribution_model` credits to
    it, with the ratios of CONTRACT section 9. Each side is booked on its own day: spend on the day the
    platform reports, sessions on their start day, orders on their order day (reporting time zone).

    Spend and touches meet on the campaign name exactly as the ad platform and the utm_campaign spell it;
    an ad platform's channel comes from seeds/ad_platforms.csv (an unlisted platform is Other). A row that
    lacks a side has 0 sessions and orders, and null spend, impressions and clicks: no spend report is not
    a spend of 0, so its ratios over spend stay null. -#}

{%- set no_campaign = "'(none)'" %}

with ad_spend as (

    select * from {{ ref('stg_ad_spend') }}

),

ad_platforms as (

    select * from {{ ref('ad_platforms') }}

),

sessions as (

    select * from {{ ref('fct_sessions') }}

),

credits as (

    select * from {{ ref('fct_attribution') }}
    where model = '{{ var("attribution_model") }}'

),

spend_in_reporting_currency as (

    select
        ad_spend.spend_date as date_day,
        coalesce(ad_platforms.channel, 'Other') as channel,
        ad_spend.campaign_name as campaign,
        cast(ad_spend.spend * {{ fx_rate('rates', 'ad_spend.currency') }} as decimal(18, 4)) as spend,
        ad_spend.impressions,
        ad_spend.clicks
    from ad_spend
    left join ad_platforms
        on ad_spend.platform = ad_platforms.platform
    {{ join_fx_rate('rates', 'ad_spend.currency', 'ad_spend.spend_date') }}

),

daily_spend as (

    select
        date_day,
        channel,
        campaign,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from spend_in_reporting_currency
    group by date_day, channel, campaign

),

daily_sessions as (

    select
        session_date as date_day,
        channel,
        coalesce(campaign, {{ no_campaign }}) as campaign,
        count(*) as sessions
    from sessions
    group by session_date, channel, coalesce(campaign, {{ no_campaign }})

),

daily_credits as (

    select
        order_date as date_day,
        channel,
        coalesce(campaign, {{ no_campaign }}) as campaign,
        sum(credit) as orders,
        sum(credit) filter (where is_first_order) as new_customers,
        sum(attributed_revenue) as attributed_revenue
    from credits
    group by order_date, channel, coalesce(campaign, {{ no_campaign }})

),

day_channel_campaigns as (

    {#- The keys of all three sides: what a full outer join of spend, sessions and credits gives. -#}
    select
        date_day,
        channel,
        campaign
    from daily_spend
    union
    select
        date_day,
        channel,
        campaign
    from daily_sessions
    union
    select
        date_day,
        channel,
        campaign
    from daily_credits

),

final as (

    select
        keys.date_day,
        keys.channel,
        keys.campaign,
        cast(daily_spend.spend as decimal(18, 4)) as spend,
        cast(daily_spend.impressions as bigint) as impressions,
        cast(daily_spend.clicks as bigint) as clicks,
        {{ click_through_rate('daily_spend.clicks', 'daily_spend.impressions') }} as paid_ctr,
        coalesce(daily_sessions.sessions, 0) as sessions,
        cast(coalesce(daily_credits.orders, 0) as double) as orders,
        cast(coalesce(daily_credits.new_customers, 0) as double) as new_customers,
        cast(coalesce(daily_credits.attributed_revenue, 0) as decimal(18, 4)) as attributed_revenue,
        {{ cost_per('daily_spend.spend', 'daily_credits.orders') }} as cpa,
        {{ cost_per('daily_spend.spend', 'daily_credits.new_customers') }} as cac,
        {{ roas('coalesce(daily_credits.attributed_revenue, 0)', 'daily_spend.spend') }} as roas,
        {{ roi('coalesce(daily_credits.attributed_revenue, 0)', 'daily_spend.spend') }} as roi
    from day_channel_campaigns as keys
    left join daily_spend
        on
            keys.date_day = daily_spend.date_day
            and keys.channel = daily_spend.channel
            and keys.campaign = daily_spend.campaign
    left join daily_sessions
        on
            keys.date_day = daily_sessions.date_day
            and keys.channel = daily_sessions.channel
            and keys.campaign = daily_sessions.campaign
    left join daily_credits
        on
            keys.date_day = daily_credits.date_day
            and keys.channel = daily_credits.channel
            and keys.campaign = daily_credits.campaign

)

select * from final
