"""Channels tab: traffic, conversion, revenue and paid media per channel over a date range, from the
semantic layer (spend-based KPIs credit orders with the model the dbt var attribution_model names)."""

import altair as alt
import pandas as pd
import streamlit as st

from orchestration.dashboard import charts
from orchestration.dashboard.formats import Columns, show_table
from orchestration.dashboard.source import ServingCopy

CHANNEL_METRICS = ("sessions", "conversion_rate", "spend", "roas", "cpa", "cac")
# Orders reach a channel only through the session they were placed in (group-by session__channel).
ORDER_METRICS = ("orders", "gross_revenue")
NO_SESSION = "(no session)"
DISPLAY_ORDER = ("sessions", "conversion_rate", "orders", "gross_revenue", "spend", "roas", "cpa", "cac")


def render(source: ServingCopy, currency: str) -> None:
    bounds = source.mart("select min(date_day) as first_day, max(date_day) as last_day from marts.fct_funnel_daily")
    first_day, last_day = (bounds[column].iloc[0].date() for column in ("first_day", "last_day"))
    chosen = st.date_input(
        "Dates",
        (first_day, last_day),
        min_value=first_day,
        max_value=last_day,
        format="YYYY-MM-DD",
        key="channel_dates",
    )
    if len(chosen) != 2:
        st.info("Pick the last day of the range.")
        return
    start, end = chosen
    by_channel = _by_channel_table(source, start, end)
    columns = Columns(currency)
    show_table(
        by_channel,
        whole=True,
        column_config={
            "channel": columns.text("Channel"),
            "sessions": columns.count("Sessions"),
            "conversion_rate": columns.rate("Conversion rate", "Sessions with a purchase / sessions."),
            "orders": columns.count("Orders"),
            "gross_revenue": columns.money("Gross revenue", "Revenue of the orders of the channel's sessions."),
            "spend": columns.money("Spend", "Ad spend; empty for channels nobody pays for."),
            "roas": columns.times("ROAS", "Attributed revenue / spend."),
            "cpa": columns.money("CPA", "Spend / attributed conversions."),
            "cac": columns.money("CAC", "Spend / new customers."),
        },
    )
    revenue, roas = st.columns(2)
    revenue.altair_chart(_by_channel(by_channel, "gross_revenue", "Gross revenue", "money", currency), width="stretch")
    paid = by_channel[by_channel["roas"].notna()]
    roas.altair_chart(_by_channel(paid, "roas", "ROAS (paid channels)", "times", currency), width="stretch")


def _by_channel_table(source: ServingCopy, start, end) -> pd.DataFrame:
    """The channel's metrics beside its sessions' orders; orders placed outside any session (server-side,
    without the visitor's id) are a row of their own."""
    channels = source.metrics(CHANNEL_METRICS, ["channel"], start=start, end=end)
    orders = source.metrics(ORDER_METRICS, ["session__channel"], start=start, end=end)
    orders = orders.rename(columns={"session__channel": "channel"}).fillna({"channel": NO_SESSION})
    table = channels.merge(orders, on="channel", how="outer")
    return table[["channel", *DISPLAY_ORDER]].sort_values("gross_revenue", ascending=False, na_position="last")


def _by_channel(data, field: str, title: str, kind, currency: str) -> alt.Chart:
    return (
        alt.Chart(data, title=charts.titled(title, kind, currency))
        .mark_bar()
        .encode(
            y=alt.Y("channel", type="nominal", sort="-x", title=None),
            x=charts.x_quantity(field, title, kind, currency).title(None),
            tooltip=[alt.Tooltip("channel", title="Channel"), charts.tooltip(field, title, kind, currency)],
        )
        .properties(height=alt.Step(26))
    )
