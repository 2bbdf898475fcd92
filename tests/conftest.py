"""Shared helpers: small landing zones written by hand, and loads into throwaway warehouses."""

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.loader.load import TableLoad, load_landing_sources

TEST_SALT = "test-salt"


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
