"""One salt per warehouse: personal data is hashed with FUNNELHOUSE_PII_SALT, and the warehouse remembers
which salt it was built with, so one person never gets two hashes.

The warehouse keeps a fingerprint of its salt (a hash of the salt's hash: it cannot be turned back into
the salt, nor into any person's hash). Only a demo landing zone, written by `funnelhouse generate`, may go
without a salt: it gets the public demo salt, which the fingerprint then pins like any other.
"""

import hashlib
import logging
import os
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.loader.landing_zone import is_demo_landing_zone
from orchestration.loader.pii import DEMO_SALT

SALT_VARIABLE = "FUNNELHOUSE_PII_SALT"
_FINGERPRINT_CHARS = 16

log = logging.getLogger(__name__)


class SaltError(Exception):
    """The run cannot hash personal data consistently; nothing is loaded."""


class SaltMissing(SaltError):
    def __init__(self, landing: Path):
        super().__init__(
            f"{SALT_VARIABLE} is not set, and {landing} is not a demo landing zone: personal data would be hashed "
            "with the public demo salt, which anyone can reverse. Set a long random secret once and keep it "
            f"with the warehouse, e.g. export {SALT_VARIABLE}=\"$(python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')\""
        )


class SaltChanged(SaltError):
    def __init__(self, recorded: str, current: str):
        super().__init__(
            f"the warehouse was built with the salt of fingerprint {recorded}, and {SALT_VARIABLE} now has "
            f"fingerprint {current}: the same person would get a second hash. Set the salt the warehouse was "
            "built with (or start a new warehouse)"
        )


def fingerprint(salt: str) -> str:
    inner = hashlib.sha256(salt.encode()).hexdigest()
    return hashlib.sha256(inner.encode()).hexdigest()[:_FINGERPRINT_CHARS]


def salt_for(landing: Path) -> str:
    """The salt to hash with: FUNNELHOUSE_PII_SALT, or the demo salt for a generated landing zone only."""
    if salt := os.environ.get(SALT_VARIABLE):
        return salt
    if is_demo_landing_zone(landing):
        log.warning("%s is unset: the demo landing zone is hashed with the public demo salt", SALT_VARIABLE)
        return DEMO_SALT
    raise SaltMissing(landing)


def _recorded_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'pii_salt'"
    ).fetchone()[0]
    if not exists:
        return None
    row = con.execute("select fingerprint from raw.pii_salt").fetchone()
    return row[0] if row else None


def check_salt(con: duckdb.DuckDBPyConnection, salt: str) -> None:
    """SaltChanged when the warehouse already holds data hashed with another salt."""
    recorded = _recorded_fingerprint(con)
    if recorded is not None and recorded != fingerprint(salt):
        raise SaltChanged(recorded, fingerprint(salt))


def pin_salt(con: duckdb.DuckDBPyConnection, salt: str, load_time: datetime) -> None:
    """Record the salt's fingerprint on the first load; SaltChanged on any later load with another salt."""
    check_salt(con, salt)
    con.execute(
        "create table if not exists raw.pii_salt (fingerprint varchar not null, recorded_at timestamptz not null)"
    )
    if _recorded_fingerprint(con) is None:
        con.execute("insert into raw.pii_salt values (?, ?)", [fingerprint(salt), load_time])


def check_warehouse_salt(db_path: Path, salt: str) -> None:
    """check_salt for a warehouse file, without creating it. A warehouse another process holds open is not
    checked here: the load steps check it (pin_salt) and report that lock with its holder."""
    if not db_path.exists():
        return
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.IOException:
        return
    try:
        check_salt(con, salt)
    finally:
        con.close()
