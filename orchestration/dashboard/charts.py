"""Altair encodings in the dashboard's formats: axes and tooltips say the unit (the currency, %)."""

import altair as alt

from orchestration.dashboard.formats import Kind

_AXIS_FORMAT: dict[Kind, str] = {"count": ",d", "money": ",.0f", "rate": ".2~%", "number": ",.2f", "times": ".2f"}
_TOOLTIP_FORMAT: dict[Kind, str] = {"count": ",d", "money": ",.2f", "rate": ".2%", "number": ",.2f", "times": ".2f"}


def titled(title: str, kind: Kind, currency: str) -> str:
    return f"{title} ({currency})" if kind == "money" else title


def x_quantity(field: str, title: str, kind: Kind, currency: str, **kwargs) -> alt.X:
    return alt.X(
        field,
        type="quantitative",
        title=titled(title, kind, currency),
        axis=alt.Axis(format=_AXIS_FORMAT[kind]),
        **kwargs,
    )


def y_quantity(field: str, title: str, kind: Kind, currency: str, **kwargs) -> alt.Y:
    return alt.Y(
        field,
        type="quantitative",
        title=titled(title, kind, currency),
        axis=alt.Axis(format=_AXIS_FORMAT[kind]),
        **kwargs,
    )


def tooltip(field: str, title: str, kind: Kind, currency: str) -> alt.Tooltip:
    return alt.Tooltip(field, type="quantitative", title=titled(title, kind, currency), format=_TOOLTIP_FORMAT[kind])


def over_time(data, time_field: str, value_field: str, title: str, kind: Kind, currency: str) -> alt.Chart:
    """One quantity per period, as a line with its points."""
    return (
        alt.Chart(data, title=titled(title, kind, currency))
        .mark_line(point=True)
        .encode(
            x=alt.X(time_field, type="temporal", title=None),
            y=y_quantity(value_field, title, kind, currency).title(None),
            tooltip=[
                alt.Tooltip(time_field, type="temporal", title="Period"),
                tooltip(value_field, title, kind, currency),
            ],
        )
        .properties(height=220)
    )
