{#- The video catalog as analysts slice by it: one row per video with its host, format and length bucket
    (macros/video_length_bucket.sql, '(not set)' without a length, as in fct_video_length_curve). -#}

with videos as (

    select * from {{ ref('stg_videos') }}

),

final as (

    select
        video_id,
        video_title,
        host,
        format,
        length_s,
        coalesce({{ video_length_bucket('length_s') }}, '(not set)') as length_bucket,
        published_at,
        production_cost,
        currency
    from videos

)

select * from final
