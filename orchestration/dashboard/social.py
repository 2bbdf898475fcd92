"""Social tab: each platform's posts, reach and engagement against its benchmark, and the visits it sends
(marts.fct_social_daily)."""

import altair as alt
import streamlit as st

from orchestration.dashboard import charts
from orchestration.dashboard.formats import Columns, show_table

# What can be drawn per platform and day: (column, title, kind, benchmark column or None).
SERIES = {
    "engagement_rate": ("Engagement rate", "rate", "benchmark_engagement_rate"),
    "social_ctr": ("Social CTR", "rate", "benchmark_ctr"),
    "impressions": ("Impressions", "count", None),
    "engagements": ("Engagements", "count", None),
    "followers": ("Followers", "count", None),
    "sessions_from_social": ("Sessions from social", "count", None),
    "conversion_rate": ("Conversion rate of social visitors", "rate", None),
}


def render(source, currency: str) -> None:
    daily = source.mart("select * from marts.fct_social_daily order by platform, date_day")
    platforms = sorted(daily["platform"].unique())
    chosen = st.multiselect("Platforms", platforms, default=platforms, key="social_platforms")
    shown = daily[daily["platform"].isin(chosen)]
    st.subheader("Per platform, whole history")
    _totals(source, chosen)
    st.subheader("Per day")
    series = st.selectbox("Show", list(SERIES), format_func=lambda name: SERIES[name][0], key="social_series")
    if SERIES[series][2]:
        st.caption("Dashed: the platform's benchmark (seeds/benchmarks.csv).")
    st.altair_chart(_daily_chart(shown, series))


def _totals(source, platforms: list[str]) -> None:
    if not platforms:
        return
    placeholders = ", ".join("?" for _ in platforms)
    # Counts add up over days; rates do not, so the table has none (the daily chart shows them).
    totals = source.mart(
        f"""
        select platform, sum(posts) as posts, sum(impressions) as impressions, sum(engagements) as engagements,
            sum(link_clicks) as link_clicks, sum(video_views) as video_views,
            arg_max(followers, date_day) as followers, sum(sessions_from_social) as sessions_from_social,
            sum(sign_ups_from_social) as sign_ups_from_social
        from marts.fct_social_daily
        where platform in ({placeholders})
        group by platform
        order by impressions desc
        """,
        platforms,
    )
    show_table(
        totals,
        column_config={
            "platform": Columns.text("Platform"),
            "posts": Columns.count("Posts"),
            "impressions": Columns.count("Impressions"),
            "engagements": Columns.count("Engagements", "Likes + comments + shares + saves."),
            "link_clicks": Columns.count("Link clicks"),
            "video_views": Columns.count("Video views"),
            "followers": Columns.count("Followers", "On the latest reported day."),
            "sessions_from_social": Columns.count("Sessions from social", "Organic and paid social visits."),
            "sign_ups_from_social": Columns.count("Sign-ups from social"),
        },
    )


def _daily_chart(daily, series: str) -> alt.FacetChart:
    """One small chart per platform (their scales differ by orders of magnitude), the benchmark dashed."""
    title, kind, benchmark = SERIES[series]
    base = alt.Chart().encode(x=alt.X("date_day", type="temporal", title=None))
    layers = [
        base.mark_line().encode(
            y=charts.y_quantity(series, title, kind, ""),
            tooltip=[
                alt.Tooltip("date_day", type="temporal", title="Day"),
                charts.tooltip(series, title, kind, ""),
            ],
        )
    ]
    if benchmark:
        layers.append(base.mark_line(strokeDash=[4, 4], color="#888").encode(y=alt.Y(benchmark, type="quantitative")))
    return (
        alt.layer(*layers, data=daily)
        .properties(height=180, width=300)
        .facet(facet=alt.Facet("platform", type="nominal", title=None), columns=3)
        .resolve_scale(y="independent")
    )
