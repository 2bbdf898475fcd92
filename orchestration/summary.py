"""The closing summary of a run: what was loaded and rejected, what arrived late, the shop's last week
against the week before, and what each channel earned under the models that disagree most. On the Spark
target: what was loaded, and the row count of every public mart."""

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from orchestration import warehouse
from orchestration.spark_warehouse import WAREHOUSE, spark_table_rows


@dataclass(frozen=True)
class Loads:
    """What the loads after a given one took and rejected: the loader's own tables, on either target."""

    files: int
    events: int
    duplicates: int
    forgotten: int  # lines of people erased before, dropped
    csv_rows: int
    rejected_by_reason: dict[str, int]
    csv_rejected_by_reason: dict[str, int]

    @classmethod
    def read(cls, con, after_load_id: int) -> "Loads":
        params = {"after": after_load_id}
        ledger = con.execute(
            """
            select
                count(*),
                coalesce(sum(loaded) filter (where source = 'events'), 0),
                coalesce(sum(duplicates) filter (where source = 'events'), 0),
                coalesce(sum(forgotten) filter (where source = 'events'), 0),
                coalesce(sum(loaded) filter (where source <> 'events'), 0)
            from raw.load_ledger where load_id > $after
            """,
            params,
        ).fetchone()
        rejected = con.execute(
            "select reason, count(*) from raw.rejected_events where load_id > $after group by 1 order by 2 desc",
            params,
        ).fetchall()
        csv_rejected = con.execute(
            "select source || ': ' || reason, count(*) from raw.rejected_rows where load_id > $after "
            "group by 1 order by 2 desc",
            params,
        ).fetchall()
        return cls(*ledger, dict(rejected), dict(csv_rejected))


@dataclass(frozen=True)
class RunSummary:
    db_path: Path
    files_loaded: int
    events_loaded: int
    duplicates: int
    forgotten: int  # lines of people erased before, dropped
    rejected_by_reason: dict[str, int]
    csv_rows_loaded: int
    csv_rejected_by_reason: dict[str, int]
    events_in_warehouse: int
    staged_events: int
    bot_events: int
    bot_devices: int
    late_events: int
    late_events_beyond_threshold: int
    money: "MoneyChecks"
    last_week: "FunnelWeek | None"
    week_before: "FunnelWeek | None"
    settings: dict = field(default_factory=dict)  # dbt vars set away from the project's defaults
    channels: list["ChannelCredit"] = field(default_factory=list)
    attribution_model: str = ""  # var attribution_model: the model behind ROAS
    landing: dict[str, list[str]] = field(default_factory=dict)  # what the load assets could not take

    @property
    def loads(self) -> Loads:
        return Loads(
            self.files_loaded,
            self.events_loaded,
            self.duplicates,
            self.forgotten,
            self.csv_rows_loaded,
            self.rejected_by_reason,
            self.csv_rejected_by_reason,
        )


@dataclass(frozen=True)
class SparkRunSummary:
    """A run on the Spark target: what was loaded (the loader's tables, in its DuckDB file, as on DuckDB) and the
    row counts of the public marts, read from the Spark warehouse's files. The sections that read the marts'
    numbers read DuckDB tables, which this target does not build."""

    db_path: Path
    spark_dir: Path
    loads: Loads
    mart_rows: dict[str, int]
    landing: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class FunnelWeek:
    """Seven days of fct_funnel_daily, summed; the rates follow CONTRACT section 9."""

    first_day: date
    last_day: date
    sessions: int
    purchase_sessions: int
    cart_sessions: int
    cart_purchase_sessions: int
    orders: int
    revenue: float

    @property
    def conversion_rate(self) -> float | None:
        return self.purchase_sessions / self.sessions if self.sessions else None

    @property
    def aov(self) -> float | None:
        return self.revenue / self.orders if self.orders else None

    @property
    def cart_abandonment_rate(self) -> float | None:
        return 1 - self.cart_purchase_sessions / self.cart_sessions if self.cart_sessions else None


