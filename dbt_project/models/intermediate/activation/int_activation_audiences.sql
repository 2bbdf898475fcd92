{#- The six activation audiences in one place, one row per person (CONTRACT section 10). Each trigger model
    says who is due a flow's message and why; here the rules every flow shares are applied once:
    - ordered since the trigger: anyone with an order after triggered_at is out (whatever the flow);
    - contactable: only people int_person_contacts can reach, on the channels they have not unsubscribed
      from; a person with no channel left has no row;
    - one flow per person per day: a person due several flows gets the first in var audience_priority
      (flow_priority 1 is the highest).
    The device is the person's latest (their latest visit or order). When a video raised the intent, its
    host joins and the reason says so. Rebuilt every run against the warehouse's clock. -#}

{%- set flows = var('audience_priority') %}

with triggers as (

    {%- for flow in flows %}

    select
        '{{ flow }}' as flow,
        {{ loop.index }} as flow_priority,
        person_id,
        triggered_at,
        send_after,
        reason,
        items,
        video_id,
        search_query,
        recommended_products,
        stage
    from {{ ref('int_activation_' ~ flow) }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

contacts as (

    select * from {{ ref('int_person_contacts') }}

),

orders as (

    select * from {{ ref('int_orders') }}

),

sessions as (

    select * from {{ ref('int_sessions') }}

),

videos as (

    select * from {{ ref('dim_videos') }}

),

ordered_since as (

    select distinct
        triggers.flow,
        triggers.person_id
    from triggers
    inner join orders
        on triggers.person_id = orders.person_id and triggers.triggered_at < orders.ordered_at

),

eligible as (

    select
        triggers.*,
        contacts.customer_id,
        contacts.email_sha256,
        contacts.phone_sha256,
        concat_ws(
            ',', case when contacts.can_email then 'email' end, case when contacts.can_sms then 'sms' end
        ) as channels,
        row_number() over (partition by triggers.person_id order by triggers.flow_priority) as person_flow_rank
    from triggers
    inner join contacts
        on triggers.person_id = contacts.person_id
    left join ordered_since
        on triggers.flow = ordered_since.flow and triggers.person_id = ordered_since.person_id
    where ordered_since.person_id is null and (contacts.can_email or contacts.can_sms)

),

devices_seen as (

    select
        person_id,
        anonymous_id,
        started_at as seen_at
    from sessions

    union all

    select
        person_id,
        anonymous_id,
        ordered_at as seen_at
    from orders

),

latest_devices as (

    select
        person_id,
        anonymous_id,
        row_number() over (partition by person_id order by seen_at desc, anonymous_id desc) as recency_rank
    from devices_seen

),

final as (

    select
        eligible.person_id,
        eligible.customer_id,
        latest_devices.anonymous_id,
        eligible.email_sha256,
        eligible.phone_sha256,
        eligible.channels,
        eligible.flow,
        eligible.flow_priority,
        eligible.reason
        || coalesce(
            '; the interest came from the video "' || coalesce(videos.video_title, eligible.video_id) || '"'
            || coalesce(' with ' || videos.host, ''),
            ''
        ) as reason,
        eligible.triggered_at,
        eligible.send_after,
        eligible.items,
        eligible.video_id,
        videos.host,
        eligible.search_query,
        eligible.recommended_products,
        eligible.stage
    from eligible
    left join latest_devices
        on eligible.person_id = latest_devices.person_id and latest_devices.recency_rank = 1
    left join videos
        on eligible.video_id = videos.video_id
    where eligible.person_flow_rank = 1

)

select * from final
