with latest_version as (

    {{ latest_landed(source('raw', 'videos'), ['video_id']) }}

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
