{#- One row per day and social platform: what the platform's exports report (posts, reach, engagement,
    followers, link clicks) beside what its visitors did in the shop (sessions, sign-ups, purchases), each
    against its benchmark. A day and platform appear when either side has something: a platform that sends
    visitors but exports nothing (pinterest) has sessions and no post figures.

    Rates follow CONTRACT section 9. The engagement rate is the Rival IQ one the benchmarks use: per post,
    engagements / followers, averaged over the day's posts, so a post of a big account weighs as much as
    one of a small account. Followers are the sum over the platform's accounts of each account's latest
    figure on or before the day, so an account that skipped a day still counts. -#}

with social as (

    select * from {{ ref('stg_social') }}

),

sessions as (

    select * from {{ ref('fct_sessions') }}

),

social_platforms as (

    select * from {{ ref('social_platforms') }}

),

benchmarks as (

    select
        metric,
        platform,
        placement,
        (value_low + value_high) / 2 as benchmark_value
    from {{ ref('benchmarks') }}

),

sign_up_sessions as (

    select distinct sessionized.session_id
    from {{ ref('int_events_sessionized') }} as sessionized
    inner join {{ ref('stg_events') }} as events
        on sessionized.event_id = events.event_id
    where events.event_name = 'sign_up'

),

platform_reports as (

    {#- Account-level rows (no post_id) carry what no post earned, like clicks on the profile link: they
        count in the totals but are not posts. -#}
    select
        report_date as date_day,
        platform,
        count(post_id) as posts,
        sum(impressions) as impressions,
        sum(reach) as reach,
        sum(engagements) as engagements,
        avg(case when post_id is not null then {{ engagement_rate('engagements', 'followers') }} end)
            as engagement_rate,
        sum(link_clicks) as link_clicks,
        sum(video_views) as video_views
    from social
    group by report_date, platform

),

account_days as (

    {#- Rows of one account and day should agree on followers; when they disagree the largest wins. -#}
    select
        report_date,
        platform,
        account,
        max(followers) as followers
    from social
    group by report_date, platform, account

),

account_latest_figures as (

    select
        platform_reports.date_day,
        platform_reports.platform,
        account_days.followers,
        row_number() over (
            partition by platform_reports.date_day, platform_reports.platform, account_days.account
            order by account_days.report_date desc
        ) as recency_rank
    from platform_reports
    inner join account_days
        on
            platform_reports.platform = account_days.platform
            and platform_reports.date_day >= account_days.report_date

),

platform_followers as (

    select
        date_day,
        platform,
        sum(followers) as followers
    from account_latest_figures
    where recency_rank = 1
    group by date_day, platform

),

reported_days as (

    select
        platform_reports.*,
        platform_followers.followers,
        platform_followers.followers - lag(platform_followers.followers) over (
            partition by platform_reports.platform order by platform_reports.date_day
        ) as follower_growth
    from platform_reports
    inner join platform_followers
        on
            platform_reports.date_day = platform_followers.date_day
            and platform_reports.platform = platform_followers.platform

),

classified_sessions as (

    select
        sessions.session_date as date_day,
        sessions.channel in ('Organic Social', 'Paid Social') as is_social,
        sessions.channel = 'Organic Social' as is_organic_social,
        coalesce(social_platforms.platform, '(other)') as social_platform,
        sessions.added_to_cart,
        sessions.purchased,
        sign_up_sessions.session_id is not null as signed_up
    from sessions
    left join social_platforms
        on lower(sessions.source) = social_platforms.source
    left join sign_up_sessions
        on sessions.session_id = sign_up_sessions.session_id

),

social_sessions as (

    select
        date_day,
        social_platform as platform,
        count(*) as sessions,
        count(*) filter (where is_organic_social) as organic_sessions,
        count(*) filter (where signed_up) as sign_up_sessions,
        count(*) filter (where purchased) as purchase_sessions,
        count(*) filter (where added_to_cart) as cart_sessions,
        count(*) filter (where added_to_cart and purchased) as cart_purchase_sessions
    from classified_sessions
    where is_social
    group by date_day, social_platform

),

day_sessions as (

    {#- What every session of the day did, and every session not from social: the baselines. -#}
    select
        date_day,
        count(*) as sessions,
        count(*) filter (where signed_up) as sign_up_sessions,
        count(*) filter (where not is_social) as other_sessions,
        count(*) filter (where not is_social and purchased) as other_purchase_sessions,
        count(*) filter (where not is_social and added_to_cart) as other_cart_sessions,
        count(*) filter (where not is_social and added_to_cart and purchased) as other_cart_purchase_sessions
    from classified_sessions
    group by date_day

),

days_and_platforms as (

    select
        coalesce(reported_days.date_day, social_sessions.date_day) as date_day,
        coalesce(reported_days.platform, social_sessions.platform) as platform,
        reported_days.posts,
        reported_days.impressions,
        reported_days.reach,
        reported_days.engagements,
        reported_days.engagement_rate,
        reported_days.followers,
        reported_days.follower_growth,
        reported_days.link_clicks,
        reported_days.video_views,
        social_sessions.sessions,
        social_sessions.organic_sessions,
        social_sessions.sign_up_sessions,
        social_sessions.purchase_sessions,
        social_sessions.cart_sessions,
        social_sessions.cart_purchase_sessions
    from reported_days
    full outer join social_sessions
        on
            reported_days.date_day = social_sessions.date_day
            and reported_days.platform = social_sessions.platform

),

final as (

    select
        days_and_platforms.date_day,
        days_and_platforms.platform,
        cast(coalesce(days_and_platforms.posts, 0) as bigint) as posts,
        cast(coalesce(days_and_platforms.impressions, 0) as bigint) as impressions,
        cast(coalesce(days_and_platforms.reach, 0) as bigint) as reach,
        cast(coalesce(days_and_platforms.engagements, 0) as bigint) as engagements,
        days_and_platforms.engagement_rate,
        engagement_benchmarks.benchmark_value as benchmark_engagement_rate,
        cast(days_and_platforms.followers as bigint) as followers,
        cast(days_and_platforms.follower_growth as bigint) as follower_growth,
        cast(coalesce(days_and_platforms.link_clicks, 0) as bigint) as link_clicks,
        cast(coalesce(days_and_platforms.video_views, 0) as bigint) as video_views,
        {{ click_through_rate('days_and_platforms.link_clicks', 'days_and_platforms.impressions') }} as social_ctr,
        ctr_benchmarks.benchmark_value as benchmark_ctr,
        cast(coalesce(days_and_platforms.sessions, 0) as bigint) as sessions_from_social,
        cast(coalesce(days_and_platforms.organic_sessions, 0) as bigint) as organic_sessions_from_social,
        cast(coalesce(days_and_platforms.sign_up_sessions, 0) as bigint) as sign_ups_from_social,
        {{ sign_up_rate('days_and_platforms.sign_up_sessions', 'days_and_platforms.sessions') }}
            as social_sign_up_rate,
        {{ sign_up_rate('day_sessions.sign_up_sessions', 'day_sessions.sessions') }} as site_sign_up_rate,
        (
            select popup.benchmark_value
            from benchmarks as popup
            where popup.metric = 'signup_popup_conversion_rate' and popup.platform = 'all' and popup.placement = 'popup'
        ) as benchmark_popup_sign_up_rate,
        {{ conversion_rate('days_and_platforms.purchase_sessions', 'days_and_platforms.sessions') }}
            as conversion_rate,
        {{ conversion_rate('day_sessions.other_purchase_sessions', 'day_sessions.other_sessions') }}
            as non_social_conversion_rate,
        {{ cart_abandonment_rate('days_and_platforms.cart_purchase_sessions', 'days_and_platforms.cart_sessions') }}
            as cart_abandonment_rate,
        {{ cart_abandonment_rate('day_sessions.other_cart_purchase_sessions', 'day_sessions.other_cart_sessions') }}
            as non_social_cart_abandonment_rate
    from days_and_platforms
    left join day_sessions
        on days_and_platforms.date_day = day_sessions.date_day
    left join benchmarks as engagement_benchmarks
        on
            engagement_benchmarks.metric = 'social_engagement_rate'
            and engagement_benchmarks.placement = 'organic'
            and days_and_platforms.platform = engagement_benchmarks.platform
    left join benchmarks as ctr_benchmarks
        on
            ctr_benchmarks.metric = 'social_click_through_rate'
            and ctr_benchmarks.placement = 'organic'
            and days_and_platforms.platform = ctr_benchmarks.platform

)

select * from final
