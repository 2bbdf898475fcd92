with hotspots as (

    select * from {{ source('raw', 'hotspots') }}

),

latest_version as (

    select *
    from hotspots
    qualify row_number() over (
        partition by video_id, hotspot_id, product_id order by load_id desc, source_line desc
    ) = 1

),

final as (

    select
        video_id,
        hotspot_id,
        product_id,
        start_s,
        end_s,
        end_s - start_s as visible_s,
        segment,
        load_id
    from latest_version

)

select * from final
