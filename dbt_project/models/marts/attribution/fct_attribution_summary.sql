{#- One row per attribution model, channel and campaign (CONTRACT section 8): what each model credits to
    a campaign over the whole history, beside what the campaign cost, so the models can be compared
    side by side. Spend comes from fct_marketing_roi (ad spend in the reporting currency, mapped to its
    channel); a campaign with spend and no credited order has a row under every model. -#}

{%- set models = attribution_models() %}

with attribution as (

    select * from {{ ref('fct_attribution') }}

),

marketing as (

    select * from {{ ref('fct_marketing_roi') }}

),

credited as (

    select
        model,
        channel,
        coalesce(campaign, '(none)') as campaign,
        sum(credit) as conversions,
        sum(case when is_first_order then credit else 0 end) as new_customers,
        sum(attributed_revenue) as attributed_revenue
    from attribution
    group by model, channel, coalesce(campaign, '(none)')

),

spend as (

    select
        channel,
        campaign,
        sum(spend) as spend
    from marketing
    group by channel, campaign
    having sum(spend) is not null

),

models as (

    {%- for model in models %}
    select '{{ model }}' as model
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

campaigns as (

    select
        models.model,
        spend.channel,
        spend.campaign
    from models
    cross join spend
    union
    select
        model,
        channel,
        campaign
    from credited

),

final as (

    select
        campaigns.model,
        campaigns.channel,
        campaigns.campaign,
        cast(coalesce(credited.conversions, 0) as double) as conversions,
        cast(coalesce(credited.new_customers, 0) as double) as new_customers,
        cast(coalesce(credited.attributed_revenue, 0) as decimal(18, 4)) as attributed_revenue,
        cast(spend.spend as decimal(18, 4)) as spend,
        cast(coalesce(credited.attributed_revenue, 0) as double) / nullif(spend.spend, 0) as roas,
        cast(spend.spend as double) / nullif(credited.conversions, 0) as cpa
    from campaigns
    left join credited
        on
            campaigns.model = credited.model
            and campaigns.channel = credited.channel
            and campaigns.campaign = credited.campaign
    left join spend
        on campaigns.channel = spend.channel and campaigns.campaign = spend.campaign

)

select * from final
