"""Shared helpers: small landing zones written by hand, and loads into throwaway warehouses."""

import json
import os
from pathlib import Path

import duckdb
import pytest

from orchestration.clock import NOW_SETTING
from orchestration.loader.load import TableLoad, load_landing_sources
from tests.video_shop import built_shop, start_build, stop_build

TEST_SALT = "test-salt"
# Hand-written landing zones are not demo zones: like a shop's, they need a salt (tests of its absence unset it).
os.environ["FUNNELHOUSE_PII_SALT"] = TEST_SALT
# "Now" for the whole suite and every subprocess it starts (they inherit the variable): after every date
# written by hand in the tests (2026-09-01 and the weeks after it), so no such event is ever "in the future",
# whatever the machine's date. Generated shops end the day before it (orchestration.clock).
PINNED_NOW = "2026-11-30T12:00:00Z"
os.environ[NOW_SETTING] = PINNED_NOW


def event(event_id: str, event_name: str = "page_view", **fields) -> dict:
    """A valid contract event; keyword arguments add or override fields."""
    return {
        "event_id": event_id,
        "event_name": event_name,
        "occurred_at": "2026-09-01T10:00:00Z",
        "anonymous_id": "anon-1",
        **fields,
    }


def write_lines(landing: Path, relative: str, lines: list[dict | str]) -> Path:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((json.dumps(line) if isinstance(line, dict) else line) + "\n" for line in lines))
    return path


def load(landing: Path, db: Path, sources: tuple[str, ...] = ("events",)) -> dict[str, TableLoad]:
    reports = load_landing_sources(landing, db, sources, salt=TEST_SALT)
    return {report.table: report for report in reports}


def query(db: Path, sql: str, params: dict | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or {}).fetchall()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


# Test files whose setups run the pipeline several times: first, so each worker starts on long work while
# the video shop builds beside them. Then every other file, and the files that need the video shop last.
LONGEST_SETUPS_FIRST = (
    "test_incremental_equals_full_refresh.py",
    "test_operations.py",
    "test_serve.py",
    "test_extreme_values.py",
    "test_personal_data.py",
    "test_end_to_end.py",
    "test_clock.py",
    "test_dbt_unit_tests.py",
    "test_numbers_agree.py",
)


def _shared_folder(config: pytest.Config) -> Path:
    """A folder every process of the session sees: pytest-xdist's workers' temporary folders sit in it."""
    base = config._tmp_path_factory.getbasetemp()
    return base.parent if hasattr(config, "workerinput") else base


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    needs_shop = {item.path for item in items if "video_shop" in getattr(item, "fixturenames", ())}

    def order(item: pytest.Item) -> tuple[int, int]:
        if item.path.name in LONGEST_SETUPS_FIRST:
            return 0, LONGEST_SETUPS_FIRST.index(item.path.name)
        return (2 if item.path in needs_shop else 1), 0

    items.sort(key=order)  # stable: a file's tests keep their order
    if needs_shop:
        start_build(_shared_folder(config) / "video_shop")


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the session's own process, after every worker ended
        stop_build(_shared_folder(session.config) / "video_shop")


@pytest.fixture(scope="session")
def video_shop(request):
    """The generated shop (tests/video_shop.py) run through the whole pipeline once per session:
    (truth, warehouse path)."""
    return built_shop(_shared_folder(request.config) / "video_shop")


# The browser test (tests/test_dashboard.py) skips with this reason when the machine has no Chromium; the
# summary repeats it in a banner, since a skip line is easy to miss at the end of a long run.
NO_CHROMIUM = "BROWSER TEST DID NOT RUN: no Chromium found"


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    if any(NO_CHROMIUM in str(report.longrepr) for report in skipped):
        terminalreporter.write_sep("!", NO_CHROMIUM, red=True, bold=True)
        terminalreporter.write_line(
            "Install the OS package (Debian: apt-get install chromium) or put a chromium on PATH, then run "
            "tests/test_dashboard.py again."
        )
        terminalreporter.write_sep("!", NO_CHROMIUM, red=True, bold=True)
