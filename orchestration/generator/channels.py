"""How visits arrive: the planted GA4 default-channel mix, the paid campaigns behind ad_spend, and the touch
(campaign object, utm/click-id parameters or referrer) each channel leaves on a visit's first event.

Every source/medium here falls into its intended channel under seeds/channel_grouping.csv.
"""

import random
from dataclasses import dataclass

CHANNEL_MIX: dict[str, float] = {
    "Direct": 0.22,
    "Organic Search": 0.24,
    "Paid Search": 0.12,
    "Organic Social": 0.10,
    "Paid Social": 0.11,
    "Email": 0.08,
    "SMS": 0.03,
    "Affiliates": 0.03,
    "Referral": 0.04,
    "Display": 0.03,
}
# Visits arriving from this channel (their first touch) buy CHANNEL_CONVERSION_LIFT times as often as the others
# (traffic.py): by a clear margin it has the most last-touch conversions and sits on the most converting paths,
# so every attribution model, Markov removal effects included, must rank it first.
CONVERTING_CHANNEL = "Paid Social"
CHANNEL_CONVERSION_LIFT = 8.0
SHARE_CAMPAIGN_OBJECT = 0.45  # of tagged visits: the tracker sent a campaign object instead of utm_* in page.url


@dataclass(frozen=True)
class PaidCampaign:
    """One row family of ad_spend: the platform bills it, visits carry its name as utm_campaign."""

    platform: str
    name: str
    channel: str
    source: str
    medium: str
    click_parameter: str | None
    currency: str
    cost_per_click_cents: int
    click_through_rate: float


PAID_CAMPAIGNS: tuple[PaidCampaign, ...] = (
    PaidCampaign("google_ads", "search_brand", "Paid Search", "google", "cpc", "gclid", "EUR", 35, 0.080),
    PaidCampaign("google_ads", "search_generic_dresses", "Paid Search", "google", "cpc", "gclid", "EUR", 85, 0.035),
    PaidCampaign("google_ads", "search_autumn_sale", "Paid Search", "google", "cpc", "gclid", "EUR", 70, 0.040),
    PaidCampaign(
        "meta_ads", "meta_autumn_lookbook", "Paid Social", "instagram", "paid_social", "fbclid", "EUR", 55, 0.012
    ),
    PaidCampaign(
        "meta_ads", "meta_retargeting_cart", "Paid Social", "facebook", "paid_social", "fbclid", "EUR", 45, 0.018
    ),
    PaidCampaign(
        "tiktok_ads", "tiktok_haul_challenge", "Paid Social", "tiktok", "paid_social", "ttclid", "USD", 40, 0.009
    ),
    PaidCampaign(
        "tiktok_ads", "tiktok_creator_spark", "Paid Social", "tiktok", "paid_social", "ttclid", "USD", 50, 0.011
    ),
    PaidCampaign("criteo", "display_retargeting", "Display", "criteo", "display", None, "EUR", 30, 0.004),
)
_SEARCH_TERMS = (
    "autumn dress",
    "linen midi dress",
    "lumen and loom",
    "leather ankle boots",
    "wool coat women",
    "gold hoop earrings",
    "wide leg jeans",
)
_SEARCH_REFERRERS = (
    "https://www.google.com/",
    "https://www.google.de/",
    "https://www.google.fr/",
    "https://www.bing.com/",
    "https://duckduckgo.com/",
)
_SOCIAL_REFERRERS = (
    "https://l.instagram.com/",
    "https://www.tiktok.com/",
    "https://l.facebook.com/",
    "https://t.co/",
    "https://www.pinterest.com/",
)
_REFERRAL_REFERRERS = (
    "https://www.fashionista-blog.example/autumn-edit",
    "https://www.modemagazin.example/trends",
    "https://www.capsule-wardrobe.example/reviews/lumen-loom",
    "https://forum.styleclub.example/t/41",
)
_ORGANIC_SOCIAL_TAGS = (("instagram", "social", "link_in_bio"), ("tiktok", "social", "link_in_bio"))
_AFFILIATES = ("styleblog_partner", "cashback_club", "awin")


@dataclass(frozen=True)
class Touch:
    """What a marketing touch leaves on its event: exactly one of a campaign object, url parameters, a
    referrer, or nothing (direct)."""

    channel: str
    url_query: str
    referrer: str | None
    campaign: dict[str, str] | None
    paid: PaidCampaign | None


def _tagged(
    rng: random.Random,
    channel: str,
    source: str,
    medium: str,
    name: str,
    *,
    content: str | None = None,
    term: str | None = None,
    click_parameter: str | None = None,
    paid: PaidCampaign | None = None,
) -> Touch:
    click_id = f"{rng.getrandbits(96):024x}" if click_parameter else None
    if rng.random() < SHARE_CAMPAIGN_OBJECT:
        campaign = {"source": source, "medium": medium, "name": name}
        if content:
            campaign["content"] = content
        if term:
            campaign["term"] = term
        if click_id:
            campaign["click_id"] = click_id
        return Touch(channel, "", None, campaign, paid)
    parameters = {"utm_source": source, "utm_medium": medium, "utm_campaign": name}
    if content:
        parameters["utm_content"] = content
    if term:
        parameters["utm_term"] = term
    if click_parameter:
        parameters[click_parameter] = click_id
    # Every value is a url-safe token or words: a space is all that needs encoding.
    return Touch(channel, "?" + "&".join(f"{k}={v.replace(' ', '+')}" for k, v in parameters.items()), None, None, paid)


def _referred(channel: str, referrer: str) -> Touch:
    return Touch(channel, "", referrer, None, None)


DIRECT = Touch("Direct", "", None, None, None)
_PAID_BY_CHANNEL = {
    channel: tuple(c for c in PAID_CAMPAIGNS if c.channel == channel)
    for channel in ("Paid Search", "Paid Social", "Display")
}


def draw_channel(rng: random.Random) -> str:
    return rng.choices(tuple(CHANNEL_MIX), weights=tuple(CHANNEL_MIX.values()))[0]


def touch_for(rng: random.Random, channel: str, iso_week: int) -> Touch:
    match channel:
        case "Direct":
            return DIRECT
        case "Organic Search":
            return _referred(channel, rng.choice(_SEARCH_REFERRERS))
        case "Referral":
            return _referred(channel, rng.choice(_REFERRAL_REFERRERS))
        case "Organic Social":
            if rng.random() < 0.7:
                return _referred(channel, rng.choice(_SOCIAL_REFERRERS))
            source, medium, name = rng.choice(_ORGANIC_SOCIAL_TAGS)
            return _tagged(rng, channel, source, medium, name)
        case "Paid Search" | "Paid Social" | "Display":
            paid = rng.choice(_PAID_BY_CHANNEL[channel])
            return _tagged(
                rng,
                channel,
                paid.source,
                paid.medium,
                paid.name,
                content=f"ad_{rng.choice('abc')}",
                term=rng.choice(_SEARCH_TERMS) if channel == "Paid Search" else None,
                click_parameter=paid.click_parameter,
                paid=paid,
            )
        case "Email":
            name = rng.choice((f"newsletter_w{iso_week:02d}", "abandoned_cart_flow", "welcome_series"))
            return _tagged(rng, channel, "newsletter", "email", name, content=rng.choice(("hero", "grid", "footer")))
        case "SMS":
            return _tagged(rng, channel, "sms", "sms", rng.choice(("sms_flash_sale", "sms_back_in_stock")))
        case "Affiliates":
            return _tagged(rng, channel, rng.choice(_AFFILIATES), "affiliate", "affiliate_program")
    raise ValueError(channel)
