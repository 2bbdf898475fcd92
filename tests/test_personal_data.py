"""No plain e-mail, phone or full IP reaches any table (CONTRACT section 6).

- one `funnelhouse run` (a subprocess, as a user runs it) of a landing zone with personal data in every place
  a tracker or an export puts it (planted_personal_data.py), and a scan of everything the run leaves behind;
- properties of the Pseudonymiser over generated text and event lines (Hypothesis, derandomized);
- the salt rules of salt.py;
- last, the cases those tests caught in a first version of pii.py, each kept as a regression test.
"""

import hashlib
import ipaddress
import json
import re
import string
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.cli import main
from orchestration.definitions import build_definitions
from orchestration.jobs import FUNNELHOUSE_JOB
from orchestration.loader import pii
from orchestration.loader.load import load_landing_sources
from orchestration.loader.pii import CONTACT_KEYS, Pseudonymiser
from orchestration.loader.salt import SaltChanged
from orchestration.pipeline import run_pipeline
from orchestration.settings import Settings
from tests import planted_personal_data as planted
from tests.conftest import TEST_SALT, event, load, query, write_lines

EMAIL = "Anna.Rossi@Example.com"
PHONE = "+39 347 123 4567"
IPV4 = "203.0.113.77"
IPV6 = "2001:db8:abcd:12::1"
SECRETS = (EMAIL, EMAIL.lower(), PHONE, "393471234567", IPV4, IPV6, "2001:db8:abcd:12")


def text_values(db: Path) -> list[str]:
    """Every text and JSON value of every table in the warehouse."""
    with duckdb.connect(str(db), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type in ('VARCHAR', 'JSON')"
        ).fetchall()
        values = []
        for schema, table, column in columns:
            values += [
                row[0]
                for row in con.execute(f'select "{column}"::varchar from "{schema}"."{table}"').fetchall()
                if row[0]
            ]
    return values


def leaked(values: list[str], secrets: tuple[str, ...]) -> list[str]:
    return [secret for secret in secrets for value in values if secret in value]


def test_contact_details_are_hashed_and_ips_truncated_everywhere(landing, db):
    context = {"ip": IPV4, "user_agent": "Mozilla/5.0"}
    write_lines(
        landing,
        "events/a.jsonl",
        [
            event(
                "s1", "sign_up", properties={"method": "popup", "email": f" {EMAIL} ", "phone": PHONE}, context=context
            ),
            event("p1", context={"ip": IPV6}, page={"url": f"https://shop.example/?email={EMAIL}"}),
            # Rejected lines carry personal data too: unknown event name, and an unparsable line.
            event("r1", "sign_upp", properties={"email": EMAIL, "phone": PHONE}, context=context),
            f'{{"event_id": "r2", "email": "{EMAIL}", "phone": "{PHONE}", "ip": "{IPV6}", ',
        ],
    )

    load(landing, db)

    assert leaked(text_values(db), SECRETS) == []
    expected_email_hash = hashlib.sha256((TEST_SALT + EMAIL.strip().lower()).encode()).hexdigest()
    expected_phone_hash = hashlib.sha256((TEST_SALT + re.sub(r"\D", "", PHONE)).encode()).hexdigest()
    assert query(
        db, "select properties ->> 'email_sha256', properties ->> 'phone_sha256' from raw.events where event_id = 's1'"
    ) == [(expected_email_hash, expected_phone_hash)]
    assert query(db, "select context ->> 'ip' from raw.events order by event_id") == [
        ("2001:db8:abcd::",),
        ("203.0.113.0",),
    ]


# --- one `funnelhouse run` of a landing zone with personal data in every place a tracker or export puts it ---

REPO = Path(__file__).resolve().parents[1]
PLACES = (
    "raw.events",
    "raw.rejected_events",
    "raw.ad_spend",
    "raw.rejected_rows",
    "other warehouse tables",
    "serving copy",
    "CLI output",
    "Dagster home files",
)


