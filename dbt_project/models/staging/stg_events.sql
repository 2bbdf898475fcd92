{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail'
    )
}}
{#- A table, not a view: every later model reads these typed columns, and parsing the JSON of every
    event once per load is far cheaper than once per query. raw.events is append-only and each row's
    staging depends on that row alone, so appending the new loads equals a full rebuild. -#}

with events as not materialized (

    select * from {{ source('raw', 'events') }}
    {% if is_incremental() %}
    where load_id > (select coalesce(max(existing.load_id), 0) from {{ this }} as existing)
    {% endif %}

),

bot_patterns as (

    select
        pattern,
        bot_family
    from {{ ref('bot_user_agents') }}

),

extracted as (

    select
        *,
        json_extract_string(page, ['$.url', '$.referrer', '$.title']) as page_fields,
        json_extract_string(
            campaign, ['$.source', '$.medium', '$.name', '$.content', '$.term', '$.click_id']
        ) as campaign_fields,
        json_extract_string(
            context, ['$.device_type', '$.user_agent', '$.ip', '$.country', '$.locale']
        ) as context_fields,
        json_extract_string(properties, [
            '$.product_id', '$.price', '$.currency', '$.quantity', '$.video_id', '$.hotspot_id',
            '$.position_s', '$.cart_id', '$.list_id', '$.category', '$.query', '$.results_count',
            '$.value', '$.step', '$.step_name', '$.order_id', '$.revenue', '$.tax', '$.shipping',
            '$.discount', '$.coupon', '$.amount', '$.method', '$.email_sha256', '$.phone_sha256',
            '$.percent', '$.refund_id'
        ]) as property_fields
    from events

),

renamed as (

    select
        event_id,
        event_name,
        occurred_at,
        sent_at,
        anonymous_id,
        user_id,

        page_fields[1] as page_url,
        page_fields[2] as page_referrer,
        page_fields[3] as page_title,

        campaign_fields[1] as campaign_object_source,
        campaign_fields[2] as campaign_object_medium,
        campaign_fields[3] as campaign_object_name,
        campaign_fields[4] as campaign_object_content,
        campaign_fields[5] as campaign_object_term,
        campaign_fields[6] as campaign_object_click_id,

        context_fields[1] as device_type,
        context_fields[2] as user_agent,
        context_fields[3] as ip_truncated,
        context_fields[4] as country,
        context_fields[5] as locale,

        property_fields[1] as product_id,
        property_fields[2]::decimal(18, 4) as price,
        upper(property_fields[3]) as currency,
        property_fields[4]::integer as quantity,
        property_fields[5] as video_id,
        property_fields[6] as hotspot_id,
        property_fields[7]::double as position_s,
        property_fields[8] as cart_id,
        property_fields[9] as list_id,
        property_fields[10] as category,
        property_fields[11] as search_query,
        property_fields[12]::integer as search_results_count,
        property_fields[13]::decimal(18, 4) as checkout_value,
        property_fields[14]::integer as checkout_step,
        property_fields[15] as checkout_step_name,
        property_fields[16] as order_id,
        property_fields[17]::decimal(18, 4) as revenue,
        property_fields[18]::decimal(18, 4) as tax,
        property_fields[19]::decimal(18, 4) as shipping,
        property_fields[20]::decimal(18, 4) as discount,
        property_fields[21] as coupon,
        property_fields[22]::decimal(18, 4) as refund_amount,
        property_fields[23] as sign_up_method,
        property_fields[24] as email_sha256,
        property_fields[25] as phone_sha256,
        property_fields[26]::integer as video_percent,
        property_fields[27] as refund_id,

        case when event_name in ('purchase', 'refund') then properties -> '$.items' end as items,

        load_id,
        loaded_at,
        source_file,
        source_line
    from extracted

),

with_url_campaign as (

    select
        *,
        {{ url_query_parameter('page_url', 'utm_source') }} as utm_source,
        {{ url_query_parameter('page_url', 'utm_medium') }} as utm_medium,
        {{ url_query_parameter('page_url', 'utm_campaign') }} as utm_campaign,
        {{ url_query_parameter('page_url', 'utm_content') }} as utm_content,
        {{ url_query_parameter('page_url', 'utm_term') }} as utm_term,
        {{ url_query_parameter('page_url', 'gclid') }} as gclid,
        {{ url_query_parameter('page_url', 'fbclid') }} as fbclid,
        {{ url_query_parameter('page_url', 'ttclid') }} as ttclid,
        {{ url_host('page_url') }} as page_host,
        {{ url_host('page_referrer') }} as referrer_host
    from renamed

),

with_campaign as (

    select
        *,
        {#- The campaign object wins; else UTM tags; else a click id implies its ad network.
            gclid and ttclid are ad-click ids (cpc); fbclid is also added to organic shares, so it names
            the source but claims no paid medium. -#}
        case
            when
                campaign_object_source is not null or campaign_object_medium is not null
                or campaign_object_name is not null then 'campaign_object'
            when utm_source is not null or utm_medium is not null or utm_campaign is not null then 'utm'
            when coalesce(gclid, fbclid, ttclid) is not null then 'click_id'
        end as campaign_origin,
        lower(coalesce(
            campaign_object_source, utm_source,
            case
                when gclid is not null then 'google'
                when ttclid is not null then 'tiktok'
                when fbclid is not null then 'facebook'
            end
        )) as campaign_source,
        lower(coalesce(
            campaign_object_medium, utm_medium,
            case when gclid is not null or ttclid is not null then 'cpc' end
        )) as campaign_medium,
        coalesce(campaign_object_name, utm_campaign) as campaign_name,
        coalesce(campaign_object_content, utm_content) as campaign_content,
        coalesce(campaign_object_term, utm_term) as campaign_term,
        coalesce(campaign_object_click_id, gclid, fbclid, ttclid) as campaign_click_id
    from with_url_campaign

),

user_agent_bots as (

    {#- Match each distinct user agent once, not each event: thousands of agents, millions of events.
        Read from the import CTE, not from with_campaign, and never materialised: a CTE read twice would
        otherwise be copied whole, millions of wide rows, before either reader starts. -#}
    select
        agents.user_agent,
        min(bot_patterns.bot_family) as bot_family
    from (
        select distinct context ->> '$.user_agent' as user_agent
        from events
        where context ->> '$.user_agent' is not null
    ) as agents
    inner join bot_patterns
        on contains(lower(agents.user_agent), bot_patterns.pattern)
    group by agents.user_agent

),

final as (

    select
        with_campaign.event_id,
        with_campaign.event_name,
        with_campaign.occurred_at,
        with_campaign.sent_at,
        with_campaign.anonymous_id,
        with_campaign.user_id,
        with_campaign.page_url,
        with_campaign.page_host,
        with_campaign.page_referrer,
        with_campaign.referrer_host,
        with_campaign.page_title,
        with_campaign.campaign_origin,
        with_campaign.campaign_source,
        with_campaign.campaign_medium,
        with_campaign.campaign_name,
        with_campaign.campaign_content,
        with_campaign.campaign_term,
        with_campaign.campaign_click_id,
        with_campaign.device_type,
        with_campaign.user_agent,
        with_campaign.ip_truncated,
        with_campaign.country,
        with_campaign.locale,
        user_agent_bots.bot_family is not null as is_bot,
        user_agent_bots.bot_family,
        with_campaign.product_id,
        with_campaign.price,
        with_campaign.currency,
        with_campaign.quantity,
        with_campaign.video_id,
        with_campaign.hotspot_id,
        with_campaign.position_s,
        (
            with_campaign.event_name in ('add_to_cart', 'buy_now')
            and with_campaign.video_id is not null
        ) as is_in_video_intent,
        with_campaign.cart_id,
        with_campaign.list_id,
        with_campaign.category,
        with_campaign.search_query,
        with_campaign.search_results_count,
        with_campaign.checkout_value,
        with_campaign.checkout_step,
        with_campaign.checkout_step_name,
        with_campaign.order_id,
        with_campaign.revenue,
        with_campaign.tax,
        with_campaign.shipping,
        with_campaign.discount,
        with_campaign.coupon,
        with_campaign.refund_amount,
        with_campaign.refund_id,
        with_campaign.items,
        with_campaign.sign_up_method,
        with_campaign.email_sha256,
        with_campaign.phone_sha256,
        with_campaign.video_percent,
        with_campaign.load_id,
        with_campaign.loaded_at,
        with_campaign.source_file,
        with_campaign.source_line
    from with_campaign
    left join user_agent_bots
        on with_campaign.user_agent = user_agent_bots.user_agent

)

select * from final
