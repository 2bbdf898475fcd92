"""Unknown top-level fields are kept but ignored (CONTRACT section 4): raw.events.unknown_fields holds them,
after personal data was taken out, and is null for a line without any."""

import json

import duckdb

from orchestration.loader.event_contract import MAX_LINE_BYTES
from orchestration.loader.pii import MASK_HASH_CHARS, Pseudonymiser
from tests.conftest import TEST_SALT, event, load, query, write_lines

ODD_FIELDS = {
    "app_version": "4.2.1",
    "experiment": {"id": "exp-7", "arms": ["a", "b"], "weights": {"a": 0.5, "b": 0.5}, "nested": {"deeper": [1, {}]}},
    "with space": 1,
    'quote"and\\backslash': True,
    "émoji 🎬": None,
    "": "empty key",
    "Event_ID": "not the contract's event_id: names are exact",
}


def _unknown_fields(db, event_id: str):
    (stored,) = query(db, "select unknown_fields from raw.events where event_id = $id", {"id": event_id})[0]
    return None if stored is None else json.loads(stored)


def test_unknown_fields_are_stored_as_sent_and_a_line_without_any_stores_null(landing, db):
    page = {"url": "https://shop.example/p1", "title": "Dress"}
    write_lines(landing, "events/a.jsonl", [event("odd", page=page, **ODD_FIELDS), event("plain", page=page)])

    report = load(landing, db)["events"]

    assert (report.loaded, report.rejected) == (2, 0)
    assert _unknown_fields(db, "odd") == ODD_FIELDS
    assert _unknown_fields(db, "plain") is None
    # Ignored: the contract's own columns are as they would be without the unknown fields.
    assert query(db, "select event_id, anonymous_id, page ->> 'title' from raw.events order by 1") == [
        ("odd", "anon-1", "Dress"),
        ("plain", "anon-1", "Dress"),
    ]


def test_a_huge_unknown_field_within_the_line_limit_is_kept_whole(landing, db):
    line = event("huge", blob="")
    line["blob"] = "x" * (MAX_LINE_BYTES - len(json.dumps(line)))  # the line is exactly 64 KiB
    assert len(json.dumps(line).encode()) == MAX_LINE_BYTES
    write_lines(landing, "events/a.jsonl", [line])

    load(landing, db)

    assert _unknown_fields(db, "huge") == {"blob": line["blob"]}


def test_personal_data_in_unknown_fields_is_masked_hashed_or_cut(landing, db):
    email, phone, ip = "ana.lopez@example.com", "+44 7700 900123", "203.0.113.77"
    fields = {
        "note": f"write to {email} or call {phone}",
        "client": {"ip_address": ip, "tags": [f"from {email}"]},
        "email": "Other.Person@example.org",
    }
    write_lines(landing, "events/a.jsonl", [event("pii", **fields)])

    load(landing, db)

    stored = _unknown_fields(db, "pii")
    pseudonymiser = Pseudonymiser(TEST_SALT)
    email_mask = f"[email:{pseudonymiser.email_hash(email)[:MASK_HASH_CHARS]}]"
    phone_mask = f"[phone:{pseudonymiser.phone_hash(phone)[:MASK_HASH_CHARS]}]"
    assert stored == {
        "note": f"write to {email_mask} or call {phone_mask}",
        "client": {"ip_address": "203.0.113.0", "tags": [f"from {email_mask}"]},
        # An "email" key anywhere is a contact: its value becomes the hash properties.email_sha256 would carry.
        "email_sha256": pseudonymiser.email_hash("Other.Person@example.org"),
    }


def test_unknown_parquet_columns_are_kept_like_unknown_json_fields(landing, db):
    (landing / "events").mkdir()
    with duckdb.connect() as con:
        con.execute(
            "copy (select 'pq1' as event_id, 'page_view' as event_name, '2026-09-01T10:00:00Z' as occurred_at, "
            "'anon-1' as anonymous_id, 42 as screen_width, {'os': 'iOS', 'build': 7} as device) "
            f"to '{landing / 'events' / 'app.parquet'}' (format parquet)"
        )

    load(landing, db)

    assert _unknown_fields(db, "pq1") == {"screen_width": 42, "device": {"os": "iOS", "build": 7}}


def test_a_warehouse_older_than_the_column_gains_it_and_keeps_its_events(landing, db):
    write_lines(landing, "events/a.jsonl", [event("old", legacy="before the column")])
    load(landing, db)
    with duckdb.connect(str(db)) as con:  # the warehouse as it was before unknown fields were kept
        con.execute("alter table raw.events drop column unknown_fields")
    write_lines(landing, "events/b.jsonl", [event("new", campaign_hint="after the column")])

    report = load(landing, db)["events"]

    assert report.loaded == 1
    assert query(db, "select event_id, unknown_fields from raw.events order by load_id") == [
        ("old", None),
        ("new", '{"campaign_hint":"after the column"}'),
    ]
