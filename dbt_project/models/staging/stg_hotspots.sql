with latest_version as (

    {{ latest_landed(source('raw', 'hotspots'), ['video_id', 'hotspot_id', 'product_id']) }}

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
