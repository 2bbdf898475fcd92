{#- Every path attribution reads (CONTRACT section 9), one row per path and touch. A converting path is an
    order's: the touches of its person (int_touches, stitched across devices by the one person rule) in the
    attribution_lookback_days up to the order, so a touch can lie on the paths of several orders. A
    non-converting path is a person's touches that lie on no order's path, cut where more than the lookback
    passes between two of them: the Markov chain needs the journeys that went nowhere as much as the ones
    that sold. Orders with no touch in their lookback have no path; fct_attribution credits them to
    (direct).

    A table, rebuilt every run: one order or touch re-cuts its person's paths, and the Markov removal
    effects read every path at once. -#}

with orders as (

    select * from {{ ref('int_orders') }}

),

touches as (

    select * from {{ ref('int_touches') }}

),

order_touches as (

    {#- A touch at the order's own instant is the order's session start: it belongs to the path. -#}
    select
        orders.order_id as path_id,
        orders.order_id,
        orders.person_id,
        true as is_conversion,
        orders.revenue_reporting,
        orders.ordered_at,
        touches.touch_id,
        touches.session_id,
        touches.touched_at,
        touches.channel,
        touches.source,
        touches.medium,
        touches.campaign
    from orders
    inner join touches
        on
            orders.person_id = touches.person_id
            and orders.ordered_at >= touches.touched_at
            and orders.ordered_at
            <= {{ dbt.dateadd('day', var('attribution_lookback_days'), 'touches.touched_at') }}

),

touches_on_order_paths as (

    select distinct touch_id from order_touches

),

unconverted_touches as (

    select
        touches.*,
        {#- A journey starts at a person's first such touch and after every gap longer than the lookback. -#}
        case
            when
                lag(touches.touched_at) over person_timeline is null
                or touches.touched_at > {{ dbt.dateadd(
                    'day', var('attribution_lookback_days'), 'lag(touches.touched_at) over person_timeline'
                ) }}
                then 1
            else 0
        end as starts_journey
    from touches
    left join touches_on_order_paths
        on touches.touch_id = touches_on_order_paths.touch_id
    where touches_on_order_paths.touch_id is null
    window person_timeline as (partition by touches.person_id order by touches.touched_at, touches.touch_id)

),

journeys as (

    select
        *,
        sum(starts_journey) over (
            partition by person_id order by touched_at, touch_id rows between unbounded preceding and current row
        ) as journey_number
    from unconverted_touches

),

non_converting_touches as (

    select
        {%- set journey = dbt.safe_cast('journey_number', api.Column.translate_type('string')) %}
        {{ dbt.concat(["'none:'", 'person_id', "':'", journey]) }} as path_id,
        cast(null as {{ dbt.type_string() }}) as order_id,
        person_id,
        false as is_conversion,
        cast(null as decimal(18, 4)) as revenue_reporting,
        cast(null as {{ dbt.type_timestamp() }}) as ordered_at,
        touch_id,
        session_id,
        touched_at,
        channel,
        source,
        medium,
        campaign
    from journeys

),

path_touches as (

    select * from order_touches
    union all
    select * from non_converting_touches

),

final as (

    select
        path_id,
        order_id,
        person_id,
        is_conversion,
        revenue_reporting,
        ordered_at,
        touch_id,
        session_id,
        touched_at,
        cast(row_number() over in_path as integer) as touch_index,
        cast(count(*) over (partition by path_id) as integer) as touches_in_path,
        cast({{ dbt.datediff('touched_at', 'ordered_at', 'second') }} as double) / 86400 as days_before_order,  -- noqa: LT05
        channel,
        source,
        medium,
        campaign,
        {{ markov_state('channel', 'source', 'medium') }} as markov_state
    from path_touches
    window in_path as (partition by path_id order by touched_at, touch_id)

)

select * from final
