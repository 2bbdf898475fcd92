with videos as (

    select * from {{ source('raw', 'videos') }}

),

latest_version as (

    select *
    from videos
    qualify row_number() over (partition by video_id order by load_id desc, source_line desc) = 1

),

final as (

    select
        video_id,
        title as video_title,
        host,
        format,
        length_s,
        published_at,
        production_cost,
        upper(currency) as currency,
        load_id
    from latest_version

)

select * from final