@dataclass(frozen=True)
class MoneyChecks:
    """Orders and refunds that count but deserve a look, in the whole warehouse (CONTRACT section 7)."""

    orders: int
    server_side_orders: int
    orders_without_session: int
    over_refunded_orders: int
    refund_excess: float  # reporting currency: what refunds asked beyond their orders' revenue
    refunds_without_order: int
    refunds_without_order_value: float  # reporting currency

    @classmethod
    def read(cls, con) -> "MoneyChecks":
        orders = con.execute(
            "select count(*), count(*) filter (where is_server_side), count(*) filter (where session_id is null), "
            "count(*) filter (where is_over_refunded), coalesce(sum(refund_excess_reporting), 0)::double "
            "from marts.fct_orders"
        ).fetchone()
        orphans = con.execute(
            "select count(*), coalesce(sum(amount_reporting), 0)::double from marts.fct_refunds_without_order"
        ).fetchone()
        return cls(*orders, *orphans)


# The two weeks end on the warehouse clock's day (CONTRACT section 7), not today: a backfill reads the same.
_FUNNEL_WEEKS = """
with newest as (select clock_date as last_day from intermediate.int_warehouse_clock),
days as (
    select *, case when date_day > last_day - 7 then 0 else 1 end as weeks_back
    from marts.fct_funnel_daily, newest
    where date_day > last_day - 14 and date_day <= last_day
),
weeks as (
    select
        weeks_back,
        -- The window's own bounds: its last day may hold no session yet (a visit running past midnight).
        any_value(last_day - 6 - 7 * weeks_back), any_value(last_day - 7 * weeks_back),
        sum(sessions), sum(purchase_sessions), sum(cart_sessions),
        sum(cart_purchase_sessions), sum(orders), sum(revenue)::double
    from days
    group by weeks_back
)
select * from weeks order by weeks_back
"""


@dataclass(frozen=True)
class ChannelCredit:
    """A channel's revenue over the whole history under last touch, the ROAS model and Markov, and its spend."""

    channel: str
    last_touch: float
    chosen_model: float
    markov: float
    spend: float | None

    @property
    def roas(self) -> float | None:
        return self.chosen_model / self.spend if self.spend else None


_CHANNEL_CREDIT = """
    select
        channel,
        coalesce(sum(attributed_revenue) filter (where model = 'last_touch'), 0),
        coalesce(sum(attributed_revenue) filter (where model = $model), 0),
        coalesce(sum(attributed_revenue) filter (where model = 'markov'), 0),
        sum(spend) filter (where model = $model)
    from marts.fct_attribution_summary
    group by channel
    order by 3 desc, channel
"""


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


def summarise_run(db_path: Path, after_load_id: int, landing: dict[str, list[str]] | None = None) -> RunSummary:
    con = warehouse.connect(db_path, read_only=True)
    try:
        params = {"after": after_load_id}
        loads = Loads.read(con, after_load_id)
        in_warehouse = con.execute("select count(*) from raw.events").fetchone()[0]
        staged, bot_events, bot_devices = con.execute(
            "select count(*), count(*) filter (where is_bot), count(distinct anonymous_id) filter (where is_bot) "
            "from staging.stg_events"
        ).fetchone()
        late, late_beyond = con.execute(
            "select coalesce(sum(late_events), 0), coalesce(sum(late_events_beyond_threshold), 0) "
            "from intermediate.int_event_loads where load_id > $after",
            params,
        ).fetchone()
        money = MoneyChecks.read(con)
        weeks = {row[0]: FunnelWeek(*row[1:]) for row in con.execute(_FUNNEL_WEEKS).fetchall()}
        settings = con.execute(
            "select requested_vars, effective_vars ->> 'attribution_model' from meta.build_settings "
            "where is_built order by build_id desc limit 1"
        ).fetchone()
        attribution_model = settings[1] if settings else ""
        channels = [
            ChannelCredit(channel, float(last), float(chosen), float(markov), None if spend is None else float(spend))
            for channel, last, chosen, markov, spend in con.execute(
                _CHANNEL_CREDIT, {"model": attribution_model}
            ).fetchall()
        ]
    finally:
        con.close()
    return RunSummary(
        db_path=db_path,
        files_loaded=loads.files,
        events_loaded=loads.events,
        duplicates=loads.duplicates,
        forgotten=loads.forgotten,
        rejected_by_reason=loads.rejected_by_reason,
        csv_rows_loaded=loads.csv_rows,
        csv_rejected_by_reason=loads.csv_rejected_by_reason,
        events_in_warehouse=in_warehouse,
        staged_events=staged,
        bot_events=bot_events,
        bot_devices=bot_devices,
        late_events=late,
        late_events_beyond_threshold=late_beyond,
        money=money,
        last_week=weeks.get(0),
        week_before=weeks.get(1),
        settings=json.loads(settings[0]) if settings else {},
        landing=landing or {},
        channels=channels,
        attribution_model=attribution_model,
    )


