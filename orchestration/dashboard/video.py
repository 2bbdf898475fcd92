"""Video tab: what videos and hotspots earn in clicks, what length and which host, format or segment
converts (with 95% intervals), and the intent viewers left in a cart."""

import altair as alt
import streamlit as st

from orchestration.dashboard import charts
from orchestration.dashboard.formats import Columns, count, money, percent, show_table
from orchestration.dashboard.source import ServingCopy

VIDEO_DIMENSIONS = ("video", "video__video_title", "video__host", "video__format")
SEGMENT_DIMENSIONS = {"host": "Host", "format": "Format", "length_bucket": "Length", "video_segment": "Video segment"}
TOP_INTENTS = 20


def render(source: ServingCopy, currency: str) -> None:
    per_video = source.metrics(["hctr", "hotspot_clicks", "hotspot_impressions"], VIDEO_DIMENSIONS, order_by=["-hctr"])
    abandoned = source.metrics(["abandoned_intent_value", "abandoned_intents"])
    _headline(per_video, abandoned, currency)
    _hctr_per_video(per_video)
    _hotspots(source, currency)
    _length_curve(source, currency)
    _segment_winners(source)
    _abandoned_intents(source, currency)


def _headline(per_video, abandoned, currency: str) -> None:
    best = per_video.iloc[0]
    left, middle, right = st.columns(3)
    with left.container(border=True):
        st.metric(
            "Best video by HCTR",
            percent(best["hctr"]),
            help="Hotspot clicks / hotspot impressions over the whole history.",
        )
        st.caption(f"{best['video__video_title']} ({best['video']}) · {best['video__host']} · {best['video__format']}")
    with middle.container(border=True):
        st.metric(
            "Abandoned intent value",
            money(abandoned["abandoned_intent_value"].iloc[0], currency),
            help="Price × quantity of in-video add to carts and buy nows not followed by an order in the window.",
        )
    with right.container(border=True):
        st.metric(
            "Abandoned intents",
            count(abandoned["abandoned_intents"].iloc[0]),
            help="Person × video pairs whose in-video intent was not followed by an order.",
        )


def _hctr_per_video(per_video) -> None:
    st.subheader("Hotspot click-through rate per video")
    chart = (
        alt.Chart(per_video)
        .mark_bar()
        .encode(
            x=alt.X("video", type="nominal", sort="-y", title="Video"),
            y=charts.y_quantity("hctr", "HCTR", "rate", ""),
            color=alt.Color("video__format", type="nominal", title="Format"),
            tooltip=[
                alt.Tooltip("video__video_title", title="Title"),
                alt.Tooltip("video__host", title="Host"),
                alt.Tooltip("video__format", title="Format"),
                charts.tooltip("hctr", "HCTR", "rate", ""),
                charts.tooltip("hotspot_clicks", "Clicks", "count", ""),
                charts.tooltip("hotspot_impressions", "Impressions", "count", ""),
            ],
        )
        .properties(height=260)
    )
    st.altair_chart(chart, width="stretch")


def _hotspots(source: ServingCopy, currency: str) -> None:
    st.subheader("Hotspots")
    hotspots = source.mart(
        """
        select video_id, hotspot_id, product_id, segment, start_s, impressions, clicks, hctr, unique_clickers,
            in_video_carts, attributed_orders, attributed_revenue
        from marts.fct_hotspot_performance
        order by hctr desc nulls last, clicks desc
        """
    )
    columns = Columns(currency)
    show_table(
        hotspots,
        height=320,
        column_config={
            "video_id": columns.text("Video"),
            "hotspot_id": columns.text("Hotspot"),
            "product_id": columns.text("Product"),
            "segment": columns.text("Segment"),
            "start_s": columns.number("Appears at (s)"),
            "impressions": columns.count("Impressions"),
            "clicks": columns.count("Clicks"),
            "hctr": columns.rate("HCTR", "Clicks / impressions."),
            "unique_clickers": columns.count("People who clicked"),
            "in_video_carts": columns.count("In-video carts"),
            "attributed_orders": columns.count("Orders credited"),
            "attributed_revenue": columns.money("Revenue credited", "Revenue of the order lines credited to it."),
        },
    )


