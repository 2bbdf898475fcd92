"""End to end: generate a small shop, run the Dagster job, and hold the warehouse against truth.json."""

import gzip
import ipaddress
import os
import re
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.generator import generate_landing_zone
from orchestration.loader.reasons import EVENT_REJECTION_REASONS
from orchestration.pipeline import run_pipeline
from orchestration.settings import Settings
from orchestration.summary import format_summary, last_load_id, summarise_run
from tests.conftest import load, query
from tests.test_personal_data import text_values

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE_VALUE = re.compile(r'"phone"\s*:\s*"([^"]+)"')
IP_VALUE = re.compile(r'"ip"\s*:\s*"([^"]+)"')


# The seed and its calendar together (the weekly rhythm draws from the same stream) plant what the tests need:
# an event more than late_arrival_days late, and a bot's ping after the last visitor that would move a clock
# counting bots. Any date after it is in the past by the suite's pinned clock.
SHOP_START = date(2026, 9, 1)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    os.environ.pop("DAGSTER_HOME", None)  # a throwaway Dagster instance, never the developer's
    root = tmp_path_factory.mktemp("shop")
    # A seed whose seven days hold an event delivered more than late_arrival_days late (lags of 5-10 days
    # rarely fit in a week), and an intent the bots' clock would judge otherwise: two tests need them.
    truth = generate_landing_zone(root / "landing", days=7, visitors=2_000, seed=11, start_date=SHOP_START)
    settings = Settings(landing_dir=root / "landing", db_path=root / "warehouse.duckdb")
    outcome = run_pipeline(settings)
    return truth, settings, outcome


def test_the_job_succeeds(shop):
    _, _, outcome = shop
    assert outcome.success, outcome.failures


def test_ledger_counts_equal_what_the_generator_planted(shop):
    truth, settings, _ = shop
    loaded, duplicates, rejected = query(
        settings.db_path,
        "select sum(loaded), sum(duplicates), sum(rejected) from raw.load_ledger where source = 'events'",
    )[0]
    assert loaded == truth["events"]["valid_unique"]
    assert duplicates == truth["events"]["duplicates"]
    assert rejected == sum(truth["events"]["rejected"].values())


def test_every_rejection_reason_is_in_rejected_events_with_the_planted_count(shop):
    truth, settings, _ = shop
    by_reason = dict(query(settings.db_path, "select reason, count(*) from raw.rejected_events group by 1"))
    assert by_reason == truth["events"]["rejected"]
    assert set(by_reason) == set(EVENT_REJECTION_REASONS)


def test_staged_events_and_bots_equal_truth(shop):
    truth, settings, _ = shop
    staged, bots = query(settings.db_path, "select count(*), count(*) filter (where is_bot) from staging.stg_events")[0]
    assert staged == truth["events"]["valid_unique"]
    assert bots == truth["events"]["bot_events"]
    by_name = dict(query(settings.db_path, "select event_name, count(*) from staging.stg_events group by 1"))
    assert by_name == truth["events"]["by_name"]


def test_csv_exports_load_and_reject_as_planted(shop):
    truth, settings, _ = shop
    for source, planted in truth["csv"].items():
        assert query(settings.db_path, f"select count(*) from raw.{source}") == [(planted["valid"],)], source
        rejected = dict(
            query(
                settings.db_path,
                "select reason, count(*) from raw.rejected_rows where source = $source group by 1",
                {"source": source},
            )
        )
        assert rejected == {reason: n for reason, n in planted["rejected"].items() if n}, source


def _landed_personal_data(landing: Path) -> tuple[str, ...]:
    """Every e-mail, phone and IP written in plain text into the landing zone's event files."""
    found: set[str] = set()
    for path in (landing / "events").rglob("*"):
        if path.suffix == ".parquet":
            with duckdb.connect() as con:
                text = "\n".join(r[0] for r in con.execute(f"select to_json(p)::varchar from '{path}' as p").fetchall())
        elif path.name.endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                text = handle.read().decode("utf-8", errors="replace")
        elif path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
        else:
            continue
        found.update(EMAIL.findall(text))
        for phone in PHONE_VALUE.findall(text):
            found.update({phone, re.sub(r"\D", "", phone)})
        found.update(ip for ip in IP_VALUE.findall(text) if not _host_part_is_zero(ip))
    return tuple(sorted(value for value in found if len(value) >= 7))


def _host_part_is_zero(ip: str) -> bool:
    """An address whose host part is already zero reads the same truncated: storing it leaks nothing."""
    address = ipaddress.ip_address(ip)
    host_bits = 8 if address.version == 4 else 80
    return int(address) & ((1 << host_bits) - 1) == 0


