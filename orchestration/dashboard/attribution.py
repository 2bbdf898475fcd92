"""Attribution tab: the revenue each model credits to each channel, and the paths that convert most."""

import altair as alt
import pandas as pd
import streamlit as st

from orchestration.dashboard import charts
from orchestration.dashboard.formats import Columns, money, number, show_table

MODEL = "attribution_credit__model"
TOP_PATHS = 15


def render(source, currency: str) -> None:
    st.subheader("Attributed revenue by channel and model")
    by_model = source.metrics(["attributed_revenue", "attributed_conversions"], [MODEL], order_by=[MODEL])
    by_channel = source.metrics(["attributed_revenue"], ["channel", MODEL])
    st.altair_chart(_grouped_bars(by_channel, currency), width="stretch")
    st.caption("Every model shares out the same orders: the models differ in which channel gets the credit.")
    st.table(_model_totals(by_model, currency), hide_index=True)
    _paths(source, currency)


def _grouped_bars(by_channel: pd.DataFrame, currency: str) -> alt.Chart:
    return (
        alt.Chart(by_channel)
        .mark_bar()
        .encode(
            x=alt.X("channel", type="nominal", title=None, sort="-y", axis=alt.Axis(labelAngle=-30)),
            xOffset=alt.XOffset(MODEL, type="nominal"),
            y=charts.y_quantity("attributed_revenue", "Attributed revenue", "money", currency),
            color=alt.Color(MODEL, type="nominal", title="Model", legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("channel", title="Channel"),
                alt.Tooltip(MODEL, title="Model"),
                charts.tooltip("attributed_revenue", "Attributed revenue", "money", currency),
            ],
        )
        .properties(height=360)
    )


def _model_totals(by_model: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Written out (st.table shows text as given): each model's total credit."""
    return pd.DataFrame(
        {
            "Model": by_model[MODEL],
            "Attributed revenue": by_model["attributed_revenue"].map(lambda value: money(value, currency)),
            # Credits are shares of orders, so conversions are fractional per channel.
            "Attributed conversions": by_model["attributed_conversions"].map(number),
        }
    )


def _paths(source, currency: str) -> None:
    st.subheader("Top converting paths")
    paths = source.mart(
        f"""
        select channel_path, touches, paths, conversions, conversion_rate, revenue, avg_days_to_convert,
            avg_visits_to_convert
        from marts.fct_attribution_paths
        where path_rank <= {TOP_PATHS}
        order by path_rank
        """
    )
    columns = Columns(currency)
    show_table(
        paths,
        whole=True,
        column_config={
            "channel_path": columns.text("Channel path", "The touches' channels, first to last."),
            "touches": columns.count("Touches"),
            "paths": columns.count("Paths", "Paths, converting or not, that took this sequence."),
            "conversions": columns.count("Conversions"),
            "conversion_rate": columns.rate("Conversion rate", "Conversions / paths."),
            "revenue": columns.money("Revenue"),
            "avg_days_to_convert": columns.number("Days to convert", "Mean days from the first touch to the order."),
            "avg_visits_to_convert": columns.number("Visits to convert", "Mean sessions on a converting path."),
        },
    )
