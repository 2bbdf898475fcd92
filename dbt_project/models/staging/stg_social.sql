with latest_report as (

    {{ latest_landed(source('raw', 'social'), ['date', 'platform', 'account', "coalesce(post_id, '')"]) }}

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
