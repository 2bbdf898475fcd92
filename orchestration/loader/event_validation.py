"""Compiles the event contract into one DuckDB query that types and judges every line of a file.

The query reads a relation `event_lines(line_number, raw)` and yields one row per line with either a
rejection `reason` or the typed, de-identified event. All work is vectorised SQL: Python only writes
the SQL text, once per process.
"""

from functools import cache

from orchestration.loader import pii
from orchestration.loader.event_contract import (
    EVENT_NAMES,
    EVENT_PROPERTIES,
    FUTURE_TOLERANCE_HOURS,
    MAX_ID_CHARS,
    MAX_LINE_BYTES,
    MAX_TEXT_CHARS,
    TOP_LEVEL_OBJECTS,
    Kind,
    Prop,
    property_names,
)

_TOP_LEVEL = ("event_id", "event_name", "occurred_at", "anonymous_id", "user_id", "sent_at", *TOP_LEVEL_OBJECTS)
_NUMBER = "('BIGINT', 'UBIGINT', 'DOUBLE')"
_INTEGER = "('BIGINT', 'UBIGINT')"
_STRING = "('VARCHAR')"
_OBJECT = "('OBJECT')"
_ARRAY = "('ARRAY')"
_ISO_8601_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)$"


def _field(name: str) -> str:
    return f"f[{_TOP_LEVEL.index(name) + 1}]"


def _prop(name: str) -> str:
    return f"p[{property_names().index(name) + 1}]"


