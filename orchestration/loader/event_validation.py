"""Compiles the event contract into one DuckDB query that types and judges every line of a file.

The query reads a table `event_lines(file_index, line_number, raw)` and yields one row per line with either a
rejection `reason` or the typed, de-identified event. All work is vectorised SQL: Python only writes
the SQL text, once per process.

Each line is parsed once into its top-level members (json_transform to a struct of JSON values, each the
text json_extract would give) and its properties object once more; the rules read the small member texts,
whose JSON type is mostly told by their first character. Lines Python rewrote (few) are read by path.
"""

import json
from functools import cache

from orchestration.loader import pii
from orchestration.loader.event_contract import (
    EVENT_NAMES,
    EVENT_PROPERTIES,
    FUTURE_TOLERANCE_HOURS,
    MAX_ID_CHARS,
    MAX_LINE_BYTES,
    MAX_TEXT_CHARS,
    NUMBER_TYPES,
    PROPERTY_KINDS,
    TOP_LEVEL_FIELDS,
    TOP_LEVEL_OBJECTS,
    TOP_LEVEL_STRINGS_REQUIRED,
    Kind,
    NumberType,
    Prop,
    property_names,
)

# Stored for rejected lines too, so a forgotten person's rejected lines are recognised (event_files).
IDENTIFIERS = ("event_id", "anonymous_id", "user_id")
_TOP_LEVEL = ("event_id", "event_name", "occurred_at", "anonymous_id", "user_id", "sent_at", *TOP_LEVEL_OBJECTS)
_NUMBER = "('BIGINT', 'UBIGINT', 'DOUBLE')"
_INTEGER = "('BIGINT', 'UBIGINT')"
_STRING = "('VARCHAR')"
_OBJECT = "('OBJECT')"
_ARRAY = "('ARRAY')"
# A JSON merge patch that deletes every contract field: applied to a line, it leaves exactly its unknown fields.
_WITHOUT_CONTRACT_FIELDS = json.dumps({name: None for name in TOP_LEVEL_FIELDS})
_ISO_8601_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)$"


def _paths(names) -> str:
    return "[" + ", ".join(f"'$.{name}'" for name in names) + "]"


def _structure(names) -> str:
    """A json_transform structure keeping each named member as JSON: absent and null both become SQL null."""
    return json.dumps({name: "JSON" for name in names})


def _column(name: str) -> str:
    return name.replace(".", "_")


def _field_type(name: str) -> str:
    return f"type_{_column(name)}"


def _field_text(name: str) -> str:
    return f"text_{_column(name)}"


def _prop_type(name: str) -> str:
    return f"prop_type_{name}"


def _prop_text(name: str) -> str:
    return f"prop_text_{name}"


def _prop_number(name: str) -> str:
    """A numeric property cast to its column type once, for the rules that read it."""
    return f"prop_number_{name}"


def _timestamp(name: str) -> str:
    return f"timestamp_{name}"


def _json_type(value: str) -> str:
    """json_type of a JSON value as json_transform or json_extract writes it (no leading space): its first
    character tells all but numbers, which are few, and the cheap test spares a parse of every member."""
    return (
        f"(case ord({value}) when 34 then 'VARCHAR' when 123 then 'OBJECT' when 91 then 'ARRAY' "
        f"when 110 then 'NULL' when 116 then 'BOOLEAN' when 102 then 'BOOLEAN' else json_type({value}) end)"
    )


def _typed_members(members: dict[str, str], type_of, text_of) -> str:
    """Columns of each member's JSON type and of its text as json_extract_string gives it."""
    return ",\n        ".join(
        f"{_json_type(value)} as {type_of(name)},\n        json_extract_string({value}, '$') as {text_of(name)}"
        for name, value in members.items()
    )


