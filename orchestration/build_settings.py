"""The dbt vars a warehouse is built with: set in one place, recorded in the warehouse, and history rebuilt
when a setting that shapes history changes.

`funnelhouse run --vars` sets vars; every later run (the schedule's included) builds with the vars recorded
in the warehouse, so a setting cannot be undone by the next run that does not repeat it. Incremental models
keep rows built under the old setting, so a change of a var or seed they depend on rebuilds everything in
full; vars read only by models rebuilt on every run take effect on the next run by themselves.

A run with nothing new to build skips dbt: every model's rows follow from the raw tables, the vars, the
seeds and the code alone (the warehouse's clock is the data's, never the wall clock's), so when none of
them changed since the build the serving copy publishes, building again would write the same rows.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from orchestration import warehouse
from orchestration.clock import current_instant
from orchestration.model_changes import REBUILT_IN_FULL_VAR, kept_manifest_sha256
from orchestration.project_files import DBT_PROJECT_DIR, SEEDS_DIR, code_version

# Vars and seeds that incremental models bake into the rows they keep.
HISTORY_VARS = ("reporting_timezone", "reporting_currency", "session_timeout_minutes", "late_arrival_days")
HISTORY_SEEDS = ("channel_grouping", "bot_user_agents")

_DDL = (
    "create schema if not exists meta",
    """create table if not exists meta.build_settings (
        build_id bigint primary key,
        requested_vars json not null,
        effective_vars json not null,
        seed_sha256 json not null,
        full_refresh boolean not null,
        reason varchar,
        is_built boolean not null,
        recorded_at timestamptz not null
    )""",
    # What the build read (raw tables, vars, seeds, code), as one hash: equal hashes, equal models.
    "alter table meta.build_settings add column if not exists inputs_sha256 varchar",
    # When the build finished, by the product clock like the loads' loaded_at, so that `funnelhouse status`
    # can tell the loads a build has not folded in yet. Null for builds finished before the column existed.
    "alter table meta.build_settings add column if not exists built_at timestamptz",
    # The project's code the build ran, and the dbt manifest it built with (kept beside the warehouse,
    # model_changes.py): a new version of the project rebuilds what changed since. Null before they existed.
    "alter table meta.build_settings add column if not exists code_version varchar",
    "alter table meta.build_settings add column if not exists manifest_sha256 varchar",
)


class UnknownVars(ValueError):
    def __init__(self, names: list[str], known: list[str]):
        super().__init__(f"unknown dbt var(s) {', '.join(names)}; the project's vars are: {', '.join(known)}")


@dataclass(frozen=True)
class BuildPlan:
    build_id: int
    vars: dict[str, Any]
    full_refresh: bool
    reason: str | None  # why history is rebuilt, when it is
    # Nothing new since this build, which the serving copy publishes: the build is skipped.
    unchanged_since: int | None = None
    # The project's code changed since this build, whose manifest is kept: dbt compares the two (model_changes.py).
    code_changed_since: int | None = None
    # Incremental models whose kept rows were built by code that changed: rebuilt in full, alone.
    rebuilt_in_full: tuple[str, ...] = ()

    @property
    def dbt_vars_argument(self) -> str:
        """Serialised the same way every run, so dbt's partial parse survives from one run to the next."""
        rebuilt = {REBUILT_IN_FULL_VAR: list(self.rebuilt_in_full)} if self.rebuilt_in_full else {}
        return json.dumps({**self.vars, **rebuilt}, sort_keys=True)


def project_var_defaults() -> dict[str, Any]:
    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def parse_vars(text: str | None) -> dict[str, Any]:
    """YAML (or JSON) mapping of var names to values, checked against the project's vars."""
    if not text:
        return {}
    requested = yaml.safe_load(text)
    if not isinstance(requested, dict):
        raise ValueError(f"--vars must be a YAML mapping such as '{{reporting_timezone: Europe/Rome}}', not {text!r}")
    known = project_var_defaults()
    unknown = sorted(set(requested) - set(known))
    if unknown:
        raise UnknownVars(unknown, sorted(known))
    return requested


def _seed_fingerprints() -> dict[str, str]:
    return {seed: hashlib.sha256((SEEDS_DIR / f"{seed}.csv").read_bytes()).hexdigest()[:16] for seed in HISTORY_SEEDS}


def _all_seed_fingerprints() -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(SEEDS_DIR.glob("*.csv"))}


def _raw_state(con) -> tuple:
    """Changes with every load and every erasure: what the models read from raw. (Pending rebuilds come
    with their erasure, and emptying them once built is no change to build.)"""
    return con.execute(
        "select (select max(load_id) from raw.load_ledger), (select max(erasure_id) from raw.erasures)"
    ).fetchone()


