"""Every rejection reason of the contract, one hand-written file each: the bad line is kept with its reason."""

import gzip
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.loader.load import load_landing_sources
from orchestration.loader.reasons import EVENT_REJECTION_REASONS
from tests.conftest import TEST_SALT, event, load, query, write_lines

FIXTURES = Path(__file__).parent / "fixtures" / "rejections"


def test_every_reason_code_has_a_fixture_file():
    assert {path.stem for path in FIXTURES.glob("*.jsonl")} == set(EVENT_REJECTION_REASONS)


@pytest.mark.parametrize("reason", sorted(EVENT_REJECTION_REASONS))
def test_bad_line_is_rejected_with_its_reason_and_the_good_line_loads(reason, landing, db):
    (landing / "events").mkdir()
    shutil.copy(FIXTURES / f"{reason}.jsonl", landing / "events" / f"{reason}.jsonl")

    report = load(landing, db)["events"]

    assert (report.loaded, report.rejected, report.duplicates) == (1, 1, 0)
    assert query(db, "select source_file, line_number, reason from raw.rejected_events") == [
        (f"events/{reason}.jsonl", 2, reason)
    ]
    assert query(db, "select event_id from raw.events") == [("ok-1",)]


def _jsonl(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def test_gzipped_and_parquet_files_meet_the_same_rules(landing, db, tmp_path):
    def day(prefix: str) -> list[dict]:
        bad_quantity = {"product_id": "p1", "price": 5, "quantity": 0}
        return [event(f"{prefix}1"), event(f"{prefix}2", "add_to_cart", properties=bad_quantity)]

    write_lines(landing, "events/day1/web.jsonl", day("plain"))
    (landing / "events/day2").mkdir(parents=True)
    with gzip.open(landing / "events/day2/web.jsonl.gz", "wb") as gz:
        gz.write(_jsonl(day("gz")))
    staging_file = tmp_path / "app.jsonl"
    staging_file.write_bytes(_jsonl(day("pq")))
    (landing / "events/day3").mkdir(parents=True)
    with duckdb.connect() as con:
        columns = "{event_id: 'varchar', event_name: 'varchar', occurred_at: 'varchar', anonymous_id: 'varchar', "
        columns += "properties: 'json'}"
        con.execute(
            f"copy (select * from read_json('{staging_file}', columns = {columns})) "
            f"to '{landing / 'events/day3/app.parquet'}' (format parquet)"
        )

    report = load(landing, db)["events"]

    assert report.files_loaded == 3
    assert (report.loaded, report.rejected) == (3, 3)
    assert query(db, "select source_file, line_number, reason from raw.rejected_events order by 1") == [
        ("events/day1/web.jsonl", 2, "invalid_quantity"),
        ("events/day2/web.jsonl.gz", 2, "invalid_quantity"),
        ("events/day3/app.parquet", 2, "invalid_quantity"),
    ]


def test_mistyped_csv_rows_are_rejected_with_file_line_and_column(landing, db):
    folder = landing / "ad_spend"
    folder.mkdir()
    (folder / "ad_spend_2026-09-01.csv").write_text(
        "date,platform,campaign,spend,currency,impressions,clicks\n"
        "2026-09-01,google_ads,fall_drop,120.50,EUR,10000,300\n"
        "2026-09-01,meta_ads,fall_drop,12;5x,EUR,5000,100\n"
        "2026-09-01,tiktok_ads,,30,EUR,2000,50\n"
        "2026-09-01,x_ads,fall_drop,-4,EUR,100,1\n"
    )

    report = load(landing, db, ("ad_spend",))["ad_spend"]

    assert (report.loaded, report.rejected) == (1, 3)
    assert query(db, "select line_number, reason, column_name from raw.rejected_rows order by line_number") == [
        (3, "invalid_value", "spend"),
        (4, "missing_value", "campaign"),
        (5, "negative_value", "spend"),
    ]
    assert query(db, "select platform, spend from raw.ad_spend") == [("google_ads", 120.5)]


def test_a_message_names_its_person_by_account_or_device_and_a_control_flag(landing, db):
    (landing / "messages").mkdir()
    (landing / "messages" / "messages_2026-09-02.csv").write_text(
        "sent_at,flow,channel,customer_id,anonymous_id,message_id,opened_at,clicked_at,unsubscribed_at,is_control\n"
        "2026-09-02T09:00:00Z,cart_recovery,email,c1,,m1,2026-09-02T10:00:00Z,,,false\n"
        "2026-09-02T09:00:00Z,welcome,email,,d7,m2,,,,true\n"
        "2026-09-02T09:00:00Z,welcome,email,,,m3,,,,false\n"
        "2026-09-02T09:00:00Z,welcome,sms,c2,,m4,,,,maybe\n"
    )

    report = load(landing, db, ("messages",))["messages"]

    assert (report.loaded, report.rejected) == (2, 2)
    assert query(db, "select line_number, reason, column_name from raw.rejected_rows order by line_number") == [
        (4, "missing_value", "customer_id or anonymous_id"),
        (5, "invalid_value", "is_control"),
    ]
    assert query(db, "select message_id, is_control from raw.messages order by 1") == [("m1", False), ("m2", True)]


def test_csv_dates_and_numbers_outside_their_columns_are_rejected(landing, db):
    (landing / "ad_spend").mkdir()
    (landing / "ad_spend" / "ad_spend_2026-09-01.csv").write_text(
        "date,platform,campaign,spend,currency,impressions,clicks\n"
        "2026-09-01,google_ads,fall_drop,120.50,EUR,10000,300\n"
        "1999-12-31,google_ads,fall_drop,1,EUR,1,1\n"
        "2999-01-01,google_ads,fall_drop,1,EUR,1,1\n"
        "2026-09-01,google_ads,fall_drop,1e15,EUR,1,1\n"
        "2026-09-01,google_ads,fall_drop,1,EUR,99999999999999999999,1\n"
        "2026-09-01,google_ads,fall_drop,1e3,EUR,1,1\n"
    )
    (landing / "fx_rates").mkdir()
    (landing / "fx_rates" / "fx_rates_2026-09-01.csv").write_text(
        "date,currency,rate_to_reporting\n2026-09-01,USD,0.92\n2026-09-01,GBP,1e999\n2026-09-01,JPY,nan\n"
    )

    reports = load(landing, db, ("ad_spend", "fx_rates"))

    assert [(reports[t].loaded, reports[t].rejected) for t in ("ad_spend", "fx_rates")] == [(2, 4), (1, 2)]
    assert query(db, "select source_file, line_number, reason, column_name from raw.rejected_rows order by 1, 2") == [
        ("ad_spend/ad_spend_2026-09-01.csv", 3, "timestamp_out_of_range", "date"),
        ("ad_spend/ad_spend_2026-09-01.csv", 4, "timestamp_out_of_range", "date"),
        ("ad_spend/ad_spend_2026-09-01.csv", 5, "number_out_of_range", "spend"),
        ("ad_spend/ad_spend_2026-09-01.csv", 6, "number_out_of_range", "impressions"),
        ("fx_rates/fx_rates_2026-09-01.csv", 3, "number_out_of_range", "rate_to_reporting"),
        ("fx_rates/fx_rates_2026-09-01.csv", 4, "number_out_of_range", "rate_to_reporting"),
    ]


def test_the_earliest_instant_is_a_setting_of_the_loader_for_events_and_exports(landing, db):
    write_lines(
        landing,
        "events/old.jsonl",
        [event("kept", occurred_at="2026-09-01T00:00:00Z"), event("old", occurred_at="2026-08-31T23:59:59Z")],
    )
    (landing / "fx_rates").mkdir()
    (landing / "fx_rates" / "rates.csv").write_text(
        "date,currency,rate_to_reporting\n2026-09-01,USD,0.9\n2026-08-31,USD,0.9\n"
    )

    load_landing_sources(landing, db, ("events", "fx_rates"), salt=TEST_SALT, earliest=datetime(2026, 9, 1, tzinfo=UTC))

    assert query(db, "select event_id from raw.events") == [("kept",)]
    assert query(db, "select line_number, reason from raw.rejected_events") == [(2, "timestamp_out_of_range")]
    assert query(db, "select line_number, reason from raw.rejected_rows") == [(3, "timestamp_out_of_range")]


REFUND = {"order_id": "o1", "amount": 10.0, "currency": "EUR"}


@pytest.mark.parametrize(
    ("refund_id", "reason"),
    [
        ("r-1", None),
        ("r" * 128, None),
        (7, "invalid_property_type"),
        (["r-1"], "invalid_property_type"),
        ("", "invalid_property_type"),  # an empty key would make every refund that sends it one
        ("r" * 129, "string_too_long"),
    ],
)
def test_a_refund_id_is_a_string_of_1_to_128_characters(refund_id, reason, landing, db):
    write_lines(
        landing, "events/refunds.jsonl", [event("refund-1", "refund", properties={**REFUND, "refund_id": refund_id})]
    )

    load(landing, db)

    if reason is None:
        assert query(db, "select properties ->> 'refund_id' from raw.events") == [(refund_id,)]
    else:
        assert query(db, "select event_id from raw.events") == []
        assert query(db, "select reason from raw.rejected_events") == [(reason,)]


def test_a_refund_without_refund_id_loads(landing, db):
    write_lines(landing, "events/refunds.jsonl", [event("refund-1", "refund", properties=REFUND)])

    load(landing, db)

    assert query(db, "select event_id from raw.events") == [("refund-1",)]
