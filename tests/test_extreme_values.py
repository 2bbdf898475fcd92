"""What the loader accepts, every model can hold (CONTRACT section 5): extreme values meet the loader and the models.

Lines are built from the contract's EVENT_PROPERTIES, so a new property is covered without editing this file.
Loader level (many examples, each in a fresh warehouse file): every line is staged or rejected with a known
reason, and every accepted line survives staging's casts, replayed from the contract's types; the types
themselves are pinned to stg_events' and stg_order_items' columns by a test on a real build. Pipeline level (a
few examples): the whole Dagster job stays green on extreme lines and on the clean run after them.
"""

import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from orchestration.clock import current_instant
from orchestration.loader.event_contract import (
    EARLIEST_TIMESTAMP,
    EVENT_PROPERTIES,
    FUTURE_TOLERANCE_HOURS,
    MAX_MONEY,
    MAX_QUANTITY,
    NUMBER_TYPES,
    PROPERTY_KINDS,
    Kind,
)
from orchestration.loader.reasons import EVENT_REJECTION_REASONS
from orchestration.pipeline import run_pipeline
from orchestration.settings import Settings
from tests.conftest import event, load, query, write_lines

# A valid value of each kind, as JSON text; a new kind fails here until it has one.
VALID: dict[Kind, str] = {
    Kind.ID: '"p1"',
    Kind.DEDUP_ID: '"r1"',
    Kind.TEXT: '"red dress"',
    Kind.MONEY: "19.99",
    Kind.QUANTITY: "2",
    Kind.STEP: "2",
    Kind.PERCENT: "50",
    Kind.SECONDS: "12.5",
    Kind.COUNT: "3",
    Kind.ITEMS: '[{"product_id": "p1", "price": 19.99, "quantity": 2}]',
    Kind.SIGN_UP_METHOD: '"form"',
    Kind.CONTACT: '"anna@example.com"',
}
VALID_OCCURRED_AT = '"2026-09-01T10:00:00Z"'
# The good lines name the catalog's video and need no FX rate. Extreme lines vary both like any id: a currency
# without a rate or a video the catalog does not list yet make a check warn, never stop the build.
GOOD_IDS = {"currency": '"EUR"', "video_id": '"p1"'}
CATALOG = {
    "products.csv": "product_id,name,category,brand,price,currency,unit_cost\np1,Dress,Dresses,Loom,19.99,EUR,8\n",
    "videos.csv": "video_id,title,host,format,length_s,published_at,production_cost,currency\n"
    "p1,Try-on,Ana,try_on,60,2026-08-01T00:00:00Z,100,EUR\n",
    "hotspots.csv": "video_id,hotspot_id,product_id,start_s,end_s,segment\np1,p1,p1,5,15,close_up_demo\n",
}

# stg_events' column for each numeric property (most keep their name).
STAGING_COLUMN = {
    "amount": "refund_amount",
    "value": "checkout_value",
    "step": "checkout_step",
    "percent": "video_percent",
    "results_count": "search_results_count",
}
NUMERIC_PROPERTIES = {name: kind for name, kind in PROPERTY_KINDS.items() if kind in NUMBER_TYPES}

# --- extreme values, spelled as JSON text (and as the non-JSON spellings DuckDB's reader accepts) -------------

NUMBER_SPELLINGS = (
    *("0", "-0", "0.0", "-0.0", "1", "-1", "1.5", "0.00005", "1e-400", "1E5", "2.5e+3", "10000", "10001"),
    *("2147483647", "2147483648", "-2147483648", "-2147483649", "3000000000", "4294967296"),
    *("9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809"),
    *("18446744073709551615", "18446744073709551616", "123456789012345678901234567890"),
    *("9999999999.9999", "10000000000", "1e14", "99999999999999.9999", "1.7976931348623157e308", "5e-324"),
    *("1e999", "-1e999", "NaN", "-NaN", "Infinity", "-Infinity", "nan", "inf", "0x10", "01", "+1", ".5"),
)
numbers = st.one_of(
    st.sampled_from(NUMBER_SPELLINGS),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
)
# No raw line breaks: they would split a line in two, which is a different file, not a different line.
# Lone surrogates cannot be written as UTF-8 (undecodable lines are test_loader_rejections' invalid_encoding).
_characters = st.characters(blacklist_categories=("Cs",))
_raw_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters='\n\r"\\'), max_size=20)
strings = st.one_of(
    st.text(_characters, max_size=30).map(lambda s: json.dumps(s)),
    st.text(_characters, max_size=30).map(lambda s: json.dumps(s, ensure_ascii=False)),
    _raw_text.map(lambda s: f'"{s}"'),  # control characters and NUL unescaped: not valid JSON
    st.sampled_from(['""', '"\\u0000"', '"a\\u0000b"', '"\\ud800"', '"\x1e"', '"\u202e\U0001f600"']),
    st.sampled_from((129, 513, 70_000)).map(lambda n: json.dumps("x" * n)),
)
_FIXED_TIMESTAMPS = (
    "0001-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "1999-12-31T23:59:59.999999999-00:01",
    "2000-01-01T00:00:00+00:01",
    "2026-02-30T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59+14:00",
)


