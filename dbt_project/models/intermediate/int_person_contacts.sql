{#- How each person can be reached, by the one person rule: the hashes they gave at sign-up (the latest
    wins, per kind) and the channels they unsubscribed from through a flow's message. A customer is
    reachable by e-mail through their account even without a sign-up hash: the messaging tool knows the
    account's address. -#}
with people as (

    select * from {{ ref('int_people') }}

),

sign_ups as (

    select
        {{ person_id('sign_ups.anonymous_id') }} as person_id,
        people.customer_id,
        sign_ups.email_sha256,
        sign_ups.phone_sha256,
        sign_ups.occurred_at,
        sign_ups.event_id
    from {{ ref('stg_events') }} as sign_ups
    left join people
        on sign_ups.anonymous_id = people.anonymous_id
    where sign_ups.event_name = 'sign_up' and not sign_ups.is_bot

),

latest_email as (

    select
        person_id,
        email_sha256,
        row_number() over (partition by person_id order by occurred_at desc, event_id desc) as recency_rank
    from sign_ups
    where email_sha256 is not null

),

latest_phone as (

    select
        person_id,
        phone_sha256,
        row_number() over (partition by person_id order by occurred_at desc, event_id desc) as recency_rank
    from sign_ups
    where phone_sha256 is not null

),

unsubscribes as (

    select
        coalesce(messages.customer_id, people.customer_id, messages.anonymous_id) as person_id,
        min(case when messages.channel = 'email' then messages.unsubscribed_at end) as email_unsubscribed_at,
        min(case when messages.channel = 'sms' then messages.unsubscribed_at end) as sms_unsubscribed_at
    from {{ ref('stg_messages') }} as messages
    left join people
        on messages.anonymous_id = people.anonymous_id
    where messages.unsubscribed_at is not null
    group by coalesce(messages.customer_id, people.customer_id, messages.anonymous_id)

),

persons as (

    select
        person_id,
        max(customer_id) as customer_id
    from sign_ups
    group by person_id

    union

    select
        customer_id as person_id,
        customer_id
    from people

    union

    select
        person_id,
        null as customer_id
    from unsubscribes

),

one_row_per_person as (

    select
        person_id,
        max(customer_id) as customer_id
    from persons
    group by person_id

),

final as (

    select
        one_row_per_person.person_id,
        one_row_per_person.customer_id,
        latest_email.email_sha256,
        latest_phone.phone_sha256,
        unsubscribes.email_unsubscribed_at,
        unsubscribes.sms_unsubscribed_at,
        (one_row_per_person.customer_id is not null or latest_email.email_sha256 is not null)
        and unsubscribes.email_unsubscribed_at is null as can_email,
        latest_phone.phone_sha256 is not null and unsubscribes.sms_unsubscribed_at is null as can_sms
    from one_row_per_person
    left join latest_email
        on one_row_per_person.person_id = latest_email.person_id and latest_email.recency_rank = 1
    left join latest_phone
        on one_row_per_person.person_id = latest_phone.person_id and latest_phone.recency_rank = 1
    left join unsubscribes
        on one_row_per_person.person_id = unsubscribes.person_id

)

select * from final