def _reasons(by_reason: dict[str, int]) -> list[str]:
    return [f"    {reason:<32} {count:>10,}" for reason, count in by_reason.items()]


def _headline(files_loaded: int, landing: dict[str, list[str]]) -> str:
    left = sum(len(landing.get(name, [])) for name in ("failed_files", "still_quarantined", "waiting"))
    if files_loaded:
        return f"Loaded {files_loaded:,} new landing file(s)."
    if left:
        return f"No new landing file loaded; {left:,} file(s) left unloaded (below)."
    if landing.get("warnings"):
        return "Nothing loaded: the landing zone needs a look (warnings below)."
    return "Nothing new to load: every landing file is already in the warehouse."


# What the load assets could not take, as a person should read it: (list, heading).
_LANDING_SECTIONS = (
    ("failed_files", "could not be loaded (fix and re-deliver; see raw.rejected_files)"),
    ("still_quarantined", "still quarantined, unchanged since they were rejected"),
    ("waiting", "still settling (changed recently): taken by a later run"),
    ("in_progress", "under a temporary name (upload in progress): taken once renamed"),
    ("ignored", "ignored: not a landing file type or folder"),
    ("warnings", "warning(s)"),
)


def _landing_lines(landing: dict[str, list[str]]) -> list[str]:
    lines = []
    for name, heading in _LANDING_SECTIONS:
        entries = landing.get(name, [])
        if entries:
            lines.append(f"  {len(entries):,} {heading}:")
            lines += [f"    {entry}" for entry in entries[:20]]
            if len(entries) > 20:
                lines.append(f"    ... and {len(entries) - 20:,} more")
    return lines


def _load_lines(loads: Loads, landing: dict[str, list[str]]) -> list[str]:
    return [
        _headline(loads.files, landing),
        *_landing_lines(landing),
        f"  events loaded                  {loads.events:>12,}",
        f"  duplicate deliveries skipped   {loads.duplicates:>12,}",
        *([f"  events of forgotten people     {loads.forgotten:>12,}"] if loads.forgotten else []),
        f"  event lines rejected           {sum(loads.rejected_by_reason.values()):>12,}",
        *_reasons(loads.rejected_by_reason),
        f"  export rows loaded (CSV)       {loads.csv_rows:>12,}",
        f"  export rows rejected           {sum(loads.csv_rejected_by_reason.values()):>12,}",
        *_reasons(loads.csv_rejected_by_reason),
    ]


def format_summary(summary: RunSummary) -> str:
    lines = [
        "",
        "Funnelhouse run summary",
        "=======================",
        *_load_lines(summary.loads, summary.landing),
        "Warehouse",
        f"  events in raw.events           {summary.events_in_warehouse:>12,}",
        f"  staged events (stg_events)     {summary.staged_events:>12,}",
        f"  late events in this run        {summary.late_events:>12,}  "
        f"({summary.late_events_beyond_threshold:,} beyond late_arrival_days)",
        f"  bot events flagged             {summary.bot_events:>12,}  from {summary.bot_devices:,} devices",
        *_money_lines(summary.money),
        f"  file                           {summary.db_path}",
        f"  settings (dbt vars)            {_settings(summary.settings)}",
        "  rejects: select * from raw.rejected_events / raw.rejected_rows / raw.rejected_files",
        *_week_against_week(summary.last_week, summary.week_before),
        *_channel_lines(summary.channels, summary.attribution_model),
    ]
    return "\n".join(lines)