@st.composite
def _timestamp_text(draw, earliest=datetime(1, 1, 1), latest=datetime(9999, 12, 31, 23, 59, 59)) -> str:
    moment = draw(st.datetimes(min_value=earliest, max_value=latest))
    minutes = draw(st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59))
    offset = draw(
        st.sampled_from(["Z", "z", f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"])
    )
    return moment.isoformat(sep=draw(st.sampled_from(["T", " "]))) + offset


# Any year, and as many inside the accepted range [2000, now], so that odd offsets reach the models too.
timestamps = st.one_of(
    st.sampled_from(_FIXED_TIMESTAMPS),
    _timestamp_text(),
    _timestamp_text(datetime(2000, 1, 1), datetime(2026, 1, 1)),
).map(json.dumps)
others = st.sampled_from(["null", "true", "false", "[]", "{}", "[1]", '{"a": 1}'])
any_value = st.one_of(numbers, strings, timestamps, others)


def _extreme(kind: Kind) -> st.SearchStrategy[str]:
    """An extreme value of the kind's JSON type, now and then a value of any type."""
    typical = _items() if kind is Kind.ITEMS else numbers if kind in NUMBER_TYPES else strings
    return st.one_of(typical, typical, any_value)


@st.composite
def _items(draw) -> str:
    items = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        price = draw(st.one_of(st.just(VALID[Kind.MONEY]), numbers))
        quantity = draw(st.one_of(st.just(VALID[Kind.QUANTITY]), numbers))
        items.append(f'{{"product_id": "p1", "price": {price}, "quantity": {quantity}}}')
    return "[" + ", ".join(items) + "]"


TOP_LEVEL_EXTREMES = {"occurred_at": timestamps, "sent_at": timestamps, "anonymous_id": strings, "user_id": strings}


@st.composite
def event_fields(draw) -> dict[str, str]:
    """One event as field -> JSON text (event_id aside): the contract's properties of a random event name, valid
    but for one or two fields with an extreme value (numeric ones three times as often as the others), and
    maybe numeric properties the event does not name (staging reads them all the same)."""
    name = draw(st.sampled_from(list(EVENT_PROPERTIES)))
    props = [p for p in EVENT_PROPERTIES[name] if p.required or draw(st.booleans())]
    numeric = [p.name for p in props if p.kind in NUMBER_TYPES or p.kind is Kind.ITEMS]
    others = [p.name for p in props if p.name not in numeric]
    extreme = draw(st.lists(st.sampled_from([*numeric * 3, *others, *TOP_LEVEL_EXTREMES]), min_size=1, max_size=2))
    properties = {p.name: draw(_extreme(p.kind)) if p.name in extreme else VALID[p.kind] for p in props}
    for stray in draw(st.lists(st.sampled_from(list(NUMERIC_PROPERTIES)), max_size=2)):
        properties.setdefault(stray, draw(_extreme(NUMERIC_PROPERTIES[stray])))
    fields = {
        "event_name": json.dumps(name),
        "occurred_at": VALID_OCCURRED_AT,
        "anonymous_id": '"anon-1"',
        "properties": "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in properties.items()) + "}",
    }
    for field, strategy in TOP_LEVEL_EXTREMES.items():
        if field in extreme:
            fields[field] = draw(strategy)
    return fields


def render(event_id: str, fields: dict[str, str]) -> str:
    return (
        "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in {"event_id": json.dumps(event_id), **fields}.items()) + "}"
    )


def write_file(landing: Path, relative: str, prefix: str, batch: list[dict[str, str]]) -> int:
    """Writes the batch with unique event ids; returns the number of lines."""
    write_lines(landing, relative, [render(f"{prefix}-{i}", fields) for i, fields in enumerate(batch)])
    return len(batch)


