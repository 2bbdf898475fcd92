"""The dbt vars a warehouse is built with: set in one place, recorded in the warehouse, and history rebuilt
when a setting that shapes history changes.

`funnelhouse run --vars` sets vars; every later run (the schedule's included) builds with the vars recorded
in the warehouse, so a setting cannot be undone by the next run that does not repeat it. Incremental models
keep rows built under the old setting, so a change of a var or seed they depend on rebuilds everything in
full; vars read only by models rebuilt on every run take effect on the next run by themselves.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from orchestration import warehouse
from orchestration.assets.dbt_project import DBT_PROJECT_DIR, SEEDS_DIR

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

    @property
    def dbt_vars_argument(self) -> str:
        """Serialised the same way every run, so dbt's partial parse survives from one run to the next."""
        return json.dumps(self.vars, sort_keys=True)


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


def _shape(effective_vars: dict[str, Any], seeds: dict[str, str]) -> dict[str, Any]:
    return {**{name: effective_vars.get(name) for name in HISTORY_VARS}, **{f"seed {s}": seeds[s] for s in seeds}}


def _changes(built: dict[str, Any], now: dict[str, Any]) -> list[str]:
    return [f"{name} {built.get(name)!r} -> {now[name]!r}" for name in now if built.get(name) != now[name]]


def plan_build(db_path: Path, overrides: dict[str, Any], *, full_refresh: bool) -> BuildPlan:
    """Decide the vars and whether to rebuild history; record the plan as not yet built."""
    con = warehouse.connect(db_path)
    try:
        for ddl in _DDL:
            con.execute(ddl)
        latest = con.execute("select requested_vars from meta.build_settings order by build_id desc limit 1").fetchone()
        last_built = con.execute(
            "select effective_vars, seed_sha256 from meta.build_settings where is_built order by build_id desc limit 1"
        ).fetchone()
        requested = {**(json.loads(latest[0]) if latest else {}), **overrides}
        effective = {**project_var_defaults(), **requested}
        seeds = _seed_fingerprints()
        changes = (
            _changes(_shape(json.loads(last_built[0]), json.loads(last_built[1])), _shape(effective, seeds))
            if last_built
            else []
        )
        reason = "settings that shape history changed: " + "; ".join(changes) if changes else None
        if full_refresh and not reason:
            reason = "--full-refresh"
        build_id = con.execute("select coalesce(max(build_id), 0) + 1 from meta.build_settings").fetchone()[0]
        con.execute(
            "insert into meta.build_settings values (?, ?, ?, ?, ?, ?, false, ?)",
            [
                build_id,
                json.dumps(requested, sort_keys=True),
                json.dumps(effective, sort_keys=True),
                json.dumps(seeds, sort_keys=True),
                reason is not None,
                reason,
                datetime.now(UTC),
            ],
        )
    finally:
        con.close()
    return BuildPlan(build_id=build_id, vars=effective, full_refresh=reason is not None, reason=reason)


def mark_built(db_path: Path, plan: BuildPlan) -> None:
    """Only a build that finished counts as the warehouse's shape: a failed rebuild is retried next run."""
    con = warehouse.connect(db_path)
    try:
        con.execute("update meta.build_settings set is_built = true where build_id = ?", [plan.build_id])
    finally:
        con.close()