def salted(normalised: str) -> str:
    return hashlib.sha256((TEST_SALT + normalised).encode()).hexdigest()


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    """(completed CLI process, warehouse path, DAGSTER_HOME, scan of every place) for one run of the planted zone."""
    root = tmp_path_factory.mktemp("planted")
    result, db, dagster_home = planted.run_cli(REPO, root, TEST_SALT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found = planted.scan(db, db.with_name("serving.duckdb"), result.stdout + result.stderr, dagster_home)
    return result, db, dagster_home, found


def test_the_scan_finds_every_planted_value_in_the_landing_zone_it_was_planted_in(tmp_path):
    """The scan is not blind: read over the landing files, it finds each planted value in its spellings."""
    planted.write_landing_zone(tmp_path)
    landed = planted.found_in([path.read_text() for path in tmp_path.rglob("*") if path.is_file()], planted.forbidden())
    assert set(landed) == set(planted.forbidden())


def test_the_planted_run_loads_and_rejects_the_lines_and_rows_it_was_given(planted_run):
    result, db, dagster_home, _ = planted_run
    assert query(db, "select count(*) from raw.events") == [(7,)]
    assert query(db, "select reason from raw.rejected_events order by line_number") == [
        ("unknown_event_name",),
        ("invalid_json",),
        ("oversized_line",),
    ]
    assert query(db, "select count(*) from raw.ad_spend") == [(1,)]
    assert query(db, "select reason from raw.rejected_rows") == [("negative_value",)]
    assert query(db, "select count(*) from staging.stg_events") == [(7,)]
    assert db.with_name("serving.duckdb").exists()
    assert "Funnelhouse run summary" in result.stdout
    # Dagster kept its event log and the compute logs of the run on disk, for the scan to read.
    assert (dagster_home / "history" / "runs.db").is_file()
    assert list(dagster_home.rglob("compute_logs/*"))


@pytest.mark.parametrize("place", PLACES)
def test_no_planted_email_phone_or_full_ip_is_left_in(planted_run, place):
    *_, found = planted_run
    assert found[place] == {}


def test_an_email_user_id_is_stored_as_the_hash_its_sign_up_email_has(planted_run):
    _, db, _, _ = planted_run
    expected = salted(planted.USER_EMAIL.strip().lower())
    assert query(db, "select user_id, properties ->> 'email_sha256' from raw.events where event_id = 'sign-up-1'") == [
        (expected, expected)
    ]
    assert query(db, "select user_id from staging.stg_events where event_id = 'sign-up-1'") == [(expected,)]


def test_an_email_anonymous_id_and_a_phone_user_id_are_stored_as_their_hashes(planted_run):
    _, db, _, _ = planted_run
    assert query(db, "select anonymous_id from raw.events where event_id = 'campaign-1'") == [
        (salted(planted.ANON_EMAIL.lower()),)
    ]
    assert query(db, "select user_id from raw.events where event_id = 'url-1'") == [(salted(planted.USER_PHONE[1]),)]


def test_free_text_keeps_masks_made_of_the_same_hashes(planted_run):
    _, db, _, _ = planted_run
    content, term = query(
        db, "select campaign ->> 'content', campaign ->> 'term' from raw.events where event_id = 'campaign-1'"
    )[0]
    assert content == f"sent to [email:{salted(planted.CAMPAIGN_EMAIL.lower())[:12]}]"
    assert term == f"call [phone:{salted(planted.TERM_PHONE[1])[:12]}]"
    (url,) = query(db, "select page ->> 'url' from raw.events where event_id = 'url-1'")[0]
    assert f"[email:{salted(planted.USER_EMAIL.lower())[:12]}]" in url
    assert f"[phone:{salted(planted.USER_PHONE[1])[:12]}]" in url
    (search,) = query(db, "select properties ->> 'query' from raw.events where event_id = 'search-1'")[0]
    assert search == f"my number is [phone:{salted(planted.SEARCH_PHONE[1])[:12]}]"


def test_every_planted_ip_keeps_only_its_network_part(planted_run):
    _, db, _, _ = planted_run
    (context_ip,) = query(db, "select context ->> 'ip' from raw.events where event_id = 'sign-up-1'")[0]
    assert context_ip.strip() == "203.0.113.0"
    assert query(
        db,
        "select context ->> 'ip_address', properties ->> 'client_ip', page ->> 'url' from raw.events "
        "where event_id = 'ip-1'",
    ) == [("198.51.100.0", "2001:db8:85a3::", "http://192.0.2.0:8080/landing")]


# --- properties of the Pseudonymiser, over generated text and events -------------------------------------------

PROPERTY_SETTINGS = settings(derandomize=True, max_examples=150, deadline=None, database=None)
words = st.text(alphabet=string.ascii_letters, min_size=1, max_size=8)
sentences = st.lists(words, max_size=4).map(" ".join)
domain_labels = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?", fullmatch=True)
emails = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
    # No %: text holding a % followed by two hex digits is read as URL-encoded (see the report of this test's
    # commit); a plain address with one is an edge case of its own.
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+'-]{0,15}", fullmatch=True),
    st.lists(domain_labels, min_size=1, max_size=3),
    st.text(alphabet=string.ascii_letters, min_size=2, max_size=6),
)