def _sql_list(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _is_present(json_type: str) -> str:
    return f"coalesce({json_type} <> 'NULL', false)"


def _is_type(json_type: str, json_types: str) -> str:
    return f"coalesce({json_type} in {json_types}, false)"


# --- property rules, one function per reason, each true when the rule is broken --------------------------


def _item_rule(rule: str) -> str:
    """True when any purchase/refund item breaks `rule` (a predicate over the item `i`)."""
    return f"coalesce(list_bool_or(list_transform(items, lambda i: {rule})), false)"


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


def _as_number(text: str, number: NumberType) -> str:
    return f"try_cast({text} as {number.sql})"


def _does_not_fit(value: str, number: NumberType) -> str:
    """True when the number (`value`, its text cast to its column type) did not cast, is not finite, or exceeds
    its maximum."""
    fits = f"isfinite({value})" if number.sql == "double" else f"{value} is not null"
    if number.maximum is not None:
        fits += f" and abs({value}) <= {number.maximum}"
    return f"not coalesce({fits}, false)"


_ITEM_OUT_OF_RANGE = _item_rule(
    _does_not_fit(_as_number("i ->> '$.price'", NUMBER_TYPES[Kind.MONEY]), NUMBER_TYPES[Kind.MONEY])
    + " or "
    + _does_not_fit(_as_number("i ->> '$.quantity'", NUMBER_TYPES[Kind.QUANTITY]), NUMBER_TYPES[Kind.QUANTITY])
)


def _type_broken(prop: Prop) -> str:
    kind, text = _prop_type(prop.name), _prop_text(prop.name)
    match prop.kind:
        case Kind.ID | Kind.TEXT | Kind.CONTACT:
            return f"not {_is_type(kind, _STRING)}"
        case Kind.DEDUP_ID:
            return f"not ({_is_type(kind, _STRING)} and {text} <> '')"
        case Kind.MONEY | Kind.SECONDS | Kind.QUANTITY:
            return f"not {_is_type(kind, _NUMBER)}"
        case Kind.COUNT:
            return f"not {_is_type(kind, _INTEGER)}"
        case Kind.STEP:
            return f"not ({_is_type(kind, _INTEGER)} and try_cast({text} as hugeint) >= 1)"
        case Kind.PERCENT:
            return f"not ({_is_type(kind, _INTEGER)} and {text} in ('25', '50', '75', '100'))"
        case Kind.SIGN_UP_METHOD:
            return f"not ({_is_type(kind, _STRING)} and {text} in ('popup', 'form', 'checkout', 'social'))"
        case Kind.ITEMS:
            return f"(not {_is_type(kind, _ARRAY)} or {_ITEM_TYPE_BROKEN})"
    raise ValueError(prop.kind)


def _negative(prop: Prop) -> str | None:
    if prop.kind is Kind.MONEY:
        return f"coalesce(try_cast({_prop_text(prop.name)} as double) < 0, false)"
    if prop.kind is Kind.ITEMS:
        return _ITEM_NEGATIVE
    return None


def _quantity_broken(prop: Prop) -> str | None:
    if prop.kind is Kind.QUANTITY:
        kind, text = _prop_type(prop.name), _prop_text(prop.name)
        return f"not ({_is_type(kind, _INTEGER)} and coalesce(try_cast({text} as hugeint) >= 1, false))"
    if prop.kind is Kind.ITEMS:
        return _ITEM_QUANTITY_BROKEN
    return None


def _out_of_range(prop: Prop) -> str | None:
    if prop.kind in NUMBER_TYPES:
        return _does_not_fit(_prop_number(prop.name), NUMBER_TYPES[prop.kind])
    if prop.kind is Kind.ITEMS:
        return _ITEM_OUT_OF_RANGE
    return None


def _too_long(prop: Prop) -> str | None:
    limits = {Kind.ID: MAX_ID_CHARS, Kind.DEDUP_ID: MAX_ID_CHARS, Kind.TEXT: MAX_TEXT_CHARS}
    if prop.kind in limits:
        return f"coalesce(length({_prop_text(prop.name)}) > {limits[prop.kind]}, false)"
    if prop.kind is Kind.ITEMS:
        return _ITEM_ID_TOO_LONG
    return None


def _missing(prop: Prop) -> str | None:
    if not prop.required:
        return None
    absent = f"not {_is_present(_prop_type(prop.name))}"
    if prop.kind is Kind.ITEMS:
        return f"({absent} or coalesce(len(items) = 0, false))"
    return absent


def _per_event(checks_of) -> str:
    """A CASE over event_name whose branch ORs `checks_of(that event's properties)`."""
    branches = []
    for event_name, props in EVENT_PROPERTIES.items():
        checks = checks_of(props)
        if checks:
            branches.append(f"when '{event_name}' then " + " or ".join(checks))
    return "(case event_name " + "\n      ".join(branches) + " else false end)"


def _where_present(rule, props) -> list[str]:
    return [f"({_is_present(_prop_type(p.name))} and {check})" for p in props if (check := rule(p)) is not None]


# Staging casts every numeric property whatever the event, so a `price` on a page_view must fit as well.
_NUMERIC_PROPS = tuple(
    Prop(name, kind, required=False) for name, kind in PROPERTY_KINDS.items() if kind in NUMBER_TYPES
)


def _property_broken(rule) -> str:
    """`rule` over the present properties: numeric ones wherever they appear, the others in the events naming them."""
    others = _per_event(lambda props: _where_present(rule, [p for p in props if p.kind not in NUMBER_TYPES]))
    return "(" + " or ".join([others, *_where_present(rule, _NUMERIC_PROPS)]) + ")"


def _property_missing() -> str:
    return _per_event(lambda props: [check for p in props if (check := _missing(p)) is not None])


# --- top-level rules ----------------------------------------------------------------------------------------


def _missing_field() -> str:
    return " or ".join(
        f"(not {_is_present(_field_type(n))} or {_field_text(n)} = '')" for n in TOP_LEVEL_STRINGS_REQUIRED
    )


def _field_type_broken() -> str:
    checks = [f"not {_is_type(_field_type(n), _STRING)}" for n in TOP_LEVEL_STRINGS_REQUIRED]
    checks += [
        f"({_is_present(_field_type(n))} and not {_is_type(_field_type(n), _STRING)})" for n in ("user_id", "sent_at")
    ]
    checks += [
        f"({_is_present(_field_type(n))} and not {_is_type(_field_type(n), _OBJECT)})" for n in TOP_LEVEL_OBJECTS
    ]
    return " or ".join(checks)


def _top_level_too_long() -> str:
    return " or ".join(
        f"coalesce(length({_field_text(n)}) > {MAX_ID_CHARS}, false)"
        for n in ("event_id", "event_name", "anonymous_id", "user_id")
    )


def _timestamp_broken(name: str, *, required: bool) -> str:
    text = _field_text(name)
    broken = f"(not regexp_full_match({text}, '{_ISO_8601_WITH_OFFSET}') or {_timestamp(name)} is null)"
    return broken if required else f"({_is_present(_field_type(name))} and {broken})"


def _timestamp_too_early(name: str) -> str:
    return f"coalesce({_timestamp(name)} < $earliest, false)"


@cache
def validation_query() -> str:
    """SQL over `event_lines(file_index, line_number, raw)`; parameters $load_time and $earliest (timestamptz).

    Personal data is taken out after the rules judged the line as sent (see pii.py): the functions
    Pseudonymiser.register defines must exist on the connection."""
    top_members = {name: f"top['{name}']" for name in _TOP_LEVEL} | {"context.ip": "context_ip"}
    properties = {name: f"properties['{name}']" for name in property_names()}
    numbers = ",\n        ".join(
        f"{_as_number(_prop_text(prop.name), NUMBER_TYPES[prop.kind])} as {_prop_number(prop.name)}"
        for prop in _NUMERIC_PROPS
    )
    return f"""
with lines as (
    select
        file_index,
        line_number,
        raw,
        coalesce(strlen(raw) > {MAX_LINE_BYTES}, false) as is_oversized,
        coalesce(json_valid(raw), false) as is_json
    from event_lines
),

parsed as (
    select
        *,
        -- Valid JSON that opens with a brace is an object: only other lines are parsed for their type.
        case when is_json and not is_oversized then
            case when starts_with(raw, '{{') then 'OBJECT' else json_type(raw) end
        end as json_kind,
        case when is_json and not is_oversized then json_transform(raw, '{_structure(TOP_LEVEL_FIELDS)}') end as top
    from lines
),

members as (
    select
        *,
        -- json_extract, not a transform: a null ip stays JSON null, told apart from an absent one.
        json_extract(top['context'], '$.ip') as context_ip,
        case when ord(top['properties']) = 123
            then json_transform(top['properties'], '{_structure(property_names())}') end as properties
    from parsed
),

fields as (
    select
        *,
        {_typed_members(top_members, _field_type, _field_text)},
        {_typed_members(properties, _prop_type, _prop_text)}
    from members
),

typed as (
    select
        *,
        {_field_text("event_name")} as event_name,
        try_cast({_field_text("occurred_at")} as timestamptz) as {_timestamp("occurred_at")},
        try_cast({_field_text("sent_at")} as timestamptz) as {_timestamp("sent_at")},
        {numbers},
        case when {_prop_type("items")} = 'ARRAY' then json_extract(properties['items'], '$[*]') end as items
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
            when {_timestamp_broken("occurred_at", required=True)}
                or {_timestamp_broken("sent_at", required=False)} then 'invalid_timestamp'
            when {_timestamp_too_early("occurred_at")}
                or {_timestamp_too_early("sent_at")} then 'timestamp_out_of_range'
            when {_timestamp("occurred_at")} > $load_time + interval {FUTURE_TOLERANCE_HOURS} hour
                then 'future_timestamp'
            when {_property_missing()} then 'missing_property'
            when {_property_broken(_type_broken)} then 'invalid_property_type'
            when {_property_broken(_negative)} then 'negative_amount'
            when {_property_broken(_quantity_broken)} then 'invalid_quantity'
            when {_property_broken(_out_of_range)} then 'number_out_of_range'
            when {_property_broken(_too_long)} then 'string_too_long'
        end as reason
    from typed
),

de_identified as (
    select
        *,
        -- The guard passes over "ip" keys, taking them for context.ip: a line without one is Python's.
        {pii.may_hold_personal_data_sql("raw")}
            or ({_field_type("context.ip")} is null and contains(raw, '"ip"')) as needs_python,
        case when reason is null then json_keys(raw) end as keys
    from judged
)

select
    file_index,
    line_number,
    reason,
    is_json,
    needs_python,
    event_name,
    {_timestamp("occurred_at")} as occurred_at,
    {_timestamp("sent_at")} as sent_at,
    {_stored_columns("raw", _field_text, _field_text("context.ip"), _member_object, "keys")}
from de_identified
"""


def _member_object(name: str) -> str:
    """A top-level object of an accepted line from its transformed member; a null one stays JSON null, as
    json_extract gives it (the transform makes absent and null alike, the line's keys tell them apart)."""
    return (
        f"case when reason is null then "
        f"coalesce(top['{name}'], case when list_contains(keys, '{name}') then 'null'::json end) end"
    )


def _extracted_object(name: str) -> str:
    return f"objects[{TOP_LEVEL_OBJECTS.index(name) + 1}]"


def _stored_columns(line: str, identifier, context_ip: str, stored_object, keys: str) -> str:
    """The columns stored from a line: `line` as SQL, `identifier(name)` the SQL of a top-level id,
    `context_ip` of context.ip, both as sent, `stored_object(name)` of a top-level object of an accepted line,
    and `keys` of its top-level keys. One list for lines as sent and lines Python rewrote."""
    stored = {name: stored_object(name) for name in TOP_LEVEL_OBJECTS}
    stored["context"] = pii.truncate_context_ip(stored["context"], context_ip)
    return ",\n    ".join(
        [
            # Rejected lines are few and may not be JSON: their whole text loses its IP hosts.
            f"case when reason is not null then {pii.truncate_ips_sql(line)} end as rejected_text",
            *(f"{identifier(name)} as {name}" for name in IDENTIFIERS),
            *(f"{sql}::json as {name}" for name, sql in stored.items()),
            f"{_unknown_fields(line, keys)} as unknown_fields",
        ]
    )


def _unknown_fields(line: str, keys: str) -> str:
    """The accepted line's top-level keys the contract does not name, with their values as they are stored
    (after personal data was taken out: `line` is the rewritten one for lines Python saw); null when none.
    One merge patch in SQL; keys first, so the many lines without unknown fields are not re-serialised."""
    unknown = f"list_filter({keys}, lambda key: key not in {_sql_list(TOP_LEVEL_FIELDS)})"
    return (
        f"case when reason is null and len({unknown}) > 0 "
        f"then json_merge_patch({line}, '{_WITHOUT_CONTRACT_FIELDS}') end"
    )


def _objects(line: str) -> str:
    """The top-level objects of an accepted line, parsed once: `objects` for _extracted_object."""
    return f"case when reason is null then json_extract({line}, {_paths(TOP_LEVEL_OBJECTS)}) end as objects"


REWRITTEN_COLUMNS = ("rejected_text", *IDENTIFIERS, *TOP_LEVEL_OBJECTS, "unknown_fields")


@cache
def rewrite_query() -> str:
    """SQL updating judged_lines from `rewritten_lines(file_index, line_number, line)`: the lines Python
    took personal data out of."""
    columns = _stored_columns(
        "rewritten.line",
        lambda name: f"case when is_json then json_extract_string(rewritten.line, '$.{name}') end",
        "case when reason is null then json_extract_string(rewritten.line, '$.context.ip') end",
        _extracted_object,
        "json_keys(rewritten.line)",
    )
    assignments = ", ".join(f"{name} = stored.{name}" for name in REWRITTEN_COLUMNS)
    return f"""
update judged_lines set {assignments}
from (
    select file_index, line_number, {columns}
    from (
        select judged.file_index, judged.line_number, judged.reason, judged.is_json, rewritten.line,
            {_objects("rewritten.line")}
        from judged_lines as judged
        inner join rewritten_lines as rewritten
            on judged.file_index = rewritten.file_index and judged.line_number = rewritten.line_number
    ) as rewritten
) as stored
where judged_lines.file_index = stored.file_index and judged_lines.line_number = stored.line_number
"""
