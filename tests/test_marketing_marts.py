"""The marketing marts against what the generator planted: the social exports per platform, the visitors the
social sites sent, the ad spend per platform in the reporting currency, and every session and order once."""

from collections import defaultdict

import pytest

from orchestration.generator.channels import PAID_CAMPAIGNS
from tests.conftest import query

SOCIAL_CHANNELS = ("Organic Social", "Paid Social")
# Every social site the generator sends visitors from (channels.py): the four exporting platforms and pinterest.
SOCIAL_PLATFORMS = {"instagram", "tiktok", "facebook", "x", "pinterest"}
CAMPAIGNS = {campaign.name: campaign for campaign in PAID_CAMPAIGNS}


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


def test_spend_per_ad_platform_in_the_reporting_currency_equals_the_exports(video_shop):
    truth, db = video_shop
    rows = query(
        db,
        "select channel, campaign, count(*), sum(spend), sum(impressions), sum(clicks) "
        "from marts.fct_marketing_roi where spend is not null group by channel, campaign",
    )
    assert {(campaign, channel) for channel, campaign, *_ in rows} == {
        (campaign.name, campaign.channel) for campaign in PAID_CAMPAIGNS
    }
    by_platform: defaultdict[str, list] = defaultdict(lambda: [0, 0.0, 0, 0])
    for _, campaign, spend_rows, spend, impressions, clicks in rows:
        totals = by_platform[CAMPAIGNS[campaign].platform]
        for i, value in enumerate((spend_rows, float(spend), impressions, clicks)):
            totals[i] += value
    planted = truth["planted"]["ad_spend_by_platform"]
    assert set(by_platform) == set(planted)
    for platform, (spend_rows, spend, impressions, clicks) in by_platform.items():
        assert (impressions, clicks) == (planted[platform]["impressions"], planted[platform]["clicks"])
        # Each row's converted spend is kept to 4 decimals; truth sums unrounded products and rounds to cents.
        assert spend == pytest.approx(planted[platform]["spend_reporting"], abs=0.0001 * spend_rows + 0.01)


def test_spend_and_sessions_of_every_paid_campaign_meet_on_its_name(video_shop):
    _, db = video_shop
    rows = query(
        db,
        "select campaign, count(*) filter (where spend is not null), count(*) filter (where spend is not null "
        "and sessions > 0) from marts.fct_marketing_roi where campaign in (select unnest($campaigns)) group by 1",
        {"campaigns": list(CAMPAIGNS)},
    )
    # Every day of a campaign has spend; on a few quiet days it may bring no session.
    assert {campaign for campaign, *_ in rows} == set(CAMPAIGNS)
    assert all(days_with_both >= 0.9 * days_with_spend for _, days_with_spend, days_with_both in rows)


def test_every_session_and_order_is_counted_once_in_marketing_roi(video_shop):
    truth, db = video_shop
    sessions, orders, revenue = query(
        db, "select sum(sessions), sum(orders), sum(attributed_revenue) from marts.fct_marketing_roi"
    )[0]
    planted = truth["sessions"]
    assert sessions == planted["sessions"]
    assert orders == pytest.approx(planted["orders"], abs=1e-6)
    assert float(revenue) == pytest.approx(planted["revenue_reporting"], abs=0.0001 * planted["orders"] + 0.01)