# --- what must hold after a load --------------------------------------------------------------------------------

# Staging's casts, replayed with the contract's types (test_staging_types_are_the_contract_types pins them).
_STAGING_CASTS = "select " + ", ".join(
    f"(properties ->> '$.{name}')::{NUMBER_TYPES[kind].sql}" for name, kind in NUMERIC_PROPERTIES.items()
)
_ORDER_ITEM_CASTS = (
    f"select (item ->> '$.price')::{NUMBER_TYPES[Kind.MONEY].sql} * (item ->> '$.quantity')::"
    f"{NUMBER_TYPES[Kind.QUANTITY].sql} as line_revenue "
    "from (select unnest(json_extract(properties -> '$.items', '$[*]')) as item from raw.events "
    "where event_name in ('purchase', 'refund'))"
)


def assert_every_line_staged_or_rejected(db: Path, source_file: str, lines: int) -> None:
    staged = query(db, "select source_line from raw.events where source_file = $f", {"f": source_file})
    rejected = query(
        db, "select line_number, reason from raw.rejected_events where source_file = $f", {"f": source_file}
    )
    assert sorted([n for (n,) in staged] + [n for n, _ in rejected]) == list(range(1, lines + 1))
    assert {reason for _, reason in rejected} <= set(EVENT_REJECTION_REASONS)


def assert_accepted_lines_fit_staging(db: Path) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute(f"{_STAGING_CASTS} from raw.events").fetchall()
        con.execute(_ORDER_ITEM_CASTS).fetchall()
        earliest, latest = con.execute("select min(occurred_at), max(occurred_at) from raw.events").fetchone()
    if earliest is not None:
        assert earliest >= EARLIEST_TIMESTAMP
        assert latest <= current_instant() + timedelta(hours=FUTURE_TOLERANCE_HOURS)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(event_fields(), min_size=5, max_size=20))
def test_every_extreme_line_is_staged_or_rejected_and_fits_staging(batch):
    with tempfile.TemporaryDirectory() as tmp:
        landing, db = Path(tmp) / "landing", Path(tmp) / "warehouse.duckdb"
        lines = write_file(landing, "events/extreme.jsonl", "x", batch)

        report = load(landing, db)["events"]

        assert (report.rows, report.duplicates) == (lines, 0)
        assert_every_line_staged_or_rejected(db, "events/extreme.jsonl", lines)
        assert_accepted_lines_fit_staging(db)


def test_the_largest_accepted_line_revenue_fits_its_column():
    """price x quantity is computed in decimal(18, 4): the largest accepted price and quantity must fit it."""
    money, quantity = NUMBER_TYPES[Kind.MONEY].sql, NUMBER_TYPES[Kind.QUANTITY].sql
    with duckdb.connect() as con:
        product = con.execute(f"select {MAX_MONEY}::{money} * {MAX_QUANTITY}::{quantity}").fetchone()[0]
        assert product == MAX_MONEY * MAX_QUANTITY
        with pytest.raises(duckdb.OutOfRangeException):
            con.execute(f"select {MAX_MONEY}::{money} * 2147483647::{quantity}").fetchone()


# --- the whole pipeline ---------------------------------------------------------------------------------------


def _purchase_of_one_item(event_id: str, price: float, quantity: int) -> dict:
    item = {"product_id": "p1", "price": price, "quantity": quantity}
    return event(
        event_id, "purchase", properties={"order_id": event_id, "revenue": 10, "currency": "EUR", "items": [item]}
    )


ISSUE_CASES = {
    "go-zero-time": (event("go-zero-time", occurred_at="0001-01-01T00:00:00Z"), "timestamp_out_of_range"),
    "unix-epoch": (event("unix-epoch", occurred_at="1970-01-01T00:00:00Z"), "timestamp_out_of_range"),
    "huge-quantity": (_purchase_of_one_item("huge-quantity", 10, 3_000_000_000), "number_out_of_range"),
    "huge-price": (_purchase_of_one_item("huge-price", 1e14, 1), "number_out_of_range"),
}


def _good_line(event_name: str) -> dict[str, str]:
    """Every property of the event, valid."""
    properties = ", ".join(f'"{p.name}": {GOOD_IDS.get(p.name, VALID[p.kind])}' for p in EVENT_PROPERTIES[event_name])
    return {
        "event_name": json.dumps(event_name),
        "occurred_at": VALID_OCCURRED_AT,
        "anonymous_id": '"anon-good"',
        "properties": "{" + properties + "}",
    }