def _length_curve(source: ServingCopy, currency: str) -> None:
    st.subheader("Video length")
    curve = source.mart(
        """
        select length_bucket, shortest_video_s, videos, hctr, conversion_rate, revenue_per_view
        from marts.fct_video_length_curve order by shortest_video_s
        """
    )
    for (field, title, kind), column in zip(
        (
            ("hctr", "HCTR", "rate"),
            ("conversion_rate", "Viewer conversion rate", "rate"),
            ("revenue_per_view", "Revenue per view", "money"),
        ),
        st.columns(3),
        strict=True,
    ):
        chart = (
            alt.Chart(curve, title=charts.titled(title, kind, currency))
            .mark_bar()
            .encode(
                x=alt.X("length_bucket", type="nominal", sort=alt.EncodingSortField("shortest_video_s"), title=None),
                y=charts.y_quantity(field, title, kind, currency).title(None),
                tooltip=[
                    alt.Tooltip("length_bucket", title="Length"),
                    charts.tooltip("videos", "Videos", "count", currency),
                    charts.tooltip(field, title, kind, currency),
                ],
            )
            .properties(height=220)
        )
        column.altair_chart(chart, width="stretch")


def _segment_winners(source: ServingCopy) -> None:
    st.subheader("What converts: segment winners")
    st.caption(
        "Viewers who ordered within the attribution lookback after viewing, with 95% Wilson intervals. "
        "Each variant is tested against the best of its kind (two-proportion z-test, p < 0.05)."
    )
    segments = source.mart(
        """
        select dimension, variant, viewers, converters, conversion_rate, conversion_rate_ci_low,
            conversion_rate_ci_high, p_value_vs_best,
            case
                when is_best_variant then 'best'
                when is_sample_too_small then 'sample too small'
                when is_significant then 'significantly lower'
                else 'not significantly lower'
            end as verdict
        from marts.fct_segment_performance
        """
    )
    dimensions = [dimension for dimension in SEGMENT_DIMENSIONS if dimension in set(segments["dimension"])]
    for first in range(0, len(dimensions), 2):
        for dimension, column in zip(dimensions[first : first + 2], st.columns(2), strict=False):
            column.altair_chart(
                _interval_chart(segments[segments["dimension"] == dimension], SEGMENT_DIMENSIONS[dimension]),
                width="stretch",
            )


def _interval_chart(variants, title: str) -> alt.LayerChart:
    order = alt.EncodingSortField("conversion_rate", order="descending")
    base = alt.Chart(variants, title=title).encode(y=alt.Y("variant", type="nominal", sort=order, title=None))
    interval = base.mark_errorbar(ticks=True).encode(
        x=charts.x_quantity(
            "conversion_rate_ci_low", "Conversion rate (95% interval)", "rate", "", scale=alt.Scale(zero=False)
        ),
        x2="conversion_rate_ci_high",
    )
    estimate = base.mark_point(filled=True, size=90).encode(
        x="conversion_rate",
        color=alt.Color(
            "verdict",
            type="nominal",
            title=None,
            scale=alt.Scale(
                domain=["best", "not significantly lower", "significantly lower", "sample too small"],
                range=["#2e7d32", "#f9a825", "#c62828", "#9e9e9e"],
            ),
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=[
            alt.Tooltip("variant", title=title),
            charts.tooltip("viewers", "Viewers", "count", ""),
            charts.tooltip("converters", "Converters", "count", ""),
            charts.tooltip("conversion_rate", "Conversion rate", "rate", ""),
            charts.tooltip("conversion_rate_ci_low", "95% low", "rate", ""),
            charts.tooltip("conversion_rate_ci_high", "95% high", "rate", ""),
            alt.Tooltip("p_value_vs_best", title="p vs best", format=".2g"),
            alt.Tooltip("verdict", title="Verdict"),
        ],
    )
    return (interval + estimate).properties(height=alt.Step(32))


def _abandoned_intents(source: ServingCopy, currency: str) -> None:
    st.subheader("Largest abandoned intents")
    st.caption("Ids only: no e-mail hashes or contact details on this page.")
    intents = source.mart(
        f"""
        select person_id, customer_id, video_id, array_to_string(products, ', ') as products, intents,
            intent_value, last_intent_at, is_contactable, furthest_checkout_step_name
        from marts.fct_abandoned_stream_intent
        order by intent_value desc, last_intent_at desc
        limit {TOP_INTENTS}
        """
    )
    columns = Columns(currency)
    show_table(
        intents,
        whole=True,
        column_config={
            "person_id": columns.text("Person", "customer_id, else the device's anonymous_id."),
            "customer_id": columns.text("Customer"),
            "video_id": columns.text("Video"),
            "products": columns.text("Products"),
            "intents": columns.count("Intents", "In-video add to carts and buy nows."),
            "intent_value": columns.money("Intent value"),
            "last_intent_at": st.column_config.DatetimeColumn("Last intent (UTC)", format="YYYY-MM-DD HH:mm"),
            "is_contactable": st.column_config.CheckboxColumn("Contactable"),
            "furthest_checkout_step_name": columns.text("Furthest checkout step"),
        },
    )
