"""Exactly once: duplicates, the ledger, changed files, and a process killed in the middle of a file."""

import subprocess
import sys
import textwrap
from pathlib import Path

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
