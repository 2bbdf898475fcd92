"""Customers tab: what the customers are worth by RFM segment, who the activation flows reach today, and what
each flow earned over its control group (marts.dim_customers, audience_*, fct_flow_performance)."""

import altair as alt
import streamlit as st

from orchestration.dashboard import charts
from orchestration.dashboard.formats import Columns, count, money, show_table
from orchestration.dashboard.source import ServingCopy

AUDIENCES = (
    "cart_recovery",
    "search_abandonment",
    "browse_abandonment",
    "post_purchase",
    "welcome",
    "reactivation",
)
SEGMENT_ORDER = (
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
    "prospect",
)


def render(source: ServingCopy, currency: str) -> None:
    _headline(source, currency)
    _segments(source, currency)
    _audiences(source)
    _flows(source, currency)


def _headline(source: ServingCopy, currency: str) -> None:
    totals = source.mart(
        """
        select count(*) as customers, count(*) filter (where orders > 0) as buyers,
            count(*) filter (where orders > 1) as repeat_buyers, sum(historical_clv) as historical_clv,
            sum(predicted_clv_12m) as predicted_clv_12m
        from marts.dim_customers
        """
    ).iloc[0]
    cards = st.columns(4)
    with cards[0].container(border=True):
        st.metric("Customers", count(totals["customers"]), help="Accounts: buyers and prospects who signed up.")
    with cards[1].container(border=True):
        st.metric("Buyers", count(totals["buyers"]), help="Customers with at least one order.")
        st.caption(f"{count(totals['repeat_buyers'])} ordered more than once")
    with cards[2].container(border=True):
        st.metric("Historical CLV", money(totals["historical_clv"], currency), help="Net revenue to date.")
    with cards[3].container(border=True):
        st.metric(
            "Predicted CLV, next 12 months",
            money(totals["predicted_clv_12m"], currency),
            help="BG/NBD + Gamma-Gamma fitted on the shop's own orders, discounted; empty when too few repeat "
            "buyers allow a fit.",
        )


def _segments(source: ServingCopy, currency: str) -> None:
    st.subheader("RFM segments")
    segments = source.mart(
        """
        select rfm_segment, count(*) as customers, avg(orders) as orders, avg(net_revenue) as net_revenue,
            avg(predicted_clv_12m) as predicted_clv_12m, avg(purchase_propensity) as purchase_propensity,
            avg(case when is_contactable then 1 else 0 end) as contactable
        from marts.dim_customers
        group by rfm_segment
        """
    )
    segments = segments.set_index("rfm_segment").reindex(SEGMENT_ORDER).dropna(subset=["customers"]).reset_index()
    cfg = Columns(currency)
    show_table(
        segments,
        whole=True,
        column_config={
            "rfm_segment": Columns.text("Segment", "The R x F grid of the README; prospects never ordered."),
            "customers": Columns.count("Customers"),
            "orders": Columns.number("Orders per customer"),
            "net_revenue": cfg.money("Net revenue per customer", "Historical CLV."),
            "predicted_clv_12m": cfg.money("Predicted CLV per customer", "Next 12 months, discounted."),
            "purchase_propensity": Columns.rate("Propensity", "Mean probability of an order in the next 30 days."),
            "contactable": Columns.rate("Contactable", "Reachable by e-mail or SMS."),
        },
    )


def _audiences(source: ServingCopy) -> None:
    st.subheader("Activation audiences today")
    sizes = source.mart(
        " union all ".join(
            f"select '{flow}' as flow, count(*) as people from marts.audience_{flow}" for flow in AUDIENCES
        )
    )
    left, right = st.columns([1, 3])
    with left:
        show_table(
            sizes,
            whole=True,
            column_config={"flow": Columns.text("Flow", "In priority order."), "people": Columns.count("People")},
        )
    with right:
        flow = st.selectbox("Show the people of", AUDIENCES, key="audience_flow")
        people = source.mart(
            f"""
            select send_after, channels, reason, video_id, search_query
            from marts.audience_{flow}
            order by send_after desc, person_id
            limit 200
            """
        )
        show_table(
            people,
            column_config={
                "send_after": st.column_config.DatetimeColumn("Send after (UTC)", format="YYYY-MM-DD HH:mm"),
                "channels": Columns.text("Channels"),
                "reason": Columns.text("Reason"),
                "video_id": Columns.text("Video"),
                "search_query": Columns.text("Search"),
            },
        )


def _flows(source: ServingCopy, currency: str) -> None:
    st.subheader("What each flow earned over its control group")
    flows = source.mart(
        """
        select flow, sum(sent) as sent, sum(control) as control,
            sum(incremental_revenue) as incremental_revenue,
            1.96 * sqrt(sum(incremental_revenue_se * incremental_revenue_se)) as margin
        from marts.fct_flow_performance
        group by flow
        order by incremental_revenue desc
        """
    )
    if flows.empty:
        st.info("No messages have landed yet: the messaging tool's exports go to the landing zone's messages/ folder.")
        return
    flows["ci_low"] = flows["incremental_revenue"] - flows["margin"]
    flows["ci_high"] = flows["incremental_revenue"] + flows["margin"]
    st.altair_chart(_incremental_chart(flows, currency), width="stretch")
    st.caption(
        "Incremental revenue: messaged minus control revenue per person in the 7 days after each send, times the "
        "people messaged, summed over the weeks with closed windows; bars show the 95% interval."
    )


def _incremental_chart(flows, currency: str) -> alt.LayerChart:
    base = alt.Chart(flows).encode(y=alt.Y("flow", type="nominal", sort="-x", title=None))
    points = base.mark_point(filled=True, size=80).encode(
        x=charts.x_quantity("incremental_revenue", "Incremental revenue", "money", currency),
        tooltip=[
            alt.Tooltip("flow", title="Flow"),
            charts.tooltip("incremental_revenue", "Incremental revenue", "money", currency),
            alt.Tooltip("sent", title="Sent", format=",d"),
            alt.Tooltip("control", title="Held back", format=",d"),
        ],
    )
    interval = base.mark_rule().encode(x="ci_low:Q", x2="ci_high:Q")
    zero = alt.Chart().mark_rule(strokeDash=[4, 4], color="#888").encode(x=alt.datum(0))
    return alt.layer(interval, points, zero).properties(height=220)
