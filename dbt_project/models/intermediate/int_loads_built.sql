{#- The newest load every incremental model has folded in: the next run's watermark (int_loads_this_run
    says why). The refs below make dbt build this only after every incremental model and its tests
    succeeded; a model made incremental on the run manifest must be added to them
    (tests/test_run_manifest.py checks it). -#}
-- depends_on: {{ ref('stg_events') }}
-- depends_on: {{ ref('stg_order_items') }}
-- depends_on: {{ ref('int_event_loads') }}
-- depends_on: {{ ref('int_events_sessionized') }}
-- depends_on: {{ ref('int_people') }}
-- depends_on: {{ ref('int_sessions') }}
-- depends_on: {{ ref('int_session_channels') }}
-- depends_on: {{ ref('int_touches') }}
-- depends_on: {{ ref('int_video_events') }}
-- depends_on: {{ ref('int_activation_events') }}
-- depends_on: {{ ref('fct_sessions') }}
-- depends_on: {{ ref('fct_funnel_daily') }}

with loads as (

    select * from {{ ref('int_loads_this_run') }}

),

final as (

    select coalesce(max(loads.load_id), {{ loads_built_through() }}) as built_through_load_id
    from loads

)

select * from final
