{#- One row per channel a mart can name: every channel of the default grouping (seeds/channel_grouping.csv,
    so a channel without traffic yet still has its row) and any other value the channel columns of the
    facts the `channel` entity joins actually hold. A channel is paid when an ad platform bills its clicks
    (seeds/ad_platforms.csv): the channels spend-based KPIs (CPA, CAC, ROAS, ROI) are meant for. -#}

with channel_grouping as (

    select * from {{ ref('channel_grouping') }}

),

ad_platforms as (

    select * from {{ ref('ad_platforms') }}

),

sessions as (

    select * from {{ ref('fct_sessions') }}

),

marketing_roi as (

    select * from {{ ref('fct_marketing_roi') }}

),

attribution as (

    select * from {{ ref('fct_attribution') }}

),

channels as (

    select channel from channel_grouping
    union
    select channel from ad_platforms
    union
    select channel from sessions
    union
    select channel from marketing_roi
    union
    select channel from attribution

),

paid_channels as (

    select distinct channel from ad_platforms

),

final as (

    select
        channels.channel,
        paid_channels.channel is not null as is_paid
    from channels
    left join paid_channels
        on channels.channel = paid_channels.channel

)

select * from final