@st.composite
def international_phones(draw) -> tuple[str, str]:
    """(+ country code and 8-12 digits in groups of 2-4 split by spaces or dashes, as written; its digits)."""
    country = str(draw(st.integers(1, 999)))
    national = draw(st.text(alphabet=string.digits, min_size=8, max_size=12))
    groups, rest = [], national
    while rest:
        size = draw(st.integers(2, 4)) if len(rest) > 4 else len(rest)
        groups.append(rest[:size])
        rest = rest[size:]
    written = "+" + country
    for group in groups:
        written += draw(st.sampled_from([" ", "-"])) + group
    return written, country + national


def _has_host_part(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An address whose host part is zero already reads as its network: storing it leaks nothing."""
    return int(address) & ((1 << (8 if address.version == 4 else 80)) - 1) != 0


ipv4s = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address).filter(_has_host_part)
ipv6s = st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address).filter(_has_host_part)


def _network(address: ipaddress.IPv4Address | ipaddress.IPv6Address):
    prefix = 24 if address.version == 4 else 48
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address


@PROPERTY_SETTINGS
@given(before=sentences, email=emails, after=sentences)
def test_an_email_in_free_text_is_masked(before, email, after):
    masked = Pseudonymiser("s").text(f"{before} {email} {after}")

    assert email.lower() not in masked.lower()
    assert masked == f"{before} [email:{hashlib.sha256(('s' + email.lower()).encode()).hexdigest()[:12]}] {after}"


@PROPERTY_SETTINGS
@given(before=sentences, phone=international_phones(), after=sentences)
def test_an_international_phone_in_free_text_is_masked(before, phone, after):
    written, digits = phone

    masked = Pseudonymiser("s").text(f"{before} {written} {after}")

    assert written not in masked and digits not in masked
    assert masked == f"{before} [phone:{hashlib.sha256(('s' + digits).encode()).hexdigest()[:12]}] {after}"


@PROPERTY_SETTINGS
@given(before=sentences, address=st.one_of(ipv4s, ipv6s), after=sentences)
def test_an_ip_in_free_text_keeps_only_its_network_part(before, address, after):
    text = f"{before} {address} {after}"

    truncated = Pseudonymiser("s").text(text)

    assert str(address) not in truncated and address.exploded not in truncated
    assert truncated.startswith(f"{before} ") and truncated.endswith(f" {after}")
    kept = truncated[len(before) + 1 : len(truncated) - len(after) - 1]
    assert ipaddress.ip_address(kept) == _network(address)


user_agents = st.builds(
    lambda major, build, patch, webkit: (
        f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/{webkit}.36 (KHTML, like Gecko) "
        f"Chrome/{major}.0.{build}.{patch} Safari/{webkit}.36"
    ),
    st.integers(80, 140),
    st.integers(1000, 9999),
    st.integers(0, 300),
    st.integers(500, 699),
) | st.builds(
    lambda major, minor: (
        f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        f"Version/{major}.{minor}.1 Mobile/15E148 Safari/604.1 Firefox/{major + 100}.0"
    ),
    st.integers(10, 19),
    st.integers(0, 9),
)
iso_timestamps = st.builds(
    lambda moment, spec, zulu: moment.isoformat(timespec=spec).replace("+00:00", "Z" if zulu else "+00:00"),
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]),
    ),
    st.sampled_from(["seconds", "milliseconds", "microseconds", "minutes"]),
    st.booleans(),
)
identifiers_that_are_not_personal = st.one_of(
    st.uuids(version=4).map(str),
    st.from_regex(r"P[0-9]{4}", fullmatch=True),
    st.from_regex(r"LL-[0-9]{6}", fullmatch=True),
    st.from_regex(r"[1-9][0-9]{5,11}", fullmatch=True),
)
prices = st.integers(0, 10**8).map(lambda cents: f"{cents / 100:.2f}")


@PROPERTY_SETTINGS
@given(value=st.one_of(identifiers_that_are_not_personal, iso_timestamps, prices, user_agents))
def test_ids_timestamps_prices_and_user_agents_are_left_as_they_are_in_text(value):
    assert Pseudonymiser("s").text(value) == value


@PROPERTY_SETTINGS
@given(value=identifiers_that_are_not_personal)
def test_ids_that_are_not_personal_data_are_kept_as_identifiers(value):
    assert Pseudonymiser("s").identifier(value) == value


@PROPERTY_SETTINGS
@given(value=identifiers_that_are_not_personal)
def test_ids_that_are_not_personal_data_keep_their_value_in_a_loaded_line(value):
    """Through DuckDB's first look and Python's, the way the loader runs them."""
    line = json.dumps({"event_id": value, "anonymous_id": value, "properties": {"order_id": value, "note": value}})

    assert _event_line(line) == line


PLANTED_KEYS = ("email", "phone", "user_id", "anonymous_id", "event_id", "ip", "note", "url", "query", "a", "b")


@st.composite
def events_with_personal_data(draw) -> tuple[dict, list[tuple[str, str | None]]]:
    """(an event with e-mails, phones and IPs at random places, each plain value planted with its key)."""
    planted_values: list[tuple[str, str | None]] = []

    def personal(key: str | None) -> str:
        kind = draw(st.sampled_from(["email", "phone", "ip"]))
        if kind == "email":
            value = draw(emails)
            planted_values.append((value, key))
        elif kind == "phone":
            value, digits = draw(international_phones())
            planted_values.extend([(value, key), (digits, key)])
        else:
            value = str(draw(st.one_of(ipv4s, ipv6s)))
            planted_values.append((value, key))
        return value

    def leaf(key: str | None):
        choice = draw(st.integers(0, 5))
        if choice == 0:
            return personal(key)  # alone, as an id or a contact property holds it
        if choice == 1:
            return f"{draw(sentences)} {personal(key)} {draw(sentences)}".strip()
        if choice == 2:
            return draw(st.text(max_size=12))
        # Numbers shorter than any planted phone's digits, so a number never spells one by chance.
        return draw(st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), sentences))

    def value(depth: int, key: str | None):
        kind = draw(st.integers(0, 4)) if depth < 3 else 0
        if kind == 3:
            return {k: value(depth + 1, k) for k in draw(st.lists(st.sampled_from(PLANTED_KEYS), unique=True))}
        if kind == 4:
            return [value(depth + 1, None) for _ in range(draw(st.integers(0, 3)))]
        return leaf(key)

    event_dict = {"event_id": value(3, "event_id"), "event_name": "page_view", "occurred_at": "2026-09-01T10:00:00Z"}
    event_dict["anonymous_id"] = value(3, "anonymous_id")
    for name in draw(st.lists(st.sampled_from(["page", "campaign", "context", "properties"]), unique=True)):
        event_dict[name] = {k: value(1, k) for k in draw(st.lists(st.sampled_from(PLANTED_KEYS), unique=True))}
    return event_dict, planted_values


def _skeleton(value, *, renamed: bool):
    """The value with every string replaced by str; with `renamed`, email and phone keys of strings as stored."""
    if isinstance(value, dict):
        return {
            (f"{key}_sha256" if renamed and key in CONTACT_KEYS and isinstance(item, str) else key): _skeleton(
                item, renamed=renamed
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_skeleton(item, renamed=renamed) for item in value]
    return str if isinstance(value, str) else value


@cache
def _pii_connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    Pseudonymiser("s").register(con)
    return con


def _event_line(line: str) -> str:
    """The line as the loader's SQL de-identifies it: DuckDB finds the hits, Python judges them."""
    return (
        _pii_connection()
        .execute(
            f"select case when {pii.may_hold_personal_data_sql('$1')} "
            f"then pii_event_line($1, json_valid($1), {pii.personal_data_hits_sql('$1')}) else $1 end",
            [line],
        )
        .fetchone()[0]
    )


@settings(derandomize=True, max_examples=100, deadline=None, database=None)
@given(planted_event=events_with_personal_data(), ascii_only=st.booleans())
def test_an_event_line_stays_valid_json_of_the_same_shape_without_plain_personal_data(planted_event, ascii_only):
    event_dict, planted_values = planted_event
    line = json.dumps(event_dict, ensure_ascii=ascii_only)

    stored = _event_line(line)

    assert _skeleton(json.loads(stored), renamed=False) == _skeleton(event_dict, renamed=True)
    # An IP under the key "ip" is left to SQL, which cuts context.ip only: see the failing test
    # test_an_ip_under_the_key_ip_outside_context_loses_its_host_part.
    left = [value for value, key in planted_values if key != "ip" and value.lower() in stored.lower()]
    assert left == []


# --- one salt per warehouse ------------------------------------------------------------------------------------

DEMO_SALT_AS_DOCUMENTED = "funnelhouse-demo-salt-change-me"
SALT_A = "9a8Zk2-first-warehouse-salt-Qw3e"
SALT_B = "Lm4Np7-another-salt-entirely-Xy9z"


def fingerprint_of(salt: str) -> str:
    """salt.py's documented fingerprint: a hash of the salt's hash, 16 hex characters."""
    return hashlib.sha256(hashlib.sha256(salt.encode()).hexdigest().encode()).hexdigest()[:16]


def _shop_landing(landing: Path, name: str = "a.jsonl") -> None:
    write_lines(landing, f"events/{name}", [event(name, user_id="Jane.Doe@Example.com")])


def test_a_run_without_a_salt_on_a_shop_landing_zone_exits_naming_the_variable_and_creates_nothing(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("FUNNELHOUSE_PII_SALT")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    _shop_landing(tmp_path / "landing")
    db = tmp_path / "w.duckdb"

    result = CliRunner().invoke(main, ["run", "--landing", str(tmp_path / "landing"), "--db", str(db)])

    assert result.exit_code != 0
    assert "FUNNELHOUSE_PII_SALT is not set" in result.output
    assert "export FUNNELHOUSE_PII_SALT=" in result.output  # how to set one
    assert not db.exists() and not (tmp_path / "serving.duckdb").exists()


def test_the_dagster_load_without_a_salt_fails_its_run_naming_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("FUNNELHOUSE_PII_SALT")
    _shop_landing(tmp_path / "landing")
    settings_ = Settings(landing_dir=tmp_path / "landing", db_path=tmp_path / "w.duckdb")
    job = build_definitions(settings_).resolve_job_def(FUNNELHOUSE_JOB)

    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            asset_selection=[dg.AssetKey(["raw", "events"])], instance=instance, raise_on_error=False
        )

    assert not result.success
    failures = [
        event_.event_specific_data.error.message
        for event_ in result.all_events
        if event_.event_type == dg.DagsterEventType.STEP_FAILURE
    ]
    assert len(failures) == 1 and "FUNNELHOUSE_PII_SALT is not set" in failures[0]
    assert not settings_.db_path.exists()


def test_a_demo_landing_zone_without_a_salt_is_hashed_with_the_demo_salt(landing, db, monkeypatch):
    monkeypatch.delenv("FUNNELHOUSE_PII_SALT")
    _shop_landing(landing)
    (landing / "truth.json").write_text("{}")

    load_landing_sources(landing, db, ("events",))

    assert query(db, "select user_id from raw.events") == [
        (hashlib.sha256((DEMO_SALT_AS_DOCUMENTED + "jane.doe@example.com").encode()).hexdigest(),)
    ]
    assert query(db, "select fingerprint from raw.pii_salt") == [(fingerprint_of(DEMO_SALT_AS_DOCUMENTED),)]


def test_a_load_with_another_salt_is_refused_naming_both_fingerprints_and_loads_nothing(landing, db):
    _shop_landing(landing, "a.jsonl")
    load_landing_sources(landing, db, ("events",), salt=SALT_A)
    ledger = query(db, "select count(*) from raw.load_ledger")
    _shop_landing(landing, "b.jsonl")

    with pytest.raises(SaltChanged) as refused:
        load_landing_sources(landing, db, ("events",), salt=SALT_B)

    assert fingerprint_of(SALT_A) in str(refused.value) and fingerprint_of(SALT_B) in str(refused.value)
    assert query(db, "select count(*) from raw.load_ledger") == ledger
    assert query(db, "select event_id from raw.events") == [("a.jsonl",)]


def test_a_run_with_another_salt_is_refused_before_the_job_starts(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings_ = Settings(landing_dir=tmp_path / "landing", db_path=tmp_path / "w.duckdb")
    _shop_landing(settings_.landing_dir)
    load_landing_sources(settings_.landing_dir, settings_.db_path, ("events",), salt=SALT_A)
    _shop_landing(settings_.landing_dir, "b.jsonl")
    monkeypatch.setenv("FUNNELHOUSE_PII_SALT", SALT_B)

    with pytest.raises(SaltChanged, match=fingerprint_of(SALT_B)):
        run_pipeline(settings_)

    assert query(settings_.db_path, "select count(*) from raw.load_ledger") == [(1,)]


@pytest.mark.parametrize("salt", [SALT_A, SALT_B, TEST_SALT, DEMO_SALT_AS_DOCUMENTED])
def test_the_recorded_fingerprint_is_neither_the_salt_nor_its_hash(landing, db, salt):
    _shop_landing(landing)
    load_landing_sources(landing, db, ("events",), salt=salt)

    [(recorded,)] = query(db, "select fingerprint from raw.pii_salt")

    salt_hash = hashlib.sha256(salt.encode()).hexdigest()
    assert recorded == fingerprint_of(salt)
    assert salt not in recorded and recorded not in salt_hash and salt_hash not in recorded
    assert not any(recorded in value for value in text_values(db) if value != recorded)  # no person's hash either


# --- Cases the tests above caught in a first version, kept so they stay fixed ---


def test_the_pii_functions_run_with_only_the_packages_the_lock_file_installs():
    # DuckDB's Python functions need numpy, which nothing else pulls in: a virtual environment that kept an
    # old numpy (uv sync --inexact keeps packages) hid that every fresh install failed every load.
    locked = set(re.findall(r'^name = "([^"]+)"', (REPO / "uv.lock").read_text(), flags=re.MULTILINE))
    unlocked = [module for module in ("numpy", "pandas") if module not in locked]
    code = (
        f"import sys; sys.modules.update(dict.fromkeys({unlocked!r}))\n"
        "import duckdb\nfrom orchestration.loader.pii import Pseudonymiser\n"
        "con = duckdb.connect(); Pseudonymiser('s').register(con)\n"
        "print(con.execute(\"select pii_text('mail a@b.co')\").fetchone()[0])"
    )

    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr[-500:]
    assert result.stdout.startswith("mail [email:")


def test_a_phone_or_ip_that_ends_a_sentence_is_masked(landing, db):
    # The patterns refuse a "." after a number (versions, prices), except one that ends a sentence.
    write_lines(
        landing,
        "events/a.jsonl",
        [
            event("s1", "search", properties={"query": "call me at +44 7700 900123."}),
            event("s2", "search", properties={"query": "my ip is 203.0.113.77."}),
        ],
    )

    load(landing, db)

    assert leaked(text_values(db), ("+44 7700 900123", "203.0.113.77")) == []


def test_an_ip_under_the_key_ip_outside_context_loses_its_host_part(landing, db):
    # The SQL that picks lines for Python passes over "ip" keys, taking them for context.ip (cut in SQL): an
    # "ip" elsewhere, alone or beside context.ip, must still reach Python.
    write_lines(
        landing,
        "events/a.jsonl",
        [
            event("i1", properties={"ip": "203.0.113.7"}),
            event("i2", page={"ip": "2001:db8:1:2::1"}),
            event("i3", context={"ip": "198.51.100.9"}, properties={"ip": "203.0.113.8"}),
        ],
    )

    load(landing, db)

    assert leaked(text_values(db), ("203.0.113.7", "2001:db8:1:2::1", "198.51.100.9", "203.0.113.8")) == []


def test_dates_in_free_text_and_in_rejected_rows_are_not_masked_as_phones(landing, db):
    # "2026-09-01" is digits and dashes, and phonenumbers finds it possible in GB: dates in free text and the
    # date that starts every rejected row of a dated export must not become [phone:…].
    write_lines(
        landing,
        "events/a.jsonl",
        [
            event("d1", "search", properties={"query": "sale ends 2026-09-01"}),
            event("d2", properties={"delivery": "2026-09-01 10:00:00"}),
        ],
    )
    (landing / "ad_spend").mkdir()
    (landing / "ad_spend" / "a.csv").write_text(
        "date,platform,campaign,spend,currency,impressions,clicks\n2026-09-01,meta,spring,-5,EUR,10,1\n"
    )

    load(landing, db, ("events", "ad_spend"))

    assert query(db, "select properties ->> 'query' from raw.events where event_id = 'd1'") == [
        ("sale ends 2026-09-01",)
    ]
    assert query(db, "select properties ->> 'delivery' from raw.events where event_id = 'd2'") == [
        ("2026-09-01 10:00:00",)
    ]
    assert query(db, "select raw_text from raw.rejected_rows") == [("2026-09-01,meta,spring,-5,EUR,10,1",)]


def test_distinct_ids_that_are_not_phones_keep_distinct_values(landing, db):
    # phonenumbers skips leading letters: asked about a whole id, it took "cust 12345678" and "order 1234-5678"
    # for one phone (two people merged) and "acct 7700 900123" for the person whose phone is +44 7700 900123.
    ids = {"u1": "cust 12345678", "u2": "order 1234-5678", "u3": "acct 7700 900123"}
    write_lines(landing, "events/a.jsonl", [event(key, user_id=value) for key, value in ids.items()])

    load(landing, db)

    stored = dict(query(db, "select event_id, user_id from raw.events"))
    assert len(set(stored.values())) == len(ids)
    assert stored["u3"] != salted("447700900123")


def test_an_email_mask_is_not_masked_again_as_a_phone():
    # An e-mail mask whose 12 hex characters are digits starting with 0 (about 1 address in 2,800) reads as a
    # national phone: masked again, it would no longer match the customer's hash.
    email = "customer2279@example.com"  # its hash under TEST_SALT starts 034082590942

    masked = Pseudonymiser(TEST_SALT).text(f"write to {email}")

    assert masked == f"write to [email:{salted(email)[:12]}]"


@pytest.mark.parametrize("phone", ["06.12.34.56.78", "030/12345678", "+1.202.555.0147", "+44.20.7946.0958"])
def test_dotted_and_slashed_phone_formats_are_masked(phone):
    # The French (dotted) and German (slashed) ways of writing a number, and dotted international numbers:
    # FR and DE are default phone regions, and CONTRACT section 6 allows no plain phone anywhere.
    masked = Pseudonymiser("s").text(f"call {phone} today")

    assert phone not in masked and masked.startswith("call [phone:")


def test_an_ipv6_address_with_leading_zero_groups_keeps_its_48_bit_network():
    # A compressed address starting with "::" keeps the groups after it that fall in its /48 network.
    assert Pseudonymiser("s").text("from ::1:2:3:4:5:6 today") == "from 0:0:1:: today"


_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/127.0.6533.103 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
    "Instagram 343.0.0.33.101 (iPhone14,5; iOS 17_5; de_DE; de; scale=3.00; 1170x2532)",
)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    ip=st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str),
    agent=st.sampled_from(_USER_AGENTS),
    price=st.decimals(min_value=0, max_value=100000, places=2),
    quantity=st.integers(min_value=1, max_value=10000),
)
def test_lines_without_personal_data_besides_context_ip_stay_in_sql(ip, agent, price, quantity):
    """Python sees only the lines that may hold personal data besides context.ip: sending every line there
    (an IP whose octets read as a dotted phone did) cuts the load rate by two thirds."""
    line = json.dumps(
        {
            "event_id": "9f1c2a34-22aa-7f21-b81f-8d617a5784bf",
            "event_name": "add_to_cart",
            "occurred_at": "2026-11-13T01:29:03.276Z",
            "anonymous_id": "12345678-1234-5678-9012-123456789012",
            "user_id": "cus_b69a311e9e7d98b8",
            "page": {"url": "https://shop.example/p/P0076?utm_source=ig", "title": "Silk Serum | Lumen & Loom"},
            "context": {"user_agent": agent, "ip": ip, "country": "IT", "locale": "it-IT"},
            "properties": {"product_id": "P0076", "price": float(price), "quantity": quantity, "order_id": "LL-100123"},
        }
    )
    with duckdb.connect() as con:
        assert con.execute(f"select {pii.may_hold_personal_data_sql('$1')}", [line]).fetchone() == (False,)
