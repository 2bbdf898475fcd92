"""Erasing a person on request (GDPR article 17): `funnelhouse forget` and the Dagster job `forget_person`.

One transaction removes the person from raw events, rejected events and every table dbt built, and records
the erasure; the caller holds the pipeline's writer lock. Who the person is follows the warehouse's one
person rule: the customer ids asked for or signed up with the e-mail asked for, every device stitched to
them (intermediate.int_people) and the devices asked for. Their events go, and so do the rows of every
device those events touched; devices that keep events of other people are queued in raw.pending_rebuilds,
with the days they spanned, for the next build to redo, so every model ends equal to a full refresh.
Later deliveries of the person's events are dropped by the loader (raw.erased_identities).
"""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration import warehouse
from orchestration.loader.erasure_identities import identity_sha256
from orchestration.loader.ledger import ensure_raw_schema
from orchestration.loader.pii import Pseudonymiser
from orchestration.loader.salt import check_salt

# Schemas dbt builds into (generate_schema_name): each of their tables is searched for the person.
MODEL_SCHEMAS = ("staging", "intermediate", "marts")
# Person columns of model tables, and the erased set each is matched against.
_PERSON_COLUMNS = {
    "event_id": "select event_id from erased_events",
    "anonymous_id": "select anonymous_id from touched_devices",
    "customer_id": "select value from erased_people",
    "user_id": "select value from erased_people",
    "purchase_user_id": "select value from erased_people",
    "person_id": "select value from erased_people",
    "order_id": "select order_id from erased_events where order_id is not null",
    "email_sha256": "select value from asked_for where kind = 'email'",
}
# Raw exports that name people (the messaging tool's sends): their rows of the person go with the events.
_RAW_PERSON_TABLES = ("messages",)
# Summaries per load, appended in load order: their rows from the first load the person was in are
# removed, and the next build appends them again from the events that remain.
_PER_LOAD_TABLES = ("int_event_loads",)


class NobodyToForget(Exception):
    """The request names nobody the warehouse holds."""


@dataclass(frozen=True)
class ErasureRequest:
    user_ids: tuple[str, ...] = ()
    anonymous_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()

    def describe(self) -> str:
        """What was asked for, by kind only: the log never names the person."""
        kinds = [kind for kind, values in self._kinds().items() for _ in values]
        return ", ".join(kinds)

    def _kinds(self) -> dict[str, tuple[str, ...]]:
        return {"user_id": self.user_ids, "anonymous_id": self.anonymous_ids, "email": self.emails}

    def fingerprint(self, salt: str) -> str:
        text = json.dumps({kind: sorted(values) for kind, values in self._kinds().items()}, sort_keys=True)
        return hashlib.sha256((salt + text).encode()).hexdigest()


@dataclass
class Erasure:
    erasure_id: int
    devices: int
    events: int
    rows_removed: dict[str, int] = field(default_factory=dict)  # table -> rows

    @property
    def total_rows(self) -> int:
        return sum(self.rows_removed.values())


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _seed_identities(con: duckdb.DuckDBPyConnection, request: ErasureRequest, pseudonymiser: Pseudonymiser) -> None:
    """asked_for(kind, value): the ids asked for, as the loader stores them."""
    con.execute("create or replace temp table asked_for (kind varchar, value varchar)")
    rows = [("user_id", pseudonymiser.identifier(v)) for v in request.user_ids]
    rows += [("anonymous_id", pseudonymiser.identifier(v)) for v in request.anonymous_ids]
    rows += [("email", pseudonymiser.email_hash(v)) for v in request.emails]
    # An e-mail used as a customer id is stored as the e-mail's hash.
    rows += [("user_id", pseudonymiser.email_hash(v)) for v in request.emails]
    con.executemany("insert into asked_for values (?, ?)", rows)


