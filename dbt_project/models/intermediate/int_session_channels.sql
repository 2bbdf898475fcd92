{{
    config(
        materialized=replaced_by_device(),
        incremental_strategy='delete+insert',
        unique_key='anonymous_id',
        on_schema_change='fail'
    )
}}
{#- Where each session came from (CONTRACT section 7): source, medium and campaign of its first event.
    A campaign (object, utm_* or click id, resolved in stg_events) wins; else the referrer's host is the
    source with medium "referral", and the channel grouping tells search engines and social sites from
    other sites; a referrer on the shop's own host is navigation, not a source. No campaign and no
    referrer is Direct. Incremental by touched device, like int_sessions. -#}

with sessionized as (

    select * from {{ ref('int_events_sessionized') }}
    {{ only_devices_of_this_run('anonymous_id') }}

),

events as (

    {#- Filtered like sessionized, not only joined to it: a join would hash every event first. -#}
    select * from {{ ref('stg_events') }}
    {{ only_devices_of_this_run('anonymous_id') }}

),

session_first_events as (

    select
        sessionized.session_id,
        sessionized.anonymous_id,
        events.campaign_origin,
        events.campaign_source,
        events.campaign_medium,
        events.campaign_name,
        events.campaign_content,
        events.campaign_term,
        events.campaign_click_id,
        events.referrer_host,
        events.page_host
    from sessionized
    inner join events
        on sessionized.event_id = events.event_id
    where sessionized.event_index_in_session = 1

),

session_loads as (

    select
        session_id,
        max(load_id) as last_load_id
    from sessionized
    group by session_id

),

sources as (

    select
        session_id,
        anonymous_id,
        case
            when campaign_origin is not null then campaign_origin
            when referrer_host is not null and referrer_host <> coalesce(page_host, '') then 'referrer'
            else 'direct'
        end as source_origin,
        campaign_name,
        campaign_content,
        campaign_term,
        campaign_click_id,
        referrer_host,
        campaign_source,
        campaign_medium
    from session_first_events

),

resolved as (

    select
        session_id,
        anonymous_id,
        source_origin,
        case source_origin
            when 'referrer' then referrer_host
            when 'direct' then '(direct)'
            else coalesce(campaign_source, '(not set)')
        end as source,
        case source_origin
            when 'referrer' then 'referral'
            when 'direct' then '(none)'
            else coalesce(campaign_medium, '(not set)')
        end as medium,
        case when source_origin not in ('referrer', 'direct') then campaign_name end as campaign,
        case when source_origin not in ('referrer', 'direct') then campaign_content end as campaign_content,
        case when source_origin not in ('referrer', 'direct') then campaign_term end as campaign_term,
        case when source_origin not in ('referrer', 'direct') then campaign_click_id end as click_id,
        referrer_host
    from sources

),

channels as (

    {{ default_channel('resolved') }}

),

final as (

    select
        resolved.session_id,
        resolved.anonymous_id,
        resolved.source_origin,
        resolved.source,
        resolved.medium,
        resolved.campaign,
        resolved.campaign_content,
        resolved.campaign_term,
        resolved.click_id,
        resolved.referrer_host,
        channels.channel,
        session_loads.last_load_id
    from resolved
    inner join channels
        on resolved.source = channels.source and resolved.medium = channels.medium
    inner join session_loads
        on resolved.session_id = session_loads.session_id

)

select * from final
