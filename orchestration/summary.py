"""The closing summary of a run: what was loaded, what was rejected and why, what staging holds."""

from dataclasses import dataclass
from pathlib import Path

from orchestration import warehouse


@dataclass(frozen=True)
class RunSummary:
    db_path: Path
    files_loaded: int
    events_loaded: int
    duplicates: int
    rejected_by_reason: dict[str, int]
    csv_rows_loaded: int
    csv_rejected_by_reason: dict[str, int]
    events_in_warehouse: int
    staged_events: int
    bot_events: int
    bot_devices: int


def last_load_id(db_path: Path) -> int:
    """The newest load before a run; a run's own loads are those after it."""
    if not db_path.exists():
        return 0
    con = warehouse.connect(db_path, read_only=True)
    try:
        has_ledger = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'load_ledger'"
        ).fetchone()[0]
        return con.execute("select coalesce(max(load_id), 0) from raw.load_ledger").fetchone()[0] if has_ledger else 0
    finally:
        con.close()


def summarise_run(db_path: Path, after_load_id: int) -> RunSummary:
    con = warehouse.connect(db_path, read_only=True)
    try:
        params = {"after": after_load_id}
        files, events, duplicates, csv_rows = con.execute(
            """
            select
                count(*),
                coalesce(sum(loaded) filter (where source = 'events'), 0),
                coalesce(sum(duplicates) filter (where source = 'events'), 0),
                coalesce(sum(loaded) filter (where source <> 'events'), 0)
            from raw.load_ledger where load_id > $after
            """,
            params,
        ).fetchone()
        rejected = dict(
            con.execute(
                "select reason, count(*) from raw.rejected_events where load_id > $after group by 1 order by 2 desc",
                params,
            ).fetchall()
        )
        csv_rejected = dict(
            con.execute(
                "select source || ': ' || reason, count(*) from raw.rejected_rows where load_id > $after "
                "group by 1 order by 2 desc",
                params,
            ).fetchall()
        )
        in_warehouse = con.execute("select count(*) from raw.events").fetchone()[0]
        staged, bot_events, bot_devices = con.execute(
            "select count(*), count(*) filter (where is_bot), count(distinct anonymous_id) filter (where is_bot) "
            "from staging.stg_events"
        ).fetchone()
    finally:
        con.close()
    return RunSummary(
        db_path=db_path,
        files_loaded=files,
        events_loaded=events,
        duplicates=duplicates,
        rejected_by_reason=rejected,
        csv_rows_loaded=csv_rows,
        csv_rejected_by_reason=csv_rejected,
        events_in_warehouse=in_warehouse,
        staged_events=staged,
        bot_events=bot_events,
        bot_devices=bot_devices,
    )


def _reasons(by_reason: dict[str, int]) -> list[str]:
    return [f"    {reason:<32} {count:>10,}" for reason, count in by_reason.items()]


def format_summary(summary: RunSummary) -> str:
    if summary.files_loaded == 0:
        headline = "Nothing new to load: every landing file is already in the warehouse."
    else:
        headline = f"Loaded {summary.files_loaded:,} new landing file(s)."
    rejected_events = sum(summary.rejected_by_reason.values())
    lines = [
        "",
        "Funnelhouse run summary",
        "=======================",
        headline,
        f"  events loaded                  {summary.events_loaded:>12,}",
        f"  duplicate deliveries skipped   {summary.duplicates:>12,}",
        f"  event lines rejected           {rejected_events:>12,}",
        *_reasons(summary.rejected_by_reason),
        f"  export rows loaded (CSV)       {summary.csv_rows_loaded:>12,}",
        f"  export rows rejected           {sum(summary.csv_rejected_by_reason.values()):>12,}",
        *_reasons(summary.csv_rejected_by_reason),
        "Warehouse",
        f"  events in raw.events           {summary.events_in_warehouse:>12,}",
        f"  staged events (stg_events)     {summary.staged_events:>12,}",
        f"  bot events flagged             {summary.bot_events:>12,}  from {summary.bot_devices:,} devices",
        f"  file                           {summary.db_path}",
        "  rejects: select * from raw.rejected_events / raw.rejected_rows",
    ]
    return "\n".join(lines)
