{{
    config(
        materialized=replaced_by_device(),
        incremental_strategy='delete+insert',
        unique_key='anonymous_id',
        on_schema_change='fail'
    )
}}
{#- Identity stitching (CONTRACT section 7): every anonymous_id ever seen with a user_id belongs to that
    customer for all its sessions, before and after login; when one device saw several users, the latest
    wins. This is the one person rule: every model that names a person joins this model through the
    person_id() macro and never derives a person itself. Purchases and refunds are sightings even when a
    shop's backend sends them (a bot user agent): money is never a bot, and an order must belong to the
    person its own user_id names when no one else logged in later. A device's customer depends on its own
    events only, so a run redoes the devices new loads touched, from all their logins however old; the
    session models rebuild the same devices. -#}

with events as (

    select * from {{ ref('stg_events') }}
    {{ only_devices_of_this_run('anonymous_id') }}

),

logged_in_events as (

    select
        anonymous_id,
        user_id,
        occurred_at,
        event_id,
        load_id
    from events
    where user_id is not null and (not is_bot or event_name in ('purchase', 'refund'))

),

latest_user_per_device as (

    select
        anonymous_id,
        user_id as customer_id,
        occurred_at as customer_seen_at
    from logged_in_events
    qualify row_number() over (partition by anonymous_id order by occurred_at desc, event_id desc) = 1

),

users_per_device as (

    select
        anonymous_id,
        count(distinct user_id) as users_seen,
        min(occurred_at) as first_login_at,
        max(load_id) as last_load_id
    from logged_in_events
    group by anonymous_id

),

final as (

    select
        latest_user_per_device.anonymous_id,
        latest_user_per_device.customer_id,
        users_per_device.first_login_at,
        latest_user_per_device.customer_seen_at,
        users_per_device.users_seen,
        users_per_device.users_seen > 1 as is_shared_device,
        users_per_device.last_load_id
    from latest_user_per_device
    inner join users_per_device
        on latest_user_per_device.anonymous_id = users_per_device.anonymous_id

)

select * from final
