"""Alerts: what needs someone now, told to the log and, when FUNNELHOUSE_ALERT_WEBHOOK is set, POSTed as JSON to
a chat's incoming webhook (Slack and Teams show its `text`). The sensors that raise them are in
orchestration/alert_sensors.py.

An alert names what failed and where to look (the job, its steps and checks with their causes, the run, the
source, the warehouse), never row contents, run config or personal data: a forget run's config names a person,
and an error can quote a landing file's line or name a file after a person. So every detail is masked as the
loader masks free text (e-mail addresses, phone numbers, IP addresses) before it leaves, under a salt thrown
away at once: the alert shows that an address was there, and nobody can tell whose.
"""

import http.client
import json
import logging
import re
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from orchestration.loader.pii import Pseudonymiser
from orchestration.settings import Settings

log = logging.getLogger("funnelhouse.alerts")

RUN_FAILED = "run_failed"
SOURCE_STALE = "source_stale"
SOURCE_RECOVERED = "source_recovered"
_LOG_LEVELS = {RUN_FAILED: logging.ERROR, SOURCE_STALE: logging.WARNING, SOURCE_RECOVERED: logging.INFO}

TIMEOUT_SECONDS = 10
ATTEMPTS = 2  # one retry, after a pause: a webhook that hiccups once still gets the alert in this tick
RETRY_PAUSE_SECONDS = 1
# Slack shows 40,000 characters of a message and Teams takes 28 KB: a long detail keeps its start (the step or
# check) and its end (the cause a person can act on), and an alert holds this much detail in all.
_DETAIL_HEAD_CHARS, _DETAIL_TAIL_CHARS = 500, 1_500
_ALERT_DETAIL_CHARS = 10_000
_TERMINAL_COLOURS = re.compile(r"\x1b\[[0-9;]*m")  # dbt colours its error lines
# dagster-dbt's error repeats the dbt command line with every var the build ran with: a run's config, and a
# screenful of noise before the cause. The run's logs keep it.
_DBT_COMMAND_LINE = re.compile(r"(The dbt CLI process) with command\s*`[^`]*`\s*")


class AlertNotDelivered(Exception):
    """The webhook could not be reached or refused the alert, on every attempt."""


@dataclass(frozen=True)
class Alert:
    kind: str  # RUN_FAILED, SOURCE_STALE or SOURCE_RECOVERED
    title: str
    details: tuple[str, ...]  # one failure, finding or fact each; may span lines
    warehouse: str  # the warehouse file's path: which of several warehouses this is about
    run_id: str | None = None


def deliver_alert(alert: Alert, settings: Settings) -> None:
    """Log the alert (error level for a failure), then POST it to the webhook when one is set.

    Raises AlertNotDelivered, after logging the reason, when the webhook fails twice: the sensor's tick fails and
    the alert is sent again later (alert_sensors.py), so each alert arrives at least once."""
    details = _fitted(alert.details, settings.phone_regions)
    run_url = None
    if settings.dagster_url and alert.run_id:
        run_url = f"{settings.dagster_url.rstrip('/')}/runs/{alert.run_id}"
    text = _text(alert, details, run_url)
    log.log(_LOG_LEVELS[alert.kind], text)
    if settings.alert_webhook is None:
        return
    payload = {
        "text": text,
        "kind": alert.kind,
        "title": alert.title,
        "details": details,
        "run_id": alert.run_id,
        "warehouse": alert.warehouse,
        "dagster_run_url": run_url,
    }
    _post(settings.alert_webhook, payload, alert)


def _fitted(details: tuple[str, ...], phone_regions: tuple[str, ...]) -> list[str]:
    """Masked first, then cut: a cut through an address would leave a piece the mask no longer recognises."""
    masker = Pseudonymiser(secrets.token_hex(16), phone_regions)
    fitted: list[str] = []
    room = _ALERT_DETAIL_CHARS
    for number, detail in enumerate(details):
        line = _cut(masker.text(_readable(detail)))
        if len(line) > room:
            fitted.append(f"... and {len(details) - number} more: see the run in Dagster")
            break
        fitted.append(line)
        room -= len(line)
    return fitted


def _readable(detail: str) -> str:
    return _DBT_COMMAND_LINE.sub(r"\1 ", _TERMINAL_COLOURS.sub("", detail)).strip()


def _cut(detail: str) -> str:
    if len(detail) <= _DETAIL_HEAD_CHARS + _DETAIL_TAIL_CHARS:
        return detail
    return f"{detail[:_DETAIL_HEAD_CHARS]}\n  [...]\n{detail[-_DETAIL_TAIL_CHARS:]}"


def _text(alert: Alert, details: list[str], run_url: str | None) -> str:
    lines = [alert.title, *details]
    if alert.run_id:
        lines.append(f"Run {alert.run_id}" + (f": {run_url}" if run_url else ""))
    lines.append(f"Warehouse {alert.warehouse}")
    return "\n".join(lines)


def _post(url: str, payload: dict, alert: Alert) -> None:
    """The webhook's URL is its secret: no message names it."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "funnelhouse-alerts"},
        method="POST",
    )
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                response.read()
            return
        except (OSError, http.client.HTTPException) as error:  # urllib's errors and timeouts are OSErrors
            reason = _reason(error)
        log.error(f"alert {alert.kind} ({alert.title}) not delivered, attempt {attempt} of {ATTEMPTS}: {reason}")
        if attempt < ATTEMPTS:
            time.sleep(RETRY_PAUSE_SECONDS)
    raise AlertNotDelivered(f"the alert webhook did not take the alert {alert.title!r}: {reason}")


def _reason(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"cannot reach the webhook: {error.reason}"
    return f"{type(error).__name__}: {error}"