def _find_person(con: duckdb.DuckDBPyConnection) -> None:
    """erased_people (customer ids), person_devices, erased_events, touched_devices: the one person rule."""
    con.execute(
        """
        create or replace temp table erased_people as
        select value from asked_for where kind = 'user_id'
        union
        select distinct user_id from raw.events
        where user_id is not null
            and (properties ->> 'email_sha256') in (select value from asked_for where kind = 'email')
        """
    )
    stitched = (
        "select anonymous_id from intermediate.int_people where customer_id in (select value from erased_people)"
        if _table_exists(con, "intermediate", "int_people")
        else "select null where false"
    )
    con.execute(
        f"""
        create or replace temp table person_devices as
        select value as anonymous_id from asked_for where kind = 'anonymous_id'
        union
        {stitched}
        union
        select distinct anonymous_id from raw.events
        where (properties ->> 'email_sha256') in (select value from asked_for where kind = 'email')
        """
    )
    con.execute(
        """
        create or replace temp table erased_events as
        select event_id, anonymous_id, load_id, (properties ->> 'order_id') as order_id
        from raw.events
        where user_id in (select value from erased_people)
            or anonymous_id in (select anonymous_id from person_devices)
        """
    )
    con.execute(
        """
        create or replace temp table touched_devices as
        select
            events.anonymous_id,
            min(events.occurred_at) as first_occurred_at,
            max(events.occurred_at) as last_occurred_at,
            count(*) filter (where events.event_id not in (select event_id from erased_events)) as events_kept
        from raw.events as events
        where events.anonymous_id in (select anonymous_id from erased_events)
        group by events.anonymous_id
        """
    )


def _strings_naming_the_person(con: duckdb.DuckDBPyConnection, request: ErasureRequest) -> list[str]:
    """Every form in which a rejected line's masked text can name the person."""
    stored = [row[0] for row in con.execute("select value from asked_for").fetchall()]
    stored += [row[0] for row in con.execute("select value from erased_people").fetchall()]
    stored += [row[0] for row in con.execute("select anonymous_id from person_devices").fetchall()]
    email_masks = [
        f"[email:{row[0][:12]}]" for row in con.execute("select value from asked_for where kind = 'email'").fetchall()
    ]
    return sorted({s for s in (*stored, *email_masks, *request.user_ids, *request.anonymous_ids) if s})


def _remove_rejected(con: duckdb.DuckDBPyConnection, names: list[str]) -> int:
    con.execute("create or replace temp table person_names (name varchar)")
    con.executemany("insert into person_names values (?)", [(name,) for name in names])
    return con.execute(
        "delete from raw.rejected_events where exists "
        "(select 1 from person_names where contains(rejected_events.raw_text, person_names.name))"
    ).fetchone()[0]


def _model_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, list[str]]]:
    rows = con.execute(
        """
        select tables.table_schema, tables.table_name, list(columns.column_name order by columns.ordinal_position)
        from information_schema.tables as tables
        inner join information_schema.columns as columns
            on tables.table_schema = columns.table_schema and tables.table_name = columns.table_name
        where tables.table_type = 'BASE TABLE' and tables.table_schema in (select unnest($schemas))
        group by all
        order by 1, 2
        """,
        {"schemas": list(MODEL_SCHEMAS)},
    ).fetchall()
    return [(schema, table, columns) for schema, table, columns in rows]


