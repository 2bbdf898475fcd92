with social as (

    select * from {{ source('raw', 'social') }}

),

latest_report as (

    select *
    from social
    qualify row_number() over (
        partition by date, platform, account, coalesce(post_id, '') order by load_id desc, source_line desc
    ) = 1

),

final as (

    select
        date as report_date,
        lower(platform) as platform,
        account,
        post_id,
        post_type,
        impressions,
        reach,
        likes,
        comments,
        shares,
        saves,
        likes + comments + shares + saves as engagements,
        link_clicks,
        video_views,
        followers,
        load_id
    from latest_report

)

select * from final
