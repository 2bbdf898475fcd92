{{
    config(
        materialized=replaced_by_device(),
        incremental_strategy='delete+insert',
        unique_key='anonymous_id',
        on_schema_change='fail'
    )
}}
{#- Marketing touches (CONTRACT section 7), the paths attribution reads: each session's start, with the
    session's source, and every later event of the session that arrives with a campaign different (source,
    medium or name) from the one in force. Events without campaign data change nothing. Incremental by
    touched device, like the sessions it is built from. -#}

with sessionized as (

    select * from {{ ref('int_events_sessionized') }}
    {{ only_devices_of_this_run('anonymous_id') }}

),

events as (

    {#- Filtered like sessionized, not only joined to it: a join would hash every event first. -#}
    select * from {{ ref('stg_events') }}
    {{ only_devices_of_this_run('anonymous_id') }}

),

session_channels as (

    select * from {{ ref('int_session_channels') }}

),

people as (

    select * from {{ ref('int_people') }}

),

session_starts as (

    select
        sessionized.session_id,
        sessionized.anonymous_id,
        sessionized.event_id,
        sessionized.event_index_in_session,
        sessionized.occurred_at,
        session_channels.source,
        session_channels.medium,
        session_channels.campaign,
        sessionized.load_id
    from sessionized
    inner join session_channels
        on sessionized.session_id = session_channels.session_id
    where sessionized.event_index_in_session = 1

),

later_campaign_events as (

    select
        sessionized.session_id,
        sessionized.anonymous_id,
        sessionized.event_id,
        sessionized.event_index_in_session,
        sessionized.occurred_at,
        coalesce(events.campaign_source, '(not set)') as source,
        coalesce(events.campaign_medium, '(not set)') as medium,
        events.campaign_name as campaign,
        sessionized.load_id
    from sessionized
    inner join events
        on sessionized.event_id = events.event_id
    where sessionized.event_index_in_session > 1 and events.campaign_origin is not null

),

candidates as (

    select * from session_starts
    union all
    select * from later_campaign_events

),

changes as (

    select
        *,
        lag(source) over in_session as previous_source,
        lag(medium) over in_session as previous_medium,
        lag(campaign) over in_session as previous_campaign
    from candidates
    window in_session as (partition by session_id order by event_index_in_session)

),

touches as (

    select
        *,
        row_number() over (partition by session_id order by event_index_in_session) as touch_index_in_session
    from changes
    where
        event_index_in_session = 1
        or source is distinct from previous_source
        or medium is distinct from previous_medium
        or campaign is distinct from previous_campaign

),

channels as (

    {{ default_channel('touches') }}

),

session_loads as (

    select
        session_id,
        max(load_id) as last_load_id
    from sessionized
    group by session_id

),

final as (

    select
        {{ dbt.hash(dbt.concat(['touches.session_id', "'|'", 'touches.event_id'])) }} as touch_id,
        touches.session_id,
        touches.anonymous_id,
        people.customer_id,
        {{ person_id('touches.anonymous_id') }} as person_id,
        touches.event_id,
        touches.touch_index_in_session,
        touches.touch_index_in_session = 1 as is_session_start,
        touches.occurred_at as touched_at,
        touches.source,
        touches.medium,
        touches.campaign,
        channels.channel,
        session_loads.last_load_id
    from touches
    inner join channels
        on touches.source = channels.source and touches.medium = channels.medium
    inner join session_loads
        on touches.session_id = session_loads.session_id
    left join people
        on touches.anonymous_id = people.anonymous_id

)

select * from final
