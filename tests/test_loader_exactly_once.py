"""Exactly once: duplicates, the ledger, changed files, and a process killed in the middle of a file."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb

from orchestration.loader import ledger
from orchestration.loader.load import load_landing_sources
from tests.conftest import TEST_SALT, event, load, query, write_lines


def test_first_delivery_wins_within_a_file_and_across_files(landing, db):
    write_lines(landing, "events/a.jsonl", [event("e1", user_id="first"), event("e2"), event("e1", user_id="second")])
    write_lines(landing, "events/b.jsonl", [event("e2", user_id="late copy"), event("e3")])

    report = load(landing, db)["events"]

    assert (report.loaded, report.duplicates, report.rejected) == (3, 2, 0)
    assert query(db, "select event_id, user_id, source_file from raw.events order by event_id") == [
        ("e1", "first", "events/a.jsonl"),
        ("e2", None, "events/a.jsonl"),
        ("e3", None, "events/b.jsonl"),
    ]
    assert query(db, "select path, rows, loaded, duplicates, rejected from raw.load_ledger order by path") == [
        ("events/a.jsonl", 3, 2, 1, 0),
        ("events/b.jsonl", 2, 1, 1, 0),
    ]


def test_a_loaded_file_is_skipped_and_new_files_still_load(landing, db):
    write_lines(landing, "events/a.jsonl", [event("e1")])
    load(landing, db)
    write_lines(landing, "events/b.jsonl", [event("e2")])

    report = load(landing, db)["events"]

    assert (report.files_loaded, report.files_already_loaded, report.loaded) == (1, 1, 1)
    assert query(db, "select count(*) from raw.events") == [(2,)]


def test_changed_file_fails_naming_it_and_loads_nothing_of_it_but_other_files_load(landing, db):
    write_lines(landing, "events/a.jsonl", [event("e1")])
    load(landing, db)
    write_lines(landing, "events/a.jsonl", [event("e1"), event("e-sneaked-in")])
    write_lines(landing, "events/b.jsonl", [event("e2")])

    report = load(landing, db)["events"]

    assert len(report.failed_files) == 1
    assert report.failed_files[0].startswith("events/a.jsonl changed after it was loaded")
    assert report.files_loaded == 1
    assert query(db, "select event_id from raw.events order by 1") == [("e1",), ("e2",)]


KILL_ON_SECOND_FILE = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import orchestration.loader.load as load_module

    real_record_load = load_module.record_load
    calls = []

    def record_then_die(con, load_id, file, outcome, load_time):
        calls.append(file.path)
        if len(calls) == 2:
            # The file's events are inserted but not committed: die as `kill -9` would.
            os.kill(os.getpid(), signal.SIGKILL)
        real_record_load(con, load_id, file, outcome, load_time)

    load_module.record_load = record_then_die
    load_module.load_landing_sources(Path(sys.argv[1]), Path(sys.argv[2]), ["events"], salt=sys.argv[3])
    """
)


def test_a_kill_in_the_middle_of_a_file_then_a_rerun_loads_every_event_exactly_once(landing, db):
    for day in range(3):
        write_lines(landing, f"events/day{day}.jsonl", [event(f"d{day}-e{i}") for i in range(500)])
    killed = subprocess.run(
        [sys.executable, "-c", KILL_ON_SECOND_FILE, str(landing), str(db), TEST_SALT],
        cwd=Path(__file__).parents[1],
        capture_output=True,
    )
    assert killed.returncode == -9, killed.stderr.decode()
    assert query(db, "select count(*) from raw.events") == [(500,)]

    report = load(landing, db)["events"]

    assert (report.files_loaded, report.files_already_loaded) == (2, 1)
    assert query(db, "select count(*), count(distinct event_id) from raw.events") == [(1500, 1500)]
    assert query(db, "select count(*) from raw.load_ledger") == [(3,)]


def _rewrite_keeping_size_and_time(path: Path, old: str, new: str) -> None:
    """Change a file's content in place without changing its size or modification time."""
    assert len(old) == len(new)
    stat = path.stat()
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_loaded_file_with_its_recorded_size_and_time_is_not_read_again(landing, db, monkeypatch):
    write_lines(landing, "events/a.jsonl", [event("e1")])
    write_lines(landing, "events/b.jsonl", [event("e2")])
    load(landing, db)
    hashed = []
    real_sha256 = ledger.file_sha256
    monkeypatch.setattr(ledger, "file_sha256", lambda path: hashed.append(path.name) or real_sha256(path))

    again = load(landing, db)["events"]

    assert (hashed, again.files_hashed, again.files_already_loaded) == ([], 0, 2)


def test_a_loaded_file_touched_or_copied_anew_is_hashed_once_and_its_new_time_recorded(landing, db):
    path = write_lines(landing, "events/a.jsonl", [event("e1")])
    load(landing, db)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))

    touched = load(landing, db)["events"]
    after = load(landing, db)["events"]

    assert (touched.files_hashed, touched.files_already_loaded, touched.failed_files) == (1, 1, [])
    assert (after.files_hashed, after.files_already_loaded) == (0, 1)
    assert query(db, "select modified_ns from raw.load_ledger") == [(path.stat().st_mtime_ns,)]


def test_a_ledger_row_without_a_recorded_time_is_hashed_once(landing, db):
    """Warehouses loaded before the ledger kept modification times."""
    write_lines(landing, "events/a.jsonl", [event("e1")])
    load(landing, db)
    with duckdb.connect(str(db)) as con:
        con.execute("update raw.load_ledger set modified_ns = null")

    assert load(landing, db)["events"].files_hashed == 1
    assert load(landing, db)["events"].files_hashed == 0


def test_verify_finds_a_file_changed_in_place_with_its_size_and_time_kept(landing, db):
    path = write_lines(landing, "events/a.jsonl", [event("e1")])
    load(landing, db)
    _rewrite_keeping_size_and_time(path, '"e1"', '"e9"')

    unverified = load(landing, db)["events"]
    verified = {r.table: r for r in load_landing_sources(landing, db, ("events",), salt=TEST_SALT, verify=True)}

    assert (unverified.failed_files, unverified.files_hashed) == ([], 0)
    assert verified["events"].files_hashed == 1
    assert len(verified["events"].failed_files) == 1
    assert verified["events"].failed_files[0].startswith("events/a.jsonl changed after it was loaded")
    assert query(db, "select event_id from raw.events") == [("e1",)]
