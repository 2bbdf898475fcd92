{#- Purchase-propensity features per customer and cut-off (orchestration/customers/propensity.py). Two
    cut-offs: `evaluation`, propensity_horizon_days before the clock, whose customers carry the label (an
    order in the horizon after it) to train and evaluate on; and `scoring`, the clock itself, unlabelled.
    Every feature reads behaviour STRICTLY before its cut-off, so the evaluation never sees its own future.
    Refunds count on their own date, not the order's: a later refund is future knowledge too. -#}

{%- set horizon_days = var('propensity_horizon_days') %}

with clock as (

    select clock_at from {{ ref('int_warehouse_clock') }}

),

cutoffs as (

    select
        'evaluation' as cutoff_kind,
        {{ dbt.dateadd('day', -horizon_days, 'clock_at') }} as cutoff_at
    from clock

    union all

    select
        'scoring' as cutoff_kind,
        clock_at as cutoff_at
    from clock

),

people as (

    select
        anonymous_id,
        customer_id
    from {{ ref('int_people') }}
    where customer_id is not null

),

behaviour_events as (

    select
        people.customer_id,
        events.event_name,
        events.video_id,
        events.occurred_at
    from {{ ref('stg_events') }} as events
    inner join people on events.anonymous_id = people.anonymous_id
    where
        not events.is_bot
        and events.event_name in ('view_item', 'add_to_cart', 'buy_now', 'search', 'video_start')

),

orders as (

    select
        customer_id,
        ordered_at,
        revenue_reporting
    from {{ ref('fct_orders') }}
    where customer_id is not null

),

-- Everything a customer did, one row per deed; the features count and sum these before each cut-off.
activity as (

    select
        customer_id,
        'session' as activity,
        started_at as occurred_at,
        0 as amount
    from {{ ref('fct_sessions') }}
    where customer_id is not null

    union all

    select
        customer_id,
        case event_name when 'view_item' then 'product_view' when 'buy_now' then 'add_to_cart' else event_name end
            as activity,
        occurred_at,
        0 as amount
    from behaviour_events

    union all

    -- An add_to_cart or buy_now inside a video (it carries video_id) is also an in-video intent.
    select
        customer_id,
        'video_intent' as activity,
        occurred_at,
        0 as amount
    from behaviour_events
    where event_name in ('add_to_cart', 'buy_now') and video_id is not null

    union all

    select
        customer_id,
        'order' as activity,
        ordered_at as occurred_at,
        revenue_reporting as amount
    from orders

    union all

    select
        customer_id,
        'refund' as activity,
        refunded_at as occurred_at,
        -booked_amount_reporting as amount
    from {{ ref('int_refunds') }}
    where customer_id is not null

),

before_cutoff as (

    select
        cutoffs.cutoff_kind,
        cutoffs.cutoff_at,
        activity.customer_id,
        activity.activity,
        activity.occurred_at,
        activity.amount,
        activity.occurred_at >= {{ dbt.dateadd('day', -7, 'cutoffs.cutoff_at') }} as in_last_7_days,
        activity.occurred_at >= {{ dbt.dateadd('day', -30, 'cutoffs.cutoff_at') }} as in_last_30_days
    from cutoffs
    inner join activity on cutoffs.cutoff_at > activity.occurred_at

),

features as (

    select
        cutoff_kind,
        cutoff_at,
        customer_id,
        sum(case when activity = 'session' and in_last_7_days then 1 else 0 end) as sessions_7d,
        sum(case when activity = 'session' and in_last_30_days then 1 else 0 end) as sessions_30d,
        sum(case when activity = 'product_view' and in_last_30_days then 1 else 0 end) as product_views_30d,
        sum(case when activity = 'add_to_cart' and in_last_30_days then 1 else 0 end) as add_to_carts_30d,
        sum(case when activity = 'search' and in_last_30_days then 1 else 0 end) as searches_30d,
        sum(case when activity = 'video_start' and in_last_30_days then 1 else 0 end) as video_starts_30d,
        sum(case when activity = 'video_intent' and in_last_30_days then 1 else 0 end) as video_intents_30d,
        sum(case when activity = 'order' then 1 else 0 end) as orders_to_date,
        sum(case when activity in ('order', 'refund') then amount else 0 end) as net_revenue_to_date,
        max(case when activity = 'session' then occurred_at end) as last_session_at,
        max(case when activity = 'order' then occurred_at end) as last_order_at,
        -- Population: a session or an order before the cut-off; other deeds alone (a refund) do not qualify.
        min(case when activity in ('session', 'order') then occurred_at end) as first_seen_at
    from before_cutoff
    group by cutoff_kind, cutoff_at, customer_id

),

labels as (

    select
        cutoffs.cutoff_kind,
        orders.customer_id,
        count(*) as orders_in_horizon
    from cutoffs
    inner join orders
        on
            cutoffs.cutoff_at < orders.ordered_at
            and orders.ordered_at <= {{ dbt.dateadd('day', horizon_days, 'cutoffs.cutoff_at') }}
    where cutoffs.cutoff_kind = 'evaluation'
    group by cutoffs.cutoff_kind, orders.customer_id

),

final as (

    select
        features.customer_id,
        features.cutoff_kind,
        features.cutoff_at,
        features.sessions_7d,
        features.sessions_30d,
        features.product_views_30d,
        features.add_to_carts_30d,
        features.searches_30d,
        features.video_starts_30d,
        features.video_intents_30d,
        features.orders_to_date,
        cast(features.net_revenue_to_date as double) as net_revenue_to_date,
        {{ dbt.datediff('features.last_session_at', 'features.cutoff_at', 'day') }} as days_since_last_session,  -- noqa: LT05
        {{ dbt.datediff('features.last_order_at', 'features.cutoff_at', 'day') }} as days_since_last_order,  -- noqa: LT05
        {{ dbt.datediff('features.first_seen_at', 'features.cutoff_at', 'day') }} as tenure_days,  -- noqa: LT05
        case when features.cutoff_kind = 'evaluation' then coalesce(labels.orders_in_horizon, 0) end
            as orders_in_horizon,
        case when features.cutoff_kind = 'evaluation' then coalesce(labels.orders_in_horizon, 0) > 0 end
            as ordered_in_horizon
    from features
    left join labels
        on
            features.cutoff_kind = labels.cutoff_kind
            and features.customer_id = labels.customer_id
    where features.first_seen_at is not null

)

select * from final