GOOD_BATCH = [_good_line(name) for name in EVENT_PROPERTIES]


EXTREME_FILES = 4  # the first is Hypothesis's simplest batch: clean lines


def _extreme_batches() -> list[list[dict[str, str]]]:
    """EXTREME_FILES batches drawn by Hypothesis, reproducibly. A whole pipeline run costs about 35 s, so the
    pipeline sees a few batches in one run instead of one run per example (the loader test above shrinks)."""
    batches = []

    @settings(max_examples=EXTREME_FILES, database=None, derandomize=True, phases=[Phase.generate])
    @given(batch=st.lists(event_fields(), min_size=10, max_size=40))
    def collect(batch):
        batches.append(batch)

    collect()
    return batches


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Settings:
    """A warehouse built by one pipeline run from a one-product catalog, good events of every name, the
    issue's cases and a few files of extreme lines."""
    root = tmp_path_factory.mktemp("extreme")
    settings_ = Settings(landing_dir=root / "landing", db_path=root / "warehouse.duckdb")
    (settings_.landing_dir / "catalog").mkdir(parents=True)
    for name, text in CATALOG.items():
        (settings_.landing_dir / "catalog" / name).write_text(text)
    write_file(settings_.landing_dir, "events/0-good.jsonl", "good", GOOD_BATCH)
    write_lines(settings_.landing_dir, "events/1-issue.jsonl", [line for line, _ in ISSUE_CASES.values()])
    for index, batch in enumerate(_extreme_batches()):
        write_file(settings_.landing_dir, f"events/extreme-{index}.jsonl", f"x{index}", batch)

    outcome = run_pipeline(settings_)

    assert outcome.success, outcome.failures
    return settings_


@pytest.mark.parametrize("case", sorted(ISSUE_CASES))
def test_the_issue_cases_are_rejected_with_their_reason(warehouse, case):
    assert query(
        warehouse.db_path, "select reason from raw.rejected_events where raw_text like $id", {"id": f"%{case}%"}
    ) == [(ISSUE_CASES[case][1],)]


def _sql_type(con: duckdb.DuckDBPyConnection, sql_type: str) -> str:
    return con.execute(f"select typeof(null::{sql_type})").fetchone()[0]


def test_staging_types_are_the_contract_types(warehouse):
    with duckdb.connect(str(warehouse.db_path), read_only=True) as con:
        columns = dict(
            con.execute(
                "select table_name || '.' || column_name, data_type from information_schema.columns "
                "where table_schema = 'staging' and table_name in ('stg_events', 'stg_order_items')"
            ).fetchall()
        )
        expected = {
            f"stg_events.{STAGING_COLUMN.get(name, name)}": _sql_type(con, NUMBER_TYPES[kind].sql)
            for name, kind in NUMERIC_PROPERTIES.items()
        }
        expected |= {
            "stg_order_items.price": _sql_type(con, NUMBER_TYPES[Kind.MONEY].sql),
            "stg_order_items.quantity": _sql_type(con, NUMBER_TYPES[Kind.QUANTITY].sql),
            "stg_order_items.line_revenue": _sql_type(con, NUMBER_TYPES[Kind.MONEY].sql),
        }
    assert {column: columns.get(column) for column in expected} == expected


def test_every_extreme_line_is_staged_or_rejected_by_the_pipeline(warehouse):
    ledger = query(
        warehouse.db_path, "select path, rows, loaded, rejected from raw.load_ledger where path like '%extreme-%'"
    )
    assert len(ledger) == EXTREME_FILES
    for path, rows, loaded, _ in ledger:
        assert_every_line_staged_or_rejected(warehouse.db_path, path, rows)
        staged = query(warehouse.db_path, "select count(*) from staging.stg_events where source_file = $p", {"p": path})
        assert staged == [(loaded,)]
    # Not vacuous: extreme lines were accepted and reached the models, others were rejected.
    assert sum(loaded for _, _, loaded, _ in ledger) > 0
    assert sum(rejected for _, _, _, rejected in ledger) > 0


def test_a_clean_run_after_the_extreme_ones_succeeds(warehouse):
    write_file(warehouse.landing_dir, "events/9-clean.jsonl", "clean", GOOD_BATCH)

    outcome = run_pipeline(warehouse)

    assert outcome.success, outcome.failures
    assert query(warehouse.db_path, "select count(*) from staging.stg_events where source_file like '%9-clean%'") == [
        (len(GOOD_BATCH),)
    ]