# Whatever could be an e-mail, a phone (as written, or its digits) or an IP address, in any text.
_PERSONAL_LOOKING = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|\+?\d[\d ()-]{5,}\d|[0-9A-Fa-f:.]{7,}")


def _personal_looking_tokens(values: list[str]) -> set[str]:
    """One pass of one expression over the text: checking each planted value against each stored value
    would cost thousands times more."""
    return {token.strip() for value in values for token in _PERSONAL_LOOKING.findall(value)}


def test_no_plain_email_phone_or_full_ip_in_any_table(shop):
    truth, settings, _ = shop
    personal = _landed_personal_data(settings.landing_dir)
    assert len(personal) >= truth["events"]["pii"]["emails"] > 0
    assert _personal_looking_tokens([f"x {p} x" for p in personal]) >= set(personal)  # the scan can see them
    assert sorted(set(personal) & _personal_looking_tokens(text_values(settings.db_path))) == []


def _builds_and_publication(settings: Settings) -> tuple:
    builds = query(settings.db_path, "select count(*) from meta.build_settings")[0][0]
    return builds, query(settings.serving_db, "select published_at, build_id from meta.publication")[0]


def test_a_second_run_loads_nothing_new_and_skips_the_build(shop):
    truth, settings, _ = shop
    before = last_load_id(settings.db_path)
    built_before = _builds_and_publication(settings)

    outcome = run_pipeline(settings)

    assert outcome.success, outcome.failures
    summary = summarise_run(settings.db_path, before)
    assert (summary.files_loaded, summary.events_loaded) == (0, 0)
    assert summary.staged_events == truth["events"]["valid_unique"]
    assert _builds_and_publication(settings) == built_before


def test_the_cli_says_when_nothing_is_new_without_starting_the_job(shop, monkeypatch):
    _, settings, _ = shop
    import orchestration.pipeline

    monkeypatch.setattr(orchestration.pipeline, "run_pipeline", lambda *args, **kwargs: pytest.fail("job started"))

    result = CliRunner().invoke(main, ["run", "--landing", str(settings.landing_dir), "--db", str(settings.db_path)])

    assert result.exit_code == 0, result.output
    assert f"Nothing new: every file in {settings.landing_dir} is loaded" in result.output


