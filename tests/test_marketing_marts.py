"""The marketing marts against what the generator planted: the social exports per platform and the visitors
the social sites sent."""

import pytest

from tests.conftest import query

SOCIAL_CHANNELS = ("Organic Social", "Paid Social")
# Every social site the generator sends visitors from (channels.py): the four exporting platforms and pinterest.
SOCIAL_PLATFORMS = {"instagram", "tiktok", "facebook", "x", "pinterest"}


def test_social_posts_impressions_and_link_clicks_per_platform_equal_the_exports(video_shop):
    truth, db = video_shop
    rows = query(
        db,
        "select platform, sum(posts), sum(impressions), sum(link_clicks) from marts.fct_social_daily "
        "group by platform having sum(posts) > 0",
    )
    reported = {
        platform: {"posts": posts, "impressions": impressions, "link_clicks": link_clicks}
        for platform, posts, impressions, link_clicks in rows
    }
    assert reported == truth["planted"]["social_by_platform"]


def test_social_engagement_rate_is_the_planted_mean_per_post(video_shop):
    truth, db = video_shop
    # Weighting each day's average by its posts gives back the mean over every post the generator wrote.
    rows = query(
        db,
        "select platform, sum(engagement_rate * posts) / sum(posts) from marts.fct_social_daily "
        "where posts > 0 group by platform",
    )
    planted = truth["planted"]["social_engagement_rate"]
    assert dict(rows) == pytest.approx(planted, abs=1e-6)


def test_every_social_session_is_counted_under_its_platform(video_shop):
    truth, db = video_shop
    rows = query(db, "select platform, sum(sessions_from_social) from marts.fct_social_daily group by platform")
    sessions = dict(rows)
    by_channel = truth["sessions"]["sessions_by_channel"]
    assert set(sessions) == SOCIAL_PLATFORMS
    assert all(sessions[platform] > 0 for platform in SOCIAL_PLATFORMS)
    assert sum(sessions.values()) == sum(by_channel[channel] for channel in SOCIAL_CHANNELS)


def test_site_sign_up_rate_counts_every_planted_sign_up(video_shop):
    truth, db = video_shop
    # A visit signs up at most once (traffic.py), so sign-up sessions are the planted sign-ups.
    (sign_up_sessions,) = query(
        db,
        "with days as (select distinct date_day, site_sign_up_rate from marts.fct_social_daily), "
        "sessions as (select session_date as date_day, count(*) as sessions from marts.fct_sessions group by 1) "
        "select round(sum(days.site_sign_up_rate * sessions.sessions)) from days "
        "inner join sessions on days.date_day = sessions.date_day",
    )[0]
    assert sign_up_sessions == sum(truth["sessions"]["sign_ups_by_method"].values())
