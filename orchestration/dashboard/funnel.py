"""Funnel tab: a period's KPIs against the period before and the same period a year earlier
(marts.fct_kpi_period), the funnel steps of that period, and sessions, conversion and revenue over time."""

from dataclasses import dataclass
from datetime import date

import altair as alt
import streamlit as st

from orchestration.dashboard import charts
from orchestration.dashboard.formats import Kind, change_text, count, value_text
from orchestration.dashboard.source import ServingCopy

GRAINS = ("day", "week", "month")
CARDS_PER_ROW = 4


@dataclass(frozen=True)
class Kpi:
    name: str  # as marts.fct_kpi_period names it
    label: str
    kind: Kind
    help: str
    lower_is_better: bool = False


KPIS = (
    Kpi("sessions", "Sessions", "count", "Sessions started in the period, bots left out."),
    Kpi("users", "Users", "count", "Distinct people (customer, else device) with a session in the period."),
    Kpi("conversion_rate", "Conversion rate", "rate", "Sessions with a purchase / sessions."),
    Kpi(
        "cart_abandonment_rate",
        "Cart abandonment",
        "rate",
        "1 − sessions with an add to cart and a purchase / sessions with an add to cart.",
        lower_is_better=True,
    ),
    Kpi("orders", "Orders", "count", "Orders placed in the period."),
    Kpi("aov", "Average order value", "money", "Gross revenue / orders."),
    Kpi("gross_revenue", "Gross revenue", "money", "Revenue of the orders placed in the period."),
    Kpi("net_revenue", "Net revenue", "money", "Gross revenue less the refunds booked in the period."),
    Kpi("refunds", "Refunds", "money", "Refunds booked in the period, capped at their order.", lower_is_better=True),
    Kpi("revenue_per_session", "Revenue per session", "money", "Gross revenue / sessions."),
    Kpi(
        "visits_to_purchase",
        "Visits to purchase",
        "number",
        "Mean sessions a person had up to and including an order's.",
        lower_is_better=True,
    ),
    Kpi(
        "search_conversion_lift",
        "Search conversion lift",
        "times",
        "Conversion rate of sessions with a search / of sessions without one.",
    ),
)

FUNNEL_STEPS = {
    "sessions": "Sessions",
    "product_view_sessions": "Viewed a product",
    "cart_sessions": "Added to cart",
    "checkout_sessions": "Began checkout",
    "purchase_sessions": "Purchased",
}


def period_label(grain: str, start: date, is_complete: bool) -> str:
    match grain:
        case "day":
            label = start.strftime("%a %-d %b %Y")
        case "week":
            label = f"Week of {start.strftime('%-d %b %Y')}"
        case _:
            label = start.strftime("%B %Y")
    return label if is_complete else f"{label} (partial)"


def render(source: ServingCopy, currency: str) -> None:
    left, right = st.columns([1, 3])
    with left:
        grain = st.segmented_control(
            "Period", GRAINS, default="week", format_func=str.title, required=True, key="grain"
        )
    periods = source.mart(
        """
        select distinct period_start, period_end, is_complete_period
        from marts.fct_kpi_period where period_grain = ? order by period_start desc
        """,
        [grain],
    )
    if periods.empty:
        st.info("No periods in marts.fct_kpi_period yet.")
        return
    labels = {
        row.period_start.date(): period_label(grain, row.period_start.date(), row.is_complete_period)
        for row in periods.itertuples()
    }
    # The latest complete period by default: a partial one compared with a whole one looks like a drop.
    complete = periods[periods["is_complete_period"]]
    default = (complete if not complete.empty else periods)["period_start"].iloc[0].date()
    with right:
        period_start = st.selectbox(
            "Showing", list(labels), index=list(labels).index(default), format_func=labels.get, key=f"period_{grain}"
        )
    period_end = periods.loc[periods["period_start"].dt.date == period_start, "period_end"].iloc[0].date()

    _kpi_cards(source, currency, grain, period_start)
    _funnel_steps(source, period_start, period_end, labels[period_start])
    _over_time(source, currency)


def _kpi_cards(source: ServingCopy, currency: str, grain: str, period_start: date) -> None:
    values = source.mart(
        """
        select kpi, value, change, change_pct, year_ago_change, year_ago_change_pct
        from marts.fct_kpi_period where period_grain = ? and period_start = ?
        """,
        [grain, period_start],
    ).set_index("kpi")
    for first in range(0, len(KPIS), CARDS_PER_ROW):
        for kpi, column in zip(KPIS[first : first + CARDS_PER_ROW], st.columns(CARDS_PER_ROW), strict=False):
            if kpi.name not in values.index:
                continue
            row = values.loc[kpi.name]
            change = change_text(row["change"], row["change_pct"], kpi.kind)
            year_ago = change_text(row["year_ago_change"], row["year_ago_change_pct"], kpi.kind)
            with column.container(border=True):
                st.metric(
                    kpi.label,
                    value_text(row["value"], kpi.kind, currency),
                    delta=change,
                    delta_color="inverse" if kpi.lower_is_better else "normal",
                    delta_description=f"vs previous {grain}" if change else None,
                    help=kpi.help,
                )
                st.caption(_comparison_note(change, year_ago, grain))


def _comparison_note(change: str | None, year_ago: str | None, grain: str) -> str:
    notes = [] if change else [f"no previous {grain} in the data"]
    notes.append(f"{year_ago} vs a year earlier" if year_ago else "no data a year earlier")
    note = " · ".join(notes)
    return note[0].upper() + note[1:]


def _funnel_steps(source: ServingCopy, period_start: date, period_end: date, label: str) -> None:
    st.subheader(f"Funnel · {label}")
    totals = source.mart(
        f"""
        select {", ".join(f"sum({step}) as {step}" for step in FUNNEL_STEPS)}
        from marts.fct_funnel_daily where date_day between ? and ?
        """,
        [period_start, period_end],
    )
    steps = totals.melt(var_name="step", value_name="reached")
    steps["step"] = steps["step"].map(FUNNEL_STEPS)
    steps["label"] = steps["reached"].map(count)
    order = list(FUNNEL_STEPS.values())
    bars = (
        alt.Chart(steps)
        .mark_bar()
        .encode(
            y=alt.Y("step", type="nominal", sort=order, title=None),
            # Each bar is labelled with its count.
            x=alt.X("reached", type="quantitative", axis=None),
            tooltip=[alt.Tooltip("step", title="Step"), charts.tooltip("reached", "Sessions", "count", "")],
        )
    )
    text = bars.mark_text(align="left", dx=4).encode(text="label")
    st.altair_chart((bars + text).properties(height=200), width="stretch")


def _over_time(source: ServingCopy, currency: str) -> None:
    st.subheader("Over time")
    time_grain = st.segmented_control(
        "Granularity", ("day", "week"), default="week", format_func=str.title, required=True, key="time_grain"
    )
    metric_time = f"metric_time__{time_grain}"
    series = source.metrics(["sessions", "conversion_rate", "gross_revenue"], [metric_time], order_by=[metric_time])
    if time_grain == "week":
        st.caption("The first and last weeks can be partial.")
    for (field, title, kind), column in zip(
        (
            ("sessions", "Sessions", "count"),
            ("conversion_rate", "Conversion rate", "rate"),
            ("gross_revenue", "Gross revenue", "money"),
        ),
        st.columns(3),
        strict=True,
    ):
        column.altair_chart(charts.over_time(series, metric_time, field, title, kind, currency), width="stretch")