def test_cli_run_exits_non_zero_and_names_a_changed_file(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    landing = tmp_path / "landing"
    (landing / "events").mkdir(parents=True)
    events = landing / "events" / "a.jsonl"
    events.write_text(
        '{"event_id": "e1", "event_name": "page_view", "occurred_at": "2026-09-01T10:00:00Z", "anonymous_id": "a"}\n'
    )
    load(landing, tmp_path / "w.duckdb")  # landed and loaded by an earlier run
    events.write_text(events.read_text().replace("e1", "e2"))
    args = ["run", "--landing", str(landing), "--db", str(tmp_path / "w.duckdb")]

    result = CliRunner().invoke(main, args)

    assert result.exit_code == 1
    assert "events/a.jsonl changed after it was loaded" in result.output


def test_marts_hold_the_sessions_orders_and_revenue_the_generator_planted(shop):
    truth, settings, _ = shop
    planted = truth["sessions"]
    sessions, purchase_sessions, session_orders = query(
        settings.db_path, "select count(*), count(*) filter (where purchased), sum(orders) from marts.fct_sessions"
    )[0]
    # Orders sent server-side with a device never seen otherwise belong to no session.
    assert (sessions, purchase_sessions, session_orders) == (
        planted["sessions"],
        planted["sessions_with_order"],
        planted["orders_in_sessions"],
    )
    by_currency = dict(query(settings.db_path, "select currency, sum(revenue) from marts.fct_orders group by 1"))
    assert {currency: float(revenue) for currency, revenue in by_currency.items()} == planted["revenue_by_currency"]
    revenue, refunds, refunded_orders, refunded, net = query(
        settings.db_path,
        "select sum(revenue_reporting), sum(refunds), count(*) filter (where refunds > 0), "
        "sum(refunded_amount_reporting), sum(net_revenue) from marts.fct_orders",
    )[0]
    orders = planted["orders"]
    # Each order's converted revenue is kept to 4 decimals; truth sums unrounded products.
    assert float(revenue) == pytest.approx(planted["revenue_reporting"], abs=0.0001 * orders + 0.01)
    assert (refunds, refunded_orders) == (planted["refunds"], planted["refunded_orders"])
    assert float(refunded) == pytest.approx(planted["refund_amount_reporting"], abs=0.0001 * refunds + 0.01)
    assert float(net) == pytest.approx(float(revenue) - float(refunded), abs=1e-6)


def test_every_session_gets_the_channel_the_generator_planted(shop):
    truth, settings, _ = shop
    by_channel = dict(query(settings.db_path, "select channel, count(*) from marts.fct_sessions group by 1"))
    assert by_channel == truth["sessions"]["sessions_by_channel"]


def test_touches_are_session_starts_and_mid_visit_campaign_changes(shop):
    truth, settings, _ = shop
    starts, changes = query(
        settings.db_path,
        "select count(*) filter (where is_session_start), count(*) filter (where not is_session_start) "
        "from intermediate.int_touches",
    )[0]
    assert (starts, changes) == (truth["sessions"]["sessions"], truth["sessions"]["mid_visit_campaign_changes"])


def test_late_events_are_counted_against_the_data_already_processed(shop):
    truth, settings, outcome = shop
    late, beyond = query(
        settings.db_path,
        "select sum(late_events), sum(late_events_beyond_threshold) from intermediate.int_event_loads",
    )[0]
    planted = truth["events"]["late"]
    assert (late, beyond) == (planted["up_to_3_days"] + planted["over_3_days"], planted["over_3_days"])
    assert beyond > 0
    assert any("events_arrived_within_late_arrival_days" in warning for warning in outcome.warnings)


def test_daily_and_period_marts_add_up_to_the_planted_totals(shop):
    truth, settings, _ = shop
    planted = truth["sessions"]
    funnel_sessions, funnel_orders, funnel_revenue = query(
        settings.db_path, "select sum(sessions), sum(orders), sum(revenue) from marts.fct_funnel_daily"
    )[0]
    assert (funnel_sessions, funnel_orders) == (planted["sessions"], planted["orders"])
    month_totals = dict(
        query(
            settings.db_path,
            "select kpi, sum(value) from marts.fct_kpi_period where period_grain = 'month' "
            "and kpi in ('sessions', 'orders', 'gross_revenue', 'refunds') group by 1",
        )
    )
    assert month_totals["sessions"] == planted["sessions"]
    assert month_totals["orders"] == planted["orders"]
    assert month_totals["gross_revenue"] == pytest.approx(float(funnel_revenue))
    assert month_totals["refunds"] == pytest.approx(
        planted["refund_amount_reporting"], abs=0.0001 * planted["refunds"] + 0.01
    )


def test_run_summary_shows_the_last_seven_days_as_the_marts_count_them(shop):
    """The summary, fct_kpi_period and fct_orders agree to the cent on the week ending on the clock's day."""
    _, settings, _ = shop
    db = settings.db_path
    week = summarise_run(db, 0).last_week
    [(clock_day,)] = query(db, "select clock_date from intermediate.int_warehouse_clock")
    window = {"first": week.first_day, "last": week.last_day}
    [(orders, revenue)] = query(
        db,
        "select count(*), sum(revenue_reporting) from marts.fct_orders where order_date between $first and $last",
        window,
    )
    [(kpi_orders, kpi_revenue, kpi_sessions)] = query(
        db,
        "select sum(value) filter (where kpi = 'orders'), sum(value) filter (where kpi = 'gross_revenue'), "
        "sum(value) filter (where kpi = 'sessions') from marts.fct_kpi_period "
        "where period_grain = 'day' and period_start between $first and $last",
        window,
    )
    [(sessions,)] = query(
        db, "select count(*) from marts.fct_sessions where session_date between $first and $last", window
    )

    assert week.last_day == clock_day and (week.last_day - week.first_day).days == 6
    assert week.orders == orders == kpi_orders > 0
    assert round(week.revenue, 2) == round(float(revenue), 2) == round(kpi_revenue, 2)
    assert week.sessions == sessions == kpi_sessions > 0
    assert "Last 7 days" in format_summary(summarise_run(db, 0))


# --- money is never a bot (CONTRACT section 7) -------------------------------------------------------------------


def test_server_side_orders_are_orders_and_join_their_visitors_session(shop):
    truth, settings, _ = shop
    planted = truth["sessions"]
    server_side, in_a_session, without_session = query(
        settings.db_path,
        """
        select count(*), count(session_id), (select count(*) from marts.fct_orders where session_id is null)
        from marts.fct_orders
        where order_id in (select order_id from staging.stg_events where event_name = 'purchase' and is_bot)
        """,
    )[0]
    assert server_side == planted["server_side_orders"] > 0
    assert in_a_session == planted["server_side_order_sessions"] > 0
    assert without_session == planted["orders_without_session"] > 0


def test_every_order_is_booked_on_its_order_date_in_the_funnel(shop):
    truth, settings, _ = shop
    orders, revenue = query(settings.db_path, "select sum(orders), sum(revenue) from marts.fct_funnel_daily")[0]
    assert orders == truth["sessions"]["orders"]
    assert float(revenue) == pytest.approx(
        truth["sessions"]["revenue_reporting"], abs=0.0001 * truth["sessions"]["orders"] + 0.01
    )


def test_refunds_are_counted_once_and_capped_at_the_order_revenue(shop):
    truth, settings, _ = shop
    planted = truth["sessions"]
    refunds, booked = query(
        settings.db_path, "select sum(refunds), sum(refunded_amount_reporting) from marts.fct_orders"
    )[0]
    over, excess = query(
        settings.db_path,
        "select count(*) filter (where is_over_refund), sum(excess_amount_reporting) from intermediate.int_refunds",
    )[0]
    assert refunds == planted["refunds"]
    assert planted["refunds_resent"] > 0  # re-sent refunds are in the data and must not count
    assert float(booked) == pytest.approx(planted["refund_amount_reporting"], abs=0.0001 * refunds + 0.01)
    assert over == planted["refunds_over_order"] > 0
    assert float(excess) == pytest.approx(planted["refund_excess_reporting"], abs=0.0001 * over + 0.01)
    over_refunded = query(
        settings.db_path,
        "select count(*) from marts.fct_orders where refunded_amount_reporting > revenue_reporting",
    )
    assert over_refunded == [(0,)]


def test_refunds_of_orders_the_warehouse_does_not_hold_are_kept_apart(shop):
    truth, settings, _ = shop
    planted = truth["sessions"]
    count, distinct_refunds, orders_held = query(
        settings.db_path,
        "select count(*), count(distinct coalesce(refund_id, event_id)), "
        "count(*) filter (where order_id in (select order_id from marts.fct_orders)) "
        "from marts.fct_refunds_without_order",
    )[0]
    assert count == distinct_refunds == planted["refunds_without_order"] > 0
    assert orders_held == 0
    by_currency = dict(
        query(settings.db_path, "select currency, sum(amount) from marts.fct_refunds_without_order group by 1")
    )
    assert {c: float(v) for c, v in by_currency.items()} == planted["refund_without_order_amount_by_currency"]
    [(reporting,)] = query(settings.db_path, "select sum(amount_reporting) from marts.fct_refunds_without_order")
    assert float(reporting) == pytest.approx(
        planted["refund_without_order_amount_reporting"], abs=0.0001 * count + 0.01
    )


def test_refunds_delivered_before_their_purchase_are_matched_once_it_arrives(shop):
    """The planted purchases delivered in a later file than their refund: their refunds are booked on them."""
    truth, settings, _ = shop
    assert truth["sessions"]["orders_delivered_after_their_refund"] > 0
    matched = query(
        settings.db_path,
        """
        with first_delivery as (
            select order_id, event_name, min(load_id) as load_id
            from staging.stg_events
            where event_name in ('purchase', 'refund')
            group by 1, 2
        ),

        purchases_after_their_refund as (
            select purchases.order_id
            from first_delivery as purchases
            inner join first_delivery as refunds
                on purchases.order_id = refunds.order_id and refunds.event_name = 'refund'
            where purchases.event_name = 'purchase' and purchases.load_id > refunds.load_id
        )

        select count(*), count(*) filter (where orders.refunds > 0)
        from marts.fct_orders as orders
        inner join purchases_after_their_refund on orders.order_id = purchases_after_their_refund.order_id
        """,
    )
    assert matched == [(truth["sessions"]["orders_delivered_after_their_refund"],) * 2]


# --- the warehouse clock (CONTRACT section 7) --------------------------------------------------------------------


def test_stream_intents_are_judged_by_the_clock_of_non_bot_events(shop):
    truth, settings, _ = shop
    planted = truth["planted"]["in_video_abandonment"]
    [(clock,)] = query(settings.db_path, "select distinct warehouse_clock_at from intermediate.int_stream_intents")
    assert clock == datetime.fromisoformat(truth["planted"]["warehouse_clock_at"])
    measured = query(
        settings.db_path,
        "select count(*) filter (where status = 'abandoned'), count(*) filter (where status = 'pending') "
        "from intermediate.int_stream_intents",
    )[0]
    assert measured == (planted["pairs"], planted["pending_pairs"])
    # The planted bot event after the last visitor would judge otherwise: the test can tell the two rules apart.
    assert measured != (
        planted["if_bots_moved_the_clock"]["pairs"],
        planted["if_bots_moved_the_clock"]["pending_pairs"],
    )
