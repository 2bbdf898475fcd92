"""The daily exports and catalog files (CONTRACT section 3): their columns, types and value rules."""

from dataclasses import dataclass
from datetime import datetime

from orchestration.loader.event_contract import FUTURE_TOLERANCE_HOURS, NUMBER_TYPES, Kind
from orchestration.loader.pii import scrub_text_sql

MONEY = NUMBER_TYPES[Kind.MONEY].sql
_DATED = ("date", "timestamptz")
_NUMERIC = ("integer", "bigint", "double", MONEY)


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str = "varchar"
    required: bool = True
    non_negative: bool = False


@dataclass(frozen=True)
class CsvSource:
    """CSV files of one landing folder that append to one raw table.

    prefix: the start of the file names (any case) that feed this table, when the folder feeds several.
    person: columns of which at least one must name the row's person, when each alone is optional.
    """

    table: str
    folder: str
    prefix: str
    columns: tuple[Column, ...]
    person: tuple[str, ...] = ()


def _count(name: str) -> Column:
    return Column(name, "bigint", non_negative=True)


CSV_SOURCES: dict[str, CsvSource] = {
    source.table: source
    for source in (
        CsvSource(
            "products",
            "catalog",
            "products",
            (
                Column("product_id"),
                Column("name"),
                Column("category"),
                Column("brand", required=False),
                Column("price", MONEY, non_negative=True),
                Column("currency"),
                Column("unit_cost", MONEY, required=False, non_negative=True),
            ),
        ),
        CsvSource(
            "videos",
            "catalog",
            "videos",
            (
                Column("video_id"),
                Column("title"),
                Column("host"),
                Column("format"),
                Column("length_s", "integer", non_negative=True),
                Column("published_at", "timestamptz"),
                Column("production_cost", MONEY, required=False, non_negative=True),
                Column("currency", required=False),
            ),
        ),
        CsvSource(
            "hotspots",
            "catalog",
            "hotspots",
            (
                Column("video_id"),
                Column("hotspot_id"),
                Column("product_id"),
                Column("start_s", "double", non_negative=True),
                Column("end_s", "double", non_negative=True),
                Column("segment", required=False),
            ),
        ),
        CsvSource(
            "inventory",
            "inventory",
            "",
            (Column("snapshot_date", "date"), Column("product_id"), _count("units_on_hand")),
        ),
        CsvSource(
            "ad_spend",
            "ad_spend",
            "",
            (
                Column("date", "date"),
                Column("platform"),
                Column("campaign"),
                Column("spend", MONEY, non_negative=True),
                Column("currency"),
                _count("impressions"),
                _count("clicks"),
            ),
        ),
        CsvSource(
            "social",
            "social",
            "",
            (
                Column("date", "date"),
                Column("platform"),
                Column("account"),
                Column("post_id", required=False),
                Column("post_type", required=False),
                _count("impressions"),
                _count("reach"),
                _count("likes"),
                _count("comments"),
                _count("shares"),
                _count("saves"),
                _count("link_clicks"),
                _count("video_views"),
                _count("followers"),
            ),
        ),
        CsvSource(
            "fx_rates",
            "fx_rates",
            "",
            (Column("date", "date"), Column("currency"), Column("rate_to_reporting", "double", non_negative=True)),
        ),
        # What the e-mail/SMS tool sent for the activation flows, and to whom: control-group rows are people the
        # flow held back on purpose, so a flow's effect can be measured against doing nothing.
        CsvSource(
            "messages",
            "messages",
            "",
            (
                Column("sent_at", "timestamptz"),
                Column("flow"),
                Column("channel"),
                Column("customer_id", required=False),
                Column("anonymous_id", required=False),
                Column("message_id"),
                Column("opened_at", "timestamptz", required=False),
                Column("clicked_at", "timestamptz", required=False),
                Column("unsubscribed_at", "timestamptz", required=False),
                Column("is_control", "boolean"),
            ),
            person=("customer_id", "anonymous_id"),
        ),
    )
}


def _value(column: Column) -> str:
    return f"nullif(trim(\"{column.name}\"), '')"


def _number_out_of_range(column: Column) -> str:
    """Parses as a number but does not fit the column's type, or is not finite ('1e999', 'inf', 'nan')."""
    value = _value(column)
    return (
        f"try_cast({value} as double) is not null and not coalesce("
        f"isfinite(try_cast({value} as double)) and try_cast({value} as {column.sql_type}) is not null, false)"
    )


def _timestamp_out_of_range(column: Column, earliest: datetime, load_time: datetime) -> str:
    """Before the earliest instant the loader takes, or more than a day after the load time (the product
    clock, never SQL now(): a pinned clock decides here as it does for events)."""
    value = f"try_cast({_value(column)} as {column.sql_type})"
    late = f"timestamptz '{load_time.isoformat()}' + interval {FUTURE_TOLERANCE_HOURS} hour"
    return f"({value} < timestamptz '{earliest.isoformat()}' or {value} > {late})"


def _no_person(source: CsvSource) -> tuple[str, str, str]:
    named = [_value(c) for c in source.columns if c.name in source.person]
    return (f"coalesce({', '.join(named)}) is null", "missing_value", " or ".join(source.person))


def rejection_reason_sql(source: CsvSource, earliest: datetime, load_time: datetime) -> tuple[str, str]:
    """(reason, column_name) CASE expressions over an all-varchar row: the first broken rule wins."""
    columns = source.columns
    rules: list[tuple[str, str, str]] = []
    for column in columns:
        if column.required:
            rules.append((f"{_value(column)} is null", "missing_value", column.name))
    if source.person:
        rules.append(_no_person(source))
    for column in columns:
        if column.sql_type in _NUMERIC:
            rules.append((_number_out_of_range(column), "number_out_of_range", column.name))
    for column in columns:
        if column.sql_type != "varchar":
            rules.append(
                (
                    f"{_value(column)} is not null and try_cast({_value(column)} as {column.sql_type}) is null",
                    "invalid_value",
                    column.name,
                )
            )
    for column in columns:
        if column.sql_type in _DATED:
            rules.append((_timestamp_out_of_range(column, earliest, load_time), "timestamp_out_of_range", column.name))
    for column in columns:
        if column.non_negative:
            rules.append((f"try_cast({_value(column)} as {column.sql_type}) < 0", "negative_value", column.name))
    reason = "case " + " ".join(f"when {cond} then '{r}'" for cond, r, _ in rules) + " end"
    column = "case " + " ".join(f"when {cond} then '{c}'" for cond, _, c in rules) + " end"
    return reason, column


def _typed(column: Column) -> str:
    """The cell as stored: text without plain personal data (exports carry names and notes too)."""
    if column.sql_type == "varchar":
        return scrub_text_sql(_value(column))
    return f"try_cast({_value(column)} as {column.sql_type})"


def typed_columns_sql(columns: tuple[Column, ...]) -> str:
    return ",\n    ".join(f'{_typed(c)} as "{c.name}"' for c in columns)


def table_ddl(source: CsvSource) -> str:
    columns = ",\n    ".join(f'"{c.name}" {c.sql_type}' for c in source.columns)
    return f"""create table if not exists raw.{source.table} (
    {columns},
    load_id bigint not null,
    source_file varchar not null,
    source_line bigint not null
)"""
