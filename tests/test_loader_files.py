"""Files as units: quarantine of unreadable files, the landing protocol, exact names, accepted spellings."""

import gzip
import json
import os
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.loader.landing_zone import IGNORED, IN_PROGRESS, READY, WAITING, list_landing_zone
from orchestration.loader.load import load_landing_sources
from tests.conftest import TEST_SALT, event, load, query, write_lines

AD_SPEND_HEADER = "date,platform,campaign,spend,currency,impressions,clicks\n"
AD_SPEND_ROW = "2026-09-01,google_ads,fall_drop,120.50,EUR,10000,300\n"
PRODUCTS_HEADER = "product_id,name,category,brand,price,currency,unit_cost\n"


def _jsonl(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def _write_parquet(path: Path, event_ids: list[str], *, occurred_at_sql: str = "'2026-09-01T10:00:00Z'") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ids = ", ".join(f"'{i}'" for i in event_ids)
    with duckdb.connect() as con:
        con.execute(
            f"copy (select id as event_id, 'page_view' as event_name, {occurred_at_sql} as occurred_at, "
            f"'anon-1' as anonymous_id from unnest([{ids}]) as t(id)) to '{path}' (format parquet)"
        )


def _many_events(prefix: str, count: int = 3000) -> list[dict]:
    """Enough lines that a cut gzip or Parquet file is cut in its data, not in its header."""
    return [event(f"{prefix}-{i}") for i in range(count)]


def _broken_batch(landing: Path) -> None:
    """Good files beside a truncated Parquet file, a truncated gzip file and junk under an event suffix."""
    write_lines(landing, "events/a_good.jsonl", [event("good-a")])
    _write_parquet(landing / "events/b_cut.parquet", [f"pq-{i}" for i in range(3000)])
    whole = (landing / "events/b_cut.parquet").read_bytes()
    (landing / "events/b_cut.parquet").write_bytes(whole[: len(whole) // 2])
    (landing / "events/c_cut.jsonl.gz").write_bytes(gzip.compress(_jsonl(_many_events("gz")))[:4000])
    (landing / "events/d_junk.parquet").write_bytes(os.urandom(2000))
    (landing / "events/e_junk.jsonl.gz").write_bytes(b"\x00\x01 not gzip at all " * 50)
    write_lines(landing, "events/f_good.jsonl", [event("good-f")])


BROKEN = ["events/b_cut.parquet", "events/c_cut.jsonl.gz", "events/d_junk.parquet", "events/e_junk.jsonl.gz"]


def test_unreadable_files_are_quarantined_alone_and_the_rest_of_their_batch_loads(landing, db):
    _broken_batch(landing)

    report = load(landing, db)["events"]

    assert report.files_loaded == 2
    assert query(db, "select event_id from raw.events order by 1") == [("good-a",), ("good-f",)]
    assert [line.split(": ")[0] for line in report.quarantined] == BROKEN
    assert report.failed_files == report.quarantined
    assert query(db, "select source, path, bytes > 0, error <> '' from raw.rejected_files order by path") == [
        ("events", path, True, True) for path in BROKEN
    ]
    # The error names the landed file, never the alias DuckDB was handed.
    assert all("landed-" not in line for line in report.quarantined)
    assert "b_cut.parquet" in report.quarantined[0].split(": ", 1)[1]


def test_a_quarantined_file_is_not_read_again_until_its_content_changes(landing, db, monkeypatch):
    _broken_batch(landing)
    load(landing, db)
    read = []
    import orchestration.loader.event_files as event_files

    real_read_lines = event_files._read_lines
    monkeypatch.setattr(
        event_files, "_read_lines", lambda con, i, file, wd: read.append(file.path) or real_read_lines(con, i, file, wd)
    )

    again = load(landing, db)["events"]

    assert read == []
    assert again.still_quarantined == BROKEN
    assert (again.quarantined, again.failed_files, again.files_already_loaded) == ([], [], 2)

    _write_parquet(landing / "events/b_cut.parquet", ["pq-fixed"])  # the corrected re-delivery, same name
    fixed = load(landing, db)["events"]

    assert read == ["events/b_cut.parquet"]
    assert fixed.files_loaded == 1 and fixed.still_quarantined == BROKEN[1:]
    assert query(db, "select source_file from raw.events where event_id = 'pq-fixed'") == [("events/b_cut.parquet",)]


def test_a_parquet_file_whose_columns_cannot_hold_events_is_quarantined(landing, db):
    _write_parquet(landing / "events/int_times.parquet", ["e1"], occurred_at_sql="42")
    write_lines(landing, "events/ok.jsonl", [event("ok")])

    report = load(landing, db)["events"]

    assert report.quarantined == [
        "events/int_times.parquet: Parquet file cannot hold tracking events: column occurred_at is INTEGER"
    ]
    assert query(db, "select event_id from raw.events") == [("ok",)]


def test_empty_files_load_zero_rows_and_are_not_errors(landing, db):
    (landing / "events").mkdir()
    for name in ("empty.jsonl", "empty.parquet", "empty.jsonl.gz"):
        (landing / "events" / name).write_bytes(b"")
    (landing / "ad_spend").mkdir()
    (landing / "ad_spend/empty.csv").write_bytes(b"")

    reports = load(landing, db, ("events", "ad_spend"))

    assert [(r.files_loaded, r.rows, r.failed_files) for r in reports.values()] == [(3, 0, []), (1, 0, [])]


def test_a_file_under_a_temporary_name_waits_until_it_is_renamed(landing, db):
    half = landing / "events/day.jsonl.partial"
    write_lines(landing, "events/day.jsonl.partial", [event(f"e{i}") for i in range(50)])
    for name in ("x.tmp", "x.part", "x.crdownload", ".hidden.jsonl", "~lock.jsonl", "_SUCCESS"):
        (landing / "events" / name).write_text("{}\n")
    write_lines(landing, "events/_temporary/0/part-0.jsonl", [event("spark")])
    write_lines(landing, "events/.upload/x.jsonl", [event("hidden")])

    first = load(landing, db)["events"]

    assert first.files_loaded == 0 and first.failed_files == []
    assert first.in_progress == [
        "events/.hidden.jsonl",
        "events/.upload/",
        "events/_SUCCESS",
        "events/_temporary/",
        "events/day.jsonl.partial",
        "events/x.crdownload",
        "events/x.part",
        "events/x.tmp",
        "events/~lock.jsonl",
    ]
    write_lines(landing, "events/day.jsonl.partial", [event(f"e{i}") for i in range(100)])  # upload finishes
    half.rename(landing / "events/day.jsonl")

    second = load(landing, db)["events"]

    assert (second.files_loaded, second.loaded, second.failed_files) == (1, 100, [])


def test_a_file_modified_within_the_settle_time_waits(landing, db):
    path = write_lines(landing, "events/fresh.jsonl", [event("e1")])
    ten_seconds_ago = time.time() - 10
    os.utime(path, (ten_seconds_ago, ten_seconds_ago))

    waiting = load_landing_sources(landing, db, ["events"], salt=TEST_SALT, settle_seconds=60)[0]
    settled = load_landing_sources(landing, db, ["events"], salt=TEST_SALT, settle_seconds=5)[0]

    assert (waiting.files_loaded, waiting.waiting) == (0, ["events/fresh.jsonl"])
    assert (settled.files_loaded, settled.waiting) == (1, [])


ODD_NAMES = [
    "brackets[1].jsonl",
    "q?.jsonl",
    "star*.jsonl",
    "it's.jsonl",
    "with space.jsonl",
    "ünïcødé.jsonl",
    "{a,b}.jsonl",
    "back\\slash.jsonl",
]
DECOYS = ["brackets1.jsonl", "qa.jsonl", "starx.jsonl", "a.jsonl", "b.jsonl"]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_each_file_is_read_by_its_exact_name(name, landing, db):
    for decoy in DECOYS:
        write_lines(landing, f"events/[day]/{decoy}", [event(f"decoy-{decoy}")])
    write_lines(landing, f"events/[day]/{name}", [event("odd-1"), event("odd-2")])
    (landing / "catalog").mkdir()
    (landing / "catalog" / f"products {name}.csv").write_text(PRODUCTS_HEADER + "p1,Shirt,tops,acme,10,EUR,4\n")
    (landing / "catalog/products_decoy.csv").write_text(PRODUCTS_HEADER + "p2,Hat,hats,acme,5,EUR,2\n")
    (landing / "catalog/productsX.csv").write_text(PRODUCTS_HEADER + "p3,Cap,hats,acme,5,EUR,2\n")

    load(landing, db, ("events", "catalog"))

    assert query(
        db, "select event_id from raw.events where source_file = $f order by 1", {"f": f"events/[day]/{name}"}
    ) == [
        ("odd-1",),
        ("odd-2",),
    ]
    assert query(db, "select count(*), count(distinct event_id) from raw.events") == [(7, 7)]
    assert query(
        db, "select product_id from raw.products where source_file = $f", {"f": f"catalog/products {name}.csv"}
    ) == [("p1",)]


def test_every_accepted_spelling_is_loaded(landing, db):
    spellings = ["a.json", "b.ndjson", "c.jsonl", "d.JSONL", "e.Json.GZ", "f.ndjson.gz", "g.jsonl.gz"]
    (landing / "events").mkdir()
    for name in spellings:
        data = _jsonl([event(f"id-{name}")])
        (landing / "events" / name).write_bytes(gzip.compress(data) if name.lower().endswith(".gz") else data)
    _write_parquet(landing / "events/h.PARQUET", ["id-h.PARQUET"])
    (landing / "ad_spend").mkdir()
    (landing / "ad_spend/one.CSV").write_text(AD_SPEND_HEADER + AD_SPEND_ROW)
    (landing / "ad_spend/two.csv.gz").write_bytes(gzip.compress((AD_SPEND_HEADER + AD_SPEND_ROW).encode()))
    (landing / "catalog").mkdir()
    (landing / "catalog/Products_2026.CSV.GZ").write_bytes(
        gzip.compress((PRODUCTS_HEADER + "p1,Shirt,tops,acme,10,EUR,4\n").encode())
    )

    reports = load(landing, db, ("events", "ad_spend", "catalog"))

    assert query(db, "select event_id from raw.events order by 1") == [(f"id-{n}",) for n in [*spellings, "h.PARQUET"]]
    assert (reports["ad_spend"].files_loaded, reports["products"].files_loaded) == (2, 1)
    assert all(not r.ignored and not r.failed_files for r in reports.values())


def test_files_no_source_takes_are_named_as_ignored_once(landing, db):
    write_lines(landing, "events/ok.jsonl", [event("e1")])
    for relative in ("events/notes.txt", "events/export.csv", "catalog/orders.csv", "stray.jsonl", "misc/x.jsonl"):
        (landing / relative).parent.mkdir(parents=True, exist_ok=True)
        (landing / relative).write_text("x\n")

    reports = load(landing, db, ("events", "catalog"))

    assert reports["events"].ignored == ["events/export.csv", "events/notes.txt", "misc/x.jsonl", "stray.jsonl"]
    assert reports["products"].ignored == ["catalog/orders.csv"]
    assert reports["videos"].ignored == reports["hotspots"].ignored == []
    assert reports["events"].warnings == []


def test_an_empty_zone_and_a_zone_without_events_are_warnings_naming_the_path(landing, db):
    empty = load(landing, db)["events"]
    write_lines(landing, "day1.jsonl", [event("e1")])  # --landing pointed one level too deep
    too_deep = load(landing, db)["events"]

    assert empty.warnings == [
        f"landing zone {landing} is empty: nothing to load",
        f"landing zone {landing} has no events/ folder: is it the folder that holds "
        "events/, catalog/, inventory/, ad_spend/, social/, fx_rates/, messages/?",
    ]
    assert too_deep.warnings == empty.warnings[1:]
    assert too_deep.ignored == ["day1.jsonl"]


def test_a_csv_missing_a_required_column_is_quarantined_and_the_others_load(landing, db):
    (landing / "ad_spend").mkdir()
    (landing / "ad_spend/a.csv").write_text(AD_SPEND_HEADER + AD_SPEND_ROW)
    (landing / "ad_spend/b.csv").write_text("date,platform,spend,currency,impressions,clicks\n2026-09-02,x,1,EUR,1,1\n")
    (landing / "ad_spend/c.csv").write_text(AD_SPEND_HEADER + AD_SPEND_ROW.replace("09-01", "09-03"))

    report = load(landing, db, ("ad_spend",))["ad_spend"]

    assert report.quarantined == ["ad_spend/b.csv: header lacks column(s) campaign required for ad_spend"]
    assert query(db, "select date::varchar from raw.ad_spend order by 1") == [("2026-09-01",), ("2026-09-03",)]
    assert query(db, "select path from raw.rejected_files") == [("ad_spend/b.csv",)]


def test_a_csv_column_the_source_does_not_know_is_named(landing, db):
    (landing / "ad_spend").mkdir()
    (landing / "ad_spend/a.csv").write_text(
        AD_SPEND_HEADER.replace("\n", ",conversions\n") + AD_SPEND_ROW.replace("\n", ",7\n")
    )

    report = load(landing, db, ("ad_spend",))["ad_spend"]

    assert report.loaded == 1
    assert report.warnings == ["ad_spend/a.csv: column(s) conversions not in ad_spend, not loaded"]


def test_the_listing_gives_each_file_its_table_and_state(landing):
    settled = write_lines(landing, "events/a.jsonl", [event("e1")])
    os.utime(settled, (time.time() - 120, time.time() - 120))
    write_lines(landing, "events/b.jsonl.tmp", [event("e2")])
    (landing / "catalog").mkdir()
    (landing / "catalog/videos.csv").write_text("video_id\n")
    os.utime(landing / "catalog/videos.csv", (time.time() + 3600, time.time() + 3600))
    (landing / "README.md").write_text("hi\n")

    listing = list_landing_zone(landing, settle_seconds=60)

    assert [(f.relative, f.table, f.state) for f in listing.files] == [
        ("README.md", None, IGNORED),
        ("catalog/videos.csv", "videos", WAITING),
        ("events/a.jsonl", "events", READY),
        ("events/b.jsonl.tmp", "events", IN_PROGRESS),
    ]