def _money_lines(money: MoneyChecks) -> list[str]:
    """Every order counts, whoever reported it; what cannot be booked normally is said, not hidden."""
    return [
        f"  orders (fct_orders)            {money.orders:>12,}  "
        f"({money.server_side_orders:,} server-side, {money.orders_without_session:,} without a session)",
        f"  orders refunded beyond revenue {money.over_refunded_orders:>12,}  "
        f"(excess {money.refund_excess:,.2f}, not booked)",
        f"  refunds without their order    {money.refunds_without_order:>12,}  "
        f"(worth {money.refunds_without_order_value:,.2f}; marts.fct_refunds_without_order)",
    ]


def _settings(requested: dict) -> str:
    if not requested:
        return "project defaults"
    return ", ".join(f"{name}={value}" for name, value in sorted(requested.items()))


def _week_against_week(last: FunnelWeek | None, before: FunnelWeek | None) -> list[str]:
    if last is None:
        return []
    lines = [
        f"Last 7 days ({last.first_day} to {last.last_day}) against the 7 before",
        f"  {'':<20} {'last 7 days':>14} {'7 before':>14} {'change':>10}",
    ]
    for label, value, kind in (
        ("sessions", lambda w: w.sessions, "count"),
        ("conversion rate", lambda w: w.conversion_rate, "rate"),
        ("orders", lambda w: w.orders, "count"),
        ("AOV", lambda w: w.aov, "money"),
        ("revenue", lambda w: w.revenue, "money"),
        ("cart abandonment", lambda w: w.cart_abandonment_rate, "rate"),
    ):
        now, then = value(last), value(before) if before else None
        lines.append(f"  {label:<20} {_shown(now, kind):>14} {_shown(then, kind):>14} {_change(now, then, kind):>10}")
    return lines


def _shown(value: float | None, kind: str) -> str:
    if value is None:
        return "-"
    return {"count": f"{value:,.0f}", "rate": f"{value:.2%}", "money": f"{value:,.2f}"}[kind]


def _change(now: float | None, then: float | None, kind: str) -> str:
    """Rates change in percentage points, counts and money in percent."""
    if now is None or then is None:
        return ""
    if kind == "rate":
        return f"{(now - then) * 100:+.2f} pt"
    return f"{now / then - 1:+.1%}" if then else ""


def _channel_lines(channels: list[ChannelCredit], model: str) -> list[str]:
    """Last touch and Markov side by side with the ROAS model: where they disagree is where the budget talk is."""
    if not channels:
        return []
    lines = [
        "Revenue credited per channel, whole history (marts.fct_attribution_summary)",
        f"  {'':<16} {'last touch':>12} {model:>15} {'markov':>12} {'spend':>10} {'ROAS':>6}",
    ]
    for c in channels:
        spend = "-" if c.spend is None else f"{c.spend:,.0f}"
        roas = "-" if c.roas is None else f"{c.roas:.1f}"
        revenue = f"{c.last_touch:>12,.0f} {c.chosen_model:>15,.0f} {c.markov:>12,.0f}"
        lines.append(f"  {c.channel:<16} {revenue} {spend:>10} {roas:>6}")
    return lines


def summarise_spark_run(
    db_path: Path, spark_dir: Path, after_load_id: int, landing: dict[str, list[str]] | None = None
) -> SparkRunSummary:
    con = warehouse.connect(db_path, read_only=True)
    try:
        loads = Loads.read(con, after_load_id)
    finally:
        con.close()
    return SparkRunSummary(db_path, spark_dir, loads, spark_table_rows(spark_dir, "marts"), landing or {})


def format_spark_summary(summary: SparkRunSummary) -> str:
    width = max([31, *(len(f"marts.{mart} ") for mart in summary.mart_rows)])
    return "\n".join(
        [
            "",
            "Funnelhouse run summary (Spark)",
            "===============================",
            *_load_lines(summary.loads, summary.landing),
            "Spark warehouse",
            *[f"  {f'marts.{mart}':<{width}}{rows:>12,} rows" for mart, rows in summary.mart_rows.items()],
            f"  {'tables (Parquet)':<{width}}{summary.spark_dir / WAREHOUSE}",
            f"  {'loader database':<{width}}{summary.db_path}",
            "  rejects (loader database): select * from raw.rejected_events / raw.rejected_rows / raw.rejected_files",
        ]
    )
