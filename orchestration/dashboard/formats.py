"""How the dashboard writes numbers: money with two decimals and the reporting currency, rates as
percentages, counts with thousands separators; the same in text and in table columns."""

import math
from dataclasses import dataclass
from typing import Literal

import streamlit as st

NOT_AVAILABLE = "–"

Kind = Literal["count", "money", "rate", "number", "times"]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value, currency: str) -> str:
    return NOT_AVAILABLE if _missing(value) else f"{value:,.2f} {currency}"


def percent(value) -> str:
    return NOT_AVAILABLE if _missing(value) else f"{value:.2%}"


def count(value) -> str:
    return NOT_AVAILABLE if _missing(value) else f"{round(value):,}"


def number(value) -> str:
    return NOT_AVAILABLE if _missing(value) else f"{value:,.2f}"


def times(value) -> str:
    return NOT_AVAILABLE if _missing(value) else f"{value:,.2f}×"


def value_text(value, kind: Kind, currency: str) -> str:
    match kind:
        case "money":
            return money(value, currency)
        case "rate":
            return percent(value)
        case "count":
            return count(value)
        case "times":
            return times(value)
        case _:
            return number(value)


def change_text(change, change_pct, kind: Kind) -> str | None:
    """A rate changes by percentage points; anything else by a share of what it was. None when there is
    nothing to compare with."""
    if kind == "rate":
        return None if _missing(change) else f"{change * 100:+.2f} pp"
    return None if _missing(change_pct) else f"{change_pct:+.1%}"


# st.dataframe's rows are this tall (the header too), plus a border: a short table shown whole needs no scrolling.
_ROW_PX = 35


def show_table(data, column_config: dict, *, whole: bool = False, **kwargs) -> None:
    """A sortable table in the dashboard's formats, empty cells as a dash; `whole` shows every row."""
    if whole:
        kwargs["height"] = (len(data) + 1) * _ROW_PX + 3
    st.dataframe(data, hide_index=True, placeholder=NOT_AVAILABLE, column_config=column_config, **kwargs)


@dataclass(frozen=True)
class Columns:
    """st.dataframe column settings in the dashboard's formats (tables keep numbers, so they sort as numbers)."""

    currency: str

    def money(self, label: str, help: str | None = None):
        return st.column_config.NumberColumn(label, help=help, format=f"%,.2f {self.currency}")

    @staticmethod
    def rate(label: str, help: str | None = None):
        return st.column_config.NumberColumn(label, help=help, format="percent")

    @staticmethod
    def count(label: str, help: str | None = None):
        return st.column_config.NumberColumn(label, help=help, format="%,d")

    @staticmethod
    def number(label: str, help: str | None = None):
        return st.column_config.NumberColumn(label, help=help, format="%,.2f")

    @staticmethod
    def times(label: str, help: str | None = None):
        return st.column_config.NumberColumn(label, help=help, format="%,.2f×")

    @staticmethod
    def text(label: str, help: str | None = None):
        return st.column_config.TextColumn(label, help=help)