def _remove_from_models(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    removed = {}
    first_load = con.execute("select min(load_id) from erased_events").fetchone()[0]
    for schema, table, columns in _model_tables(con):
        if table in _PER_LOAD_TABLES:
            if first_load is None:
                continue  # only rejected lines named the person: no load's summary changes
            condition = f"load_id >= {int(first_load)}"
        else:
            condition = _naming_the_person(columns)
            if not condition:
                continue  # an aggregate: the next build redoes the days the person was in
        count = con.execute(f'delete from "{schema}"."{table}" where {condition}').fetchone()[0]
        if count:
            removed[f"{schema}.{table}"] = count
    return removed


def _naming_the_person(columns: list[str]) -> str:
    return " or ".join(f'"{c}" in ({_PERSON_COLUMNS[c]})' for c in columns if c in _PERSON_COLUMNS)


def _remove_from_raw_exports(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    removed = {}
    for table in _RAW_PERSON_TABLES:
        if not _table_exists(con, "raw", table):
            continue
        columns = [row[0] for row in con.execute(f"select column_name from (describe raw.{table})").fetchall()]
        count = con.execute(f"delete from raw.{table} where {_naming_the_person(columns)}").fetchone()[0]
        if count:
            removed[f"raw.{table}"] = count
    return removed


def _record(
    con: duckdb.DuckDBPyConnection, request: ErasureRequest, pseudonymiser: Pseudonymiser, erasure: Erasure
) -> None:
    con.execute(
        "insert into raw.erasures values (?, ?, ?, ?, ?, ?, now())",
        [
            erasure.erasure_id,
            request.describe(),
            request.fingerprint(pseudonymiser.salt),
            erasure.devices,
            erasure.events,
            json.dumps(erasure.rows_removed),
        ],
    )
    identities = [(kind, value) for kind, value in con.execute("select kind, value from asked_for").fetchall()]
    identities += [("user_id", row[0]) for row in con.execute("select value from erased_people").fetchall()]
    identities += [
        ("anonymous_id", row[0]) for row in con.execute("select anonymous_id from person_devices").fetchall()
    ]
    con.executemany(
        "insert into raw.erased_identities values (?, ?, ?)",
        sorted(
            {(erasure.erasure_id, kind, identity_sha256(pseudonymiser.salt, kind, value)) for kind, value in identities}
        ),
    )
    con.execute(
        """
        insert into raw.pending_rebuilds
        select $erasure_id, case when events_kept > 0 then anonymous_id end, first_occurred_at, last_occurred_at
        from touched_devices
        """,
        {"erasure_id": erasure.erasure_id},
    )


def forget(db_path: Path, request: ErasureRequest, pseudonymiser: Pseudonymiser) -> Erasure:
    """Remove the person everywhere in one transaction; NobodyToForget when the warehouse holds none of them,
    SaltChanged when the salt is not the warehouse's (the person's hashes would not be found).

    The caller holds the writer lock; the serving copy is republished by the caller once this returns.
    """
    con = warehouse.connect(db_path)
    try:
        check_salt(con, pseudonymiser.salt)
        ensure_raw_schema(con)
        con.begin()
        _seed_identities(con, request, pseudonymiser)
        _find_person(con)
        events = con.execute("select count(*) from erased_events").fetchone()[0]
        names = _strings_naming_the_person(con, request)
        rejected = _remove_rejected(con, names)
        if not events and not rejected:
            raise NobodyToForget(f"the warehouse holds no events of the person asked for ({request.describe()})")
        erasure = Erasure(
            erasure_id=con.execute("select coalesce(max(erasure_id), 0) + 1 from raw.erasures").fetchone()[0],
            devices=con.execute("select count(*) from touched_devices").fetchone()[0],
            events=events,
        )
        erasure.rows_removed = _remove_from_models(con) | _remove_from_raw_exports(con)
        erasure.rows_removed["raw.events"] = con.execute(
            "delete from raw.events where event_id in (select event_id from erased_events)"
        ).fetchone()[0]
        erasure.rows_removed["raw.rejected_events"] = rejected
        _record(con, request, pseudonymiser, erasure)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.close()
    return erasure


def clear_pending_rebuilds(db_path: Path, up_to_erasure: int) -> None:
    """After a build that succeeded: the erasures it saw are folded in."""
    con = warehouse.connect(db_path)
    try:
        con.execute("delete from raw.pending_rebuilds where erasure_id <= ?", [up_to_erasure])
    finally:
        con.close()


def latest_pending_rebuild(db_path: Path) -> int:
    con = warehouse.connect(db_path, read_only=True)
    try:
        if not _table_exists(con, "raw", "pending_rebuilds"):
            return 0
        return con.execute("select coalesce(max(erasure_id), 0) from raw.pending_rebuilds").fetchone()[0]
    finally:
        con.close()