def _sql_list(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _is_present(json_value: str) -> str:
    return f"coalesce(json_type({json_value}) <> 'NULL', false)"


def _is_type(json_value: str, json_types: str) -> str:
    return f"coalesce(json_type({json_value}) in {json_types}, false)"


def _string(json_value: str) -> str:
    return f"({json_value} ->> '$')"


# --- property rules, one function per reason, each true when the rule is broken --------------------------


def _item_rule(rule: str) -> str:
    """True when any purchase/refund item breaks `rule` (a predicate over the item `i`)."""
    return f"coalesce(list_bool_or(list_transform(json_extract({{items}}, '$[*]'), lambda i: {rule})), false)"


_ITEM_TYPE_BROKEN = _item_rule(
    "coalesce(json_type(i, '$.product_id') <> 'VARCHAR', true)"
    f" or coalesce(json_type(i, '$.price') not in {_NUMBER}, true)"
    f" or coalesce(json_type(i, '$.quantity') not in {_NUMBER}, true)"
)
_ITEM_NEGATIVE = _item_rule("coalesce(try_cast(i ->> '$.price' as double) < 0, false)")
_ITEM_QUANTITY_BROKEN = _item_rule(
    f"not (coalesce(json_type(i, '$.quantity') in {_INTEGER}, false)"
    " and coalesce(try_cast(i ->> '$.quantity' as hugeint) >= 1, false))"
)
_ITEM_ID_TOO_LONG = _item_rule(f"coalesce(length(i ->> '$.product_id') > {MAX_ID_CHARS}, false)")


def _type_broken(prop: Prop) -> str:
    v = _prop(prop.name)
    match prop.kind:
        case Kind.ID | Kind.TEXT | Kind.CONTACT:
            return f"not {_is_type(v, _STRING)}"
        case Kind.MONEY | Kind.SECONDS | Kind.QUANTITY:
            return f"not {_is_type(v, _NUMBER)}"
        case Kind.COUNT:
            return f"not {_is_type(v, _INTEGER)}"
        case Kind.STEP:
            return f"not ({_is_type(v, _INTEGER)} and try_cast({_string(v)} as hugeint) >= 1)"
        case Kind.PERCENT:
            return f"not ({_is_type(v, _INTEGER)} and {_string(v)} in ('25', '50', '75', '100'))"
        case Kind.SIGN_UP_METHOD:
            methods = "('popup', 'form', 'checkout', 'social')"
            return f"not ({_is_type(v, _STRING)} and {_string(v)} in {methods})"
        case Kind.ITEMS:
            return f"(not {_is_type(v, _ARRAY)} or {_ITEM_TYPE_BROKEN.format(items=v)})"
    raise ValueError(prop.kind)


def _negative(prop: Prop) -> str | None:
    v = _prop(prop.name)
    if prop.kind is Kind.MONEY:
        return f"coalesce(try_cast({_string(v)} as double) < 0, false)"
    if prop.kind is Kind.ITEMS:
        return _ITEM_NEGATIVE.format(items=v)
    return None


def _quantity_broken(prop: Prop) -> str | None:
    v = _prop(prop.name)
    if prop.kind is Kind.QUANTITY:
        return f"not ({_is_type(v, _INTEGER)} and coalesce(try_cast({_string(v)} as hugeint) >= 1, false))"
    if prop.kind is Kind.ITEMS:
        return _ITEM_QUANTITY_BROKEN.format(items=v)
    return None


def _too_long(prop: Prop) -> str | None:
    v = _prop(prop.name)
    limits = {Kind.ID: MAX_ID_CHARS, Kind.TEXT: MAX_TEXT_CHARS}
    if prop.kind in limits:
        return f"coalesce(length({_string(v)}) > {limits[prop.kind]}, false)"
    if prop.kind is Kind.ITEMS:
        return _ITEM_ID_TOO_LONG.format(items=v)
    return None


def _missing(prop: Prop) -> str | None:
    v = _prop(prop.name)
    if not prop.required:
        return None
    if prop.kind is Kind.ITEMS:
        return f"(not {_is_present(v)} or coalesce(json_array_length({v}) = 0, false))"
    return f"not {_is_present(v)}"


def _per_event(rule, *, present_only: bool) -> str:
    """A CASE over event_name whose branch ORs `rule` over that event's properties."""
    branches = []
    for event_name, props in EVENT_PROPERTIES.items():
        checks = []
        for prop in props:
            check = rule(prop)
            if check is None:
                continue
            checks.append(f"({_is_present(_prop(prop.name))} and {check})" if present_only else check)
        if checks:
            branches.append(f"when '{event_name}' then " + " or ".join(checks))
    return "(case event_name " + "\n      ".join(branches) + " else false end)"


# --- top-level rules ----------------------------------------------------------------------------------------


def _missing_field() -> str:
    required = ("event_id", "event_name", "occurred_at", "anonymous_id")
    return " or ".join(f"(not {_is_present(_field(n))} or {_string(_field(n))} = '')" for n in required)


def _field_type_broken() -> str:
    strings = ("event_id", "event_name", "occurred_at", "anonymous_id")
    checks = [f"not {_is_type(_field(n), _STRING)}" for n in strings]
    checks += [f"({_is_present(_field(n))} and not {_is_type(_field(n), _STRING)})" for n in ("user_id", "sent_at")]
    checks += [f"({_is_present(_field(n))} and not {_is_type(_field(n), _OBJECT)})" for n in TOP_LEVEL_OBJECTS]
    return " or ".join(checks)


def _top_level_too_long() -> str:
    return " or ".join(
        f"coalesce(length({_string(_field(n))}) > {MAX_ID_CHARS}, false)"
        for n in ("event_id", "event_name", "anonymous_id", "user_id")
    )


def _timestamp_broken(json_value: str, *, required: bool) -> str:
    text = _string(json_value)
    broken = f"(not regexp_full_match({text}, '{_ISO_8601_WITH_OFFSET}') or try_cast({text} as timestamptz) is null)"
    return broken if required else f"({_is_present(json_value)} and {broken})"


@cache
def validation_query() -> str:
    """SQL over `event_lines(line_number, raw)`; parameters $load_time (timestamptz) and $salt."""
    top_paths = "[" + ", ".join(f"'$.{n}'" for n in _TOP_LEVEL) + "]"
    prop_paths = "[" + ", ".join(f"'$.{n}'" for n in property_names()) + "]"
    return f"""
with lines as (
    select
        line_number,
        raw,
        coalesce(strlen(raw) > {MAX_LINE_BYTES}, false) as is_oversized,
        coalesce(json_valid(raw), false) as is_json
    from event_lines
),

fields as (
    select
        *,
        case when is_json and not is_oversized then json_type(raw) end as json_kind,
        case when is_json and not is_oversized then json_extract(raw, {top_paths}) end as f
    from lines
),

typed as (
    select
        *,
        {_string(_field("event_name"))} as event_name,
        try_cast({_string(_field("occurred_at"))} as timestamptz) as occurred_at,
        json_extract({_field("properties")}, {prop_paths}) as p
    from fields
),

judged as (
    select
        *,
        case
            when is_oversized then 'oversized_line'
            when not is_json then 'invalid_json'
            when json_kind <> 'OBJECT' then 'not_an_object'
            when {_missing_field()} then 'missing_field'
            when {_field_type_broken()} then 'invalid_field_type'
            when {_top_level_too_long()} then 'string_too_long'
            when event_name not in {_sql_list(EVENT_NAMES)} then 'unknown_event_name'
            when {_timestamp_broken(_field("occurred_at"), required=True)}
                or {_timestamp_broken(_field("sent_at"), required=False)} then 'invalid_timestamp'
            when occurred_at > $load_time + interval {FUTURE_TOLERANCE_HOURS} hour then 'future_timestamp'
            when {_per_event(_missing, present_only=False)} then 'missing_property'
            when {_per_event(_type_broken, present_only=True)} then 'invalid_property_type'
            when {_per_event(_negative, present_only=True)} then 'negative_amount'
            when {_per_event(_quantity_broken, present_only=True)} then 'invalid_quantity'
            when {_per_event(_too_long, present_only=True)} then 'string_too_long'
        end as reason
    from typed
)

select
    line_number,
    reason,
    case when reason is not null then {pii.mask_free_text("raw")} end as rejected_text,
    {_string(_field("event_id"))} as event_id,
    event_name,
    occurred_at,
    try_cast({_string(_field("sent_at"))} as timestamptz) as sent_at,
    {_string(_field("anonymous_id"))} as anonymous_id,
    {_string(_field("user_id"))} as user_id,
    {pii.mask_emails(_field("page") + "::varchar")}::json as page,
    {_field("campaign")} as campaign,
    {pii.truncate_context_ip(_field("context"))} as context,
    {pii.hash_contact_properties(_field("properties"), _prop("email"), _prop("phone"))} as properties
from judged
"""