def build_inputs_sha256(con, effective_vars: dict[str, Any]) -> str:
    inputs = {
        "raw": _raw_state(con),
        "vars": effective_vars,
        "seeds": _all_seed_fingerprints(),
        "code": code_version(),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def _requested_vars(con, overrides: dict[str, Any]) -> dict[str, Any]:
    """The vars recorded by the latest run, with this run's on top: a setting stays until changed."""
    latest = con.execute("select requested_vars from meta.build_settings order by build_id desc limit 1").fetchone()
    return {**(json.loads(latest[0]) if latest else {}), **overrides}


def _unchanged_since(con, effective_vars: dict[str, Any], published_build: int | None) -> int | None:
    """The last build, when the serving copy publishes it and it read exactly what a build would read now."""
    last = con.execute(
        "select build_id, inputs_sha256 from meta.build_settings where is_built order by build_id desc limit 1"
    ).fetchone()
    if last and last[0] == published_build and last[1] == build_inputs_sha256(con, effective_vars):
        return last[0]
    return None


def nothing_to_build(con, published_build: int | None) -> int | None:
    """For a run that sets no vars and loads nothing: the build that is still current, if one is."""
    if not con.execute(
        "select count(*) from information_schema.tables where table_schema = 'meta' and table_name = 'build_settings'"
    ).fetchone()[0]:
        return None
    return _unchanged_since(con, {**project_var_defaults(), **_requested_vars(con, {})}, published_build)


def _shape(effective_vars: dict[str, Any], seeds: dict[str, str]) -> dict[str, Any]:
    return {**{name: effective_vars.get(name) for name in HISTORY_VARS}, **{f"seed {s}": seeds[s] for s in seeds}}


def _changes(built: dict[str, Any], now: dict[str, Any]) -> list[str]:
    return [f"{name} {built.get(name)!r} -> {now[name]!r}" for name in now if built.get(name) != now[name]]


class _LastBuild(NamedTuple):
    build_id: int
    effective_vars: dict[str, Any]
    seed_sha256: dict[str, str]
    code_version: str | None  # None for a build recorded before the code version was
    manifest_sha256: str | None  # None when no manifest of the build was kept


def _last_built(con) -> _LastBuild | None:
    """The last build that finished: what the warehouse's models were built with."""
    row = con.execute(
        "select build_id, effective_vars, seed_sha256, code_version, manifest_sha256 from meta.build_settings "
        "where is_built order by build_id desc limit 1"
    ).fetchone()
    if row is None:
        return None
    build_id, effective_vars, seed_sha256, version, manifest_sha256 = row
    return _LastBuild(build_id, json.loads(effective_vars), json.loads(seed_sha256), version, manifest_sha256)


def plan_build(
    db_path: Path, overrides: dict[str, Any], *, full_refresh: bool, published_build: int | None = None
) -> BuildPlan:
    """Decide the vars, whether to rebuild history, and whether to build at all; record a plan that builds
    as not yet built. `published_build` is the build the readers see (nothing_new.readers_build: the serving
    copy's, or on Spark the Spark warehouse's): with nothing new since it, the plan builds nothing."""
    con = warehouse.connect(db_path)
    try:
        for ddl in _DDL:
            con.execute(ddl)
        last_built = _last_built(con)
        requested = _requested_vars(con, overrides)
        effective = {**project_var_defaults(), **requested}
        seeds = _seed_fingerprints()
        changes = (
            _changes(_shape(last_built.effective_vars, last_built.seed_sha256), _shape(effective, seeds))
            if last_built
            else []
        )
        reason = "settings that shape history changed: " + "; ".join(changes) if changes else None
        if full_refresh and not reason:
            reason = "--full-refresh"
        code_changed_since = None
        if reason is None and last_built and last_built.code_version != code_version():
            if last_built.manifest_sha256 is not None and last_built.manifest_sha256 == kept_manifest_sha256(db_path):
                code_changed_since = last_built.build_id
            else:
                reason = (
                    f"the project changed since build {last_built.build_id}, and no manifest of that build is kept to "
                    "tell which models changed"
                )
        if reason is None and (current := _unchanged_since(con, effective, published_build)) is not None:
            return BuildPlan(build_id=current, vars=effective, full_refresh=False, reason=None, unchanged_since=current)
        build_id = con.execute("select coalesce(max(build_id), 0) + 1 from meta.build_settings").fetchone()[0]
        con.execute(
            "insert into meta.build_settings (build_id, requested_vars, effective_vars, seed_sha256, full_refresh, "
            "reason, is_built, recorded_at, inputs_sha256, code_version) values (?, ?, ?, ?, ?, ?, false, ?, ?, ?)",
            [
                build_id,
                json.dumps(requested, sort_keys=True),
                json.dumps(effective, sort_keys=True),
                json.dumps(seeds, sort_keys=True),
                reason is not None,
                reason,
                datetime.now(UTC),
                build_inputs_sha256(con, effective),
                code_version(),
            ],
        )
    finally:
        con.close()
    return BuildPlan(
        build_id=build_id,
        vars=effective,
        full_refresh=reason is not None,
        reason=reason,
        code_changed_since=code_changed_since,
    )


def mark_built(db_path: Path, plan: BuildPlan, *, manifest_sha256: str | None = None) -> None:
    """Only a build that finished counts as the warehouse's shape: a failed rebuild is retried next run."""
    con = warehouse.connect(db_path)
    try:
        con.execute(
            "update meta.build_settings set is_built = true, built_at = ?, manifest_sha256 = ? where build_id = ?",
            [current_instant(), manifest_sha256, plan.build_id],
        )
    finally:
        con.close()
