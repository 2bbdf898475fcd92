"""The dashboard in a real browser: the app serves the session shop's serving copy, headless Chromium
(Playwright) opens it, every tab draws without an error, and the totals on the page equal the marts as
this test computes them (its own SQL over other marts than the page reads, formatted by hand)."""

import calendar
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import NO_CHROMIUM, query

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "orchestration" / "dashboard" / "app.py"
ARTIFACTS = REPO / "data" / "test-artifacts"
TABS = ("Funnel", "Channels", "Video", "Attribution", "Social", "Customers")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}
# The first page load imports MetricFlow and runs every tab's queries; on a busy 2-core machine that can take
# a while, and a timeout here fails the test rather than hanging it.
LOAD_TIMEOUT_MS = 90_000


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason=f"{NO_CHROMIUM} on PATH or at /usr/bin/chromium: the dashboard was not tested"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _running_app(serving_db: Path, log: Path) -> Iterator[str]:
    """`make dashboard`'s command on a free port, reading `serving_db`; yields the page's URL."""
    port = _free_port()
    with log.open("w") as output:
        app = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(APP),
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                "--client.toolbarMode",
                "viewer",
                "--server.port",
                str(port),
            ],
            cwd=REPO,
            env={**os.environ, "FUNNELHOUSE_SERVING_DB": str(serving_db)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, app, log)
        yield url
    finally:
        app.terminate()
        app.wait(timeout=10)


def _wait_until_healthy(url: str, app: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if app.poll() is not None:
            pytest.fail(f"the dashboard exited with {app.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the dashboard did not answer within {seconds} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=VIEWPORT,
        )
        yield context
        context.close()


def _open(browser, url: str):
    """The page once Streamlit has run the script to its end."""
    page = browser.new_page()
    page.goto(url)
    _wait_until_finished(page, page.get_by_role("heading", name="Funnelhouse"))
    return page


def _wait_until_finished(page, drawn_by_this_run) -> None:
    """Streamlit reruns the script after every interaction; an element that only this run draws shows that it
    has started, and "notRunning" afterwards that it has finished."""
    drawn_by_this_run.wait_for(timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=LOAD_TIMEOUT_MS)


def _metric_value(scope, label: str) -> str:
    card = scope.get_by_test_id("stMetric").filter(
        has=scope.page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return card.get_by_test_id("stMetricValue").inner_text().strip()


def _wait_until_drawn(panel) -> None:
    """A tab's charts and tables draw on canvases once the tab is shown."""
    panel.wait_for()
    for element in ("stVegaLiteChart", "stDataFrame"):
        for drawn in panel.get_by_test_id(element).all():
            drawn.locator("canvas, svg").first.wait_for()


def _screenshot(page, tab: str) -> Path:
    """The whole tab: Streamlit scrolls inside its main block, so the window is grown to its height."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, VIEWPORT["height"])})
    path = ARTIFACTS / f"dashboard-{tab.lower()}.png"
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(VIEWPORT)
    return path


def _latest_complete_month(first_day: date, last_day: date) -> tuple[date, date]:
    """The newest calendar month the shop's history covers from its first day to its last."""
    year, month = last_day.year, last_day.month
    while (start := date(year, month, 1)) >= first_day:
        end = date(year, month, calendar.monthrange(year, month)[1])
        if end <= last_day:
            return start, end
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    raise AssertionError(f"no whole month between {first_day} and {last_day}")


def test_every_tab_draws_and_shows_the_marts_totals(video_shop, browser, tmp_path):
    truth, warehouse = video_shop
    serving = warehouse.with_name("serving.duckdb")
    currency = truth["parameters"]["reporting_currency"]
    month_start, month_end = _latest_complete_month(
        date.fromisoformat(truth["parameters"]["start_date"]), date.fromisoformat(truth["parameters"]["end_date"])
    )
    # The page reads fct_kpi_period, the metrics over fct_video_daily and fct_attribution; the test counts
    # orders, hotspot clicks and credited orders from fct_orders and fct_hotspot_performance.
    [(month_orders, month_revenue)] = query(
        serving,
        "select count(*), sum(revenue_reporting) from marts.fct_orders where order_date between $start and $end",
        {"start": month_start, "end": month_end},
    )
    [(best_video, best_hctr)] = query(
        serving,
        """
        select video_id, sum(clicks) / sum(impressions) as hctr
        from marts.fct_hotspot_performance group by video_id order by hctr desc limit 1
        """,
    )
    # Each model shares out every credited order's revenue, whole.
    [(credited_revenue,)] = query(
        serving,
        """
        select sum(revenue_reporting) from marts.fct_orders
        where order_id in (select order_id from marts.fct_attribution where model = 'markov')
        """,
    )
    [(buyers,)] = query(serving, "select count(distinct customer_id) from marts.fct_orders")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    with _running_app(serving, tmp_path / "app.log") as url:
        page = _open(browser, url)
        assert "Serving copy published" in page.get_by_test_id("stCaptionContainer").first.inner_text()
        screenshots = []
        for tab in TABS:
            page.get_by_role("tab", name=tab).click()
            panel = page.get_by_role("tabpanel", name=tab)
            _wait_until_drawn(panel)
            assert panel.get_by_test_id("stException").count() == 0, f"{tab}: {panel.inner_text()[:2000]}"
            # Before any interaction: the Funnel tab as it first shows, on the latest whole week.
            screenshots.append(_screenshot(page, tab))
            match tab:
                case "Funnel":
                    panel.get_by_role("radio", name="Month").click()
                    # The month shown is the latest whole one.
                    _wait_until_finished(page, panel.get_by_role("heading", name=f"Funnel · {month_start:%B %Y}"))
                    assert _metric_value(panel, "Orders") == f"{month_orders:,}"
                    assert _metric_value(panel, "Gross revenue") == f"{month_revenue:,.2f} {currency}"
                case "Video":
                    assert _metric_value(panel, "Best video by HCTR") == f"{best_hctr:.2%}"
                    assert f"({best_video})" in panel.get_by_test_id("stCaptionContainer").first.inner_text()
                case "Customers":
                    assert _metric_value(panel, "Buyers") == f"{buyers:,}"
                case "Attribution":
                    markov = panel.get_by_test_id("stTable").get_by_role("row").filter(has_text="markov")
                    assert f"{credited_revenue:,.2f} {currency}" in markov.inner_text()
        assert page.get_by_test_id("stException").count() == 0
    for path in screenshots:
        print(f"screenshot: {path}")


def test_before_the_first_run_the_page_says_what_to_do(browser, tmp_path):
    with _running_app(tmp_path / "serving.duckdb", tmp_path / "app.log") as url:
        page = _open(browser, url)
        message = page.get_by_test_id("stAlert").inner_text()
        assert "make run" in message and "first" in message
        assert page.get_by_test_id("stException").count() == 0
