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

{%- set page_members = ['url', 'referrer', 'title'] -%}
{%- set campaign_members = ['source', 'medium', 'name', 'content', 'term', 'click_id'] -%}
{%- set context_members = ['device_type', 'user_agent', 'ip', 'country', 'locale'] -%}
{%- set property_members = [
    'product_id', 'price', 'currency', 'quantity', 'video_id', 'hotspot_id', 'position_s', 'cart_id', 'list_id',
    'category', 'query', 'results_count', 'value', 'step', 'step_name', 'order_id', 'revenue', 'tax', 'shipping',
    'discount', 'coupon', 'amount', 'method', 'email_sha256', 'phone_sha256', 'percent', 'refund_id'
] -%}

with events as {{ not_materialized() }} (

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
        {{ json_text_fields('page', page_members) }} as page_fields,
        {{ json_text_fields('campaign', campaign_members) }} as campaign_fields,
        {{ json_text_fields('context', context_members) }} as context_fields,
        {{ json_text_fields('properties', property_members) }} as property_fields
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

        {{ json_text_field('page_fields', page_members, 'url') }} as page_url,
        {{ json_text_field('page_fields', page_members, 'referrer') }} as page_referrer,
        {{ json_text_field('page_fields', page_members, 'title') }} as page_title,

        {{ json_text_field('campaign_fields', campaign_members, 'source') }} as campaign_object_source,
        {{ json_text_field('campaign_fields', campaign_members, 'medium') }} as campaign_object_medium,
        {{ json_text_field('campaign_fields', campaign_members, 'name') }} as campaign_object_name,
        {{ json_text_field('campaign_fields', campaign_members, 'content') }} as campaign_object_content,
        {{ json_text_field('campaign_fields', campaign_members, 'term') }} as campaign_object_term,
        {{ json_text_field('campaign_fields', campaign_members, 'click_id') }} as campaign_object_click_id,

        {{ json_text_field('context_fields', context_members, 'device_type') }} as device_type,
        {{ json_text_field('context_fields', context_members, 'user_agent') }} as user_agent,
        {{ json_text_field('context_fields', context_members, 'ip') }} as ip_truncated,
        {{ json_text_field('context_fields', context_members, 'country') }} as country,
        {{ json_text_field('context_fields', context_members, 'locale') }} as locale,

        {{ json_text_field('property_fields', property_members, 'product_id') }} as product_id,
        cast({{ json_text_field('property_fields', property_members, 'price') }} as decimal(18, 4)) as price,
        upper({{ json_text_field('property_fields', property_members, 'currency') }}) as currency,
        cast({{ json_text_field('property_fields', property_members, 'quantity') }} as integer) as quantity,
        {{ json_text_field('property_fields', property_members, 'video_id') }} as video_id,
        {{ json_text_field('property_fields', property_members, 'hotspot_id') }} as hotspot_id,
        cast({{ json_text_field('property_fields', property_members, 'position_s') }} as double) as position_s,
        {{ json_text_field('property_fields', property_members, 'cart_id') }} as cart_id,
        {{ json_text_field('property_fields', property_members, 'list_id') }} as list_id,
        {{ json_text_field('property_fields', property_members, 'category') }} as category,
        {{ json_text_field('property_fields', property_members, 'query') }} as search_query,
        cast({{ json_text_field('property_fields', property_members, 'results_count') }} as integer)
            as search_results_count,
        cast({{ json_text_field('property_fields', property_members, 'value') }} as decimal(18, 4)) as checkout_value,
        cast({{ json_text_field('property_fields', property_members, 'step') }} as integer) as checkout_step,
        {{ json_text_field('property_fields', property_members, 'step_name') }} as checkout_step_name,
        {{ json_text_field('property_fields', property_members, 'order_id') }} as order_id,
        cast({{ json_text_field('property_fields', property_members, 'revenue') }} as decimal(18, 4)) as revenue,
        cast({{ json_text_field('property_fields', property_members, 'tax') }} as decimal(18, 4)) as tax,
        cast({{ json_text_field('property_fields', property_members, 'shipping') }} as decimal(18, 4)) as shipping,
        cast({{ json_text_field('property_fields', property_members, 'discount') }} as decimal(18, 4)) as discount,
        {{ json_text_field('property_fields', property_members, 'coupon') }} as coupon,
        cast({{ json_text_field('property_fields', property_members, 'amount') }} as decimal(18, 4)) as refund_amount,
        {{ json_text_field('property_fields', property_members, 'method') }} as sign_up_method,
        {{ json_text_field('property_fields', property_members, 'email_sha256') }} as email_sha256,
        {{ json_text_field('property_fields', property_members, 'phone_sha256') }} as phone_sha256,
        cast({{ json_text_field('property_fields', property_members, 'percent') }} as integer) as video_percent,
        {{ json_text_field('property_fields', property_members, 'refund_id') }} as refund_id,

        case when event_name in ('purchase', 'refund') then {{ json_value('properties', '$.items') }} end as items,

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
        select distinct {{ json_text('context', '$.user_agent') }} as user_agent
        from events
        where {{ json_text('context', '$.user_agent') }} is not null
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
