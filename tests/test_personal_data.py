"""No plain e-mail, phone or full IP reaches any table (CONTRACT section 6)."""

import hashlib
import re
from pathlib import Path

import duckdb

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
