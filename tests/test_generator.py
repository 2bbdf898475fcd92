"""The synthetic shop: deterministic, complete, and its truth.json re-counted independently from the files."""

import csv
import gzip
import hashlib
import json
import math
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from orchestration.clock import current_instant, today
from orchestration.generator import generate_landing_zone
from orchestration.generator.audience import BOT_USER_AGENTS, HUMAN_USER_AGENTS
from orchestration.generator.channels import PAID_CAMPAIGNS
from orchestration.generator.faults import MESSAGE_FAULTS
from orchestration.generator.messaging import HEADER as MESSAGE_HEADER
from orchestration.generator.traffic import SERVER_USER_AGENTS
from orchestration.loader.reasons import CSV_REJECTION_REASONS, EVENT_REJECTION_REASONS

REPO = Path(__file__).resolve().parents[1]
SMALL = {"days": 7, "visitors": 2000, "seed": 7}

# CONTRACT section 4, read independently of the loader: event -> property -> (kind, required).
_CART = {
    "product_id": ("id", True),
    "price": ("money", True),
    "quantity": ("quantity", True),
    "currency": ("id", False),
    "cart_id": ("id", False),
    "video_id": ("id", False),
    "hotspot_id": ("id", False),
    "position_s": ("number", False),
}
_HOTSPOT = {
    "video_id": ("id", True),
    "hotspot_id": ("id", True),
    "product_id": ("id", True),
    "position_s": ("number", False),
}
CONTRACT = {
    "page_view": {},
    "view_item_list": {"list_id": ("id", True), "category": ("text", False)},
    "view_item": {
        "product_id": ("id", True),
        "price": ("money", True),
        "currency": ("id", False),
        "video_id": ("id", False),
    },
    "search": {"query": ("text", True), "results_count": ("integer", False)},
    "add_to_cart": _CART,
    "buy_now": _CART,
    "remove_from_cart": {"product_id": ("id", True), "quantity": ("quantity", True), "cart_id": ("id", False)},
    "add_to_wishlist": {"product_id": ("id", True), "video_id": ("id", False), "hotspot_id": ("id", False)},
    "begin_checkout": {"value": ("money", True), "currency": ("id", False), "cart_id": ("id", False)},
    "checkout_step": {"step": ("step", True), "step_name": ("text", False)},
    "purchase": {
        "order_id": ("id", True),
        "revenue": ("money", True),
        "currency": ("id", True),
        "items": ("items", True),
        "tax": ("money", False),
        "shipping": ("money", False),
        "discount": ("money", False),
        "coupon": ("text", False),
    },
    "refund": {
        "order_id": ("id", True),
        "amount": ("money", True),
        "currency": ("id", True),
        "items": ("items", False),
        "refund_id": ("id", False),
    },
    "sign_up": {"method": ("method", True), "email": ("text", False), "phone": ("text", False)},
    "video_start": {"video_id": ("id", True), "position_s": ("number", False)},
    "video_complete": {"video_id": ("id", True), "position_s": ("number", False)},
    "video_progress": {"video_id": ("id", True), "percent": ("percent", True), "position_s": ("number", False)},
    "hotspot_impression": _HOTSPOT,
    "hotspot_click": _HOTSPOT,
}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)$")


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_integer(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# What each kind's column holds: money decimal(18, 4) bounded to < 10^10, quantity <= 10,000, integers 32-bit.
_FITS = {
    "money": lambda v: math.isfinite(v) and abs(v) < 10**10,
    "quantity": lambda v: abs(v) <= 10_000,
    "number": math.isfinite,
    "integer": lambda v: abs(v) < 2**31,
    "step": lambda v: abs(v) < 2**31,
    "percent": lambda v: True,
}


def _timestamp(text: object) -> datetime | None:
    if not isinstance(text, str) or not _ISO.match(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _property_reason(name: str, properties: dict) -> str | None:
    spec = CONTRACT[name]
    for prop, (kind, required) in spec.items():
        value = properties.get(prop)
        if required and (value is None or (kind == "items" and value == [])):
            return "missing_property"
    present = {prop: properties[prop] for prop in spec if properties.get(prop) is not None}
    type_ok = {
        "id": lambda v: isinstance(v, str),
        "text": lambda v: isinstance(v, str),
        "money": _is_number,
        "quantity": _is_number,
        "number": _is_number,
        "integer": _is_integer,
        "step": lambda v: _is_integer(v) and v >= 1,
        "percent": lambda v: _is_integer(v) and v in (25, 50, 75, 100),
        "method": lambda v: v in ("popup", "form", "checkout", "social"),
        "items": lambda v: (
            isinstance(v, list)
            and all(
                isinstance(i, dict)
                and isinstance(i.get("product_id"), str)
                and _is_number(i.get("price"))
                and _is_number(i.get("quantity"))
                for i in v
            )
        ),
    }
    for prop, value in present.items():
        if not type_ok[spec[prop][0]](value):
            return "invalid_property_type"
    for prop, value in present.items():
        kind = spec[prop][0]
        if (kind == "money" and value < 0) or (kind == "items" and any(i["price"] < 0 for i in value)):
            return "negative_amount"
    for prop, value in present.items():
        kind = spec[prop][0]
        if (kind == "quantity" and not (_is_integer(value) and value >= 1)) or (
            kind == "items" and not all(_is_integer(i["quantity"]) and i["quantity"] >= 1 for i in value)
        ):
            return "invalid_quantity"
    for prop, value in present.items():
        kind = spec[prop][0]
        if (kind in _FITS and not _FITS[kind](value)) or (
            kind == "items" and not all(_FITS["money"](i["price"]) and _FITS["quantity"](i["quantity"]) for i in value)
        ):
            return "number_out_of_range"
    for prop, value in present.items():
        kind = spec[prop][0]
        if (kind == "id" and len(value) > 128) or (kind == "text" and len(value) > 512):
            return "string_too_long"
    return None


def judge(raw: bytes | dict) -> tuple[str | None, dict | None]:
    """(rejection reason, event) for one line, by the contract's rules in their order of precedence."""
    if isinstance(raw, bytes):
        if len(raw) > 64 * 1024:
            return "oversized_line", None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return "invalid_encoding", None
        try:
            event = json.loads(text)
        except ValueError:
            return "invalid_json", None
    else:
        event = raw
    if not isinstance(event, dict):
        return "not_an_object", None
    required = ("event_id", "event_name", "occurred_at", "anonymous_id")
    if any(event.get(f) in (None, "") for f in required):
        return "missing_field", None
    if (
        any(not isinstance(event[f], str) for f in required)
        or any(event.get(f) is not None and not isinstance(event[f], str) for f in ("user_id", "sent_at"))
        or any(
            event.get(f) is not None and not isinstance(event[f], dict)
            for f in ("page", "campaign", "context", "properties")
        )
    ):
        return "invalid_field_type", None
    if any(len(event.get(f) or "") > 128 for f in ("event_id", "event_name", "anonymous_id", "user_id")):
        return "string_too_long", None
    if event["event_name"] not in CONTRACT:
        return "unknown_event_name", None
    occurred_text, sent_text = event["occurred_at"], event.get("sent_at")
    occurred = _timestamp(occurred_text)
    if occurred is None or (sent_text is not None and _timestamp(sent_text) is None):
        return "invalid_timestamp", None
    if any(t is not None and _timestamp(t) < datetime(2000, 1, 1, tzinfo=UTC) for t in (occurred_text, sent_text)):
        return "timestamp_out_of_range", None
    if occurred > current_instant() + timedelta(hours=24):
        return "future_timestamp", None
    reason = _property_reason(event["event_name"], event.get("properties") or {})
    return reason, (None if reason else event)


def _event_files(landing: Path) -> list[Path]:
    files = [p for p in (landing / "events").rglob("*") if p.is_file()]
    return sorted(files, key=lambda p: p.relative_to(landing).as_posix())


def read_lines(path: Path) -> list[bytes | dict]:
    if path.name.endswith(".parquet"):
        con = duckdb.connect()
        rows = con.execute(f"select * from read_parquet('{path}')").fetchall()
        names = [c[0] for c in con.description]
        objects = ("page", "campaign", "context", "properties")
        return [
            {n: (json.loads(v) if n in objects and v is not None else v) for n, v in zip(names, row, strict=True)}
            for row in rows
        ]
    data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    assert data.endswith(b"\n")
    return data[:-1].split(b"\n")


class Recount:
    """Everything truth.json claims about events, re-derived from the written files alone."""

    def __init__(self, landing: Path):
        bot_patterns = [row["pattern"] for row in csv.DictReader((REPO / "seeds/bot_user_agents.csv").open())]
        self.lines = 0
        self.rejected: Counter = Counter()
        self.duplicates = 0
        self.events: dict[str, dict] = {}
        self.late = Counter()
        newest_before = None
        for file_index, path in enumerate(_event_files(landing)):
            newest_in_file = newest_before
            for raw in read_lines(path):
                self.lines += 1
                reason, event = judge(raw)
                if reason:
                    self.rejected[reason] += 1
                elif event["event_id"] in self.events:
                    self.duplicates += 1
                else:
                    occurred = _timestamp(event["occurred_at"])
                    event["_at"] = occurred
                    ua = ((event.get("context") or {}).get("user_agent") or "").lower()
                    event["_bot"] = any(p in ua for p in bot_patterns)
                    event["_file"] = file_index
                    self.events[event["event_id"]] = event
                    if newest_before is not None and occurred < newest_before:
                        self.late[
                            "over_3_days" if newest_before - occurred > timedelta(days=3) else "up_to_3_days"
                        ] += 1
                    newest_in_file = max(newest_in_file or occurred, occurred)
            newest_before = newest_in_file

    def humans(self) -> list[dict]:
        return sorted((e for e in self.events.values() if not e["_bot"]), key=lambda e: e["_at"])

    def sessions(self) -> tuple[int, int]:
        """(sessions, sessions with a purchase) under the 30-minute rule per anonymous_id."""
        last_seen: dict[str, datetime] = {}
        session_of: dict[str, int] = {}
        sessions, purchase_sessions = 0, set()
        for event in self.humans():
            anonymous_id = event["anonymous_id"]
            previous = last_seen.get(anonymous_id)
            if previous is None or event["_at"] - previous > timedelta(minutes=30):
                sessions += 1
                session_of[anonymous_id] = sessions
            last_seen[anonymous_id] = event["_at"]
            if event["event_name"] == "purchase":
                purchase_sessions.add(session_of[anonymous_id])
        return sessions, len(purchase_sessions)

    def people(self) -> dict[str, str]:
        """The one person rule: each anonymous_id's latest user_id, server-side purchases and refunds included."""
        events = sorted(self.events.values(), key=lambda e: e["_at"])
        return {e["anonymous_id"]: e["user_id"] for e in events if e.get("user_id")}

    def warehouse_clock(self) -> datetime:
        return max(e["_at"] for e in self.events.values() if not e["_bot"])

    def first_purchases(self) -> dict[str, dict]:
        """order_id -> its first delivered purchase (the events dict is in delivery order)."""
        orders: dict[str, dict] = {}
        for e in self.events.values():
            if e["event_name"] == "purchase":
                orders.setdefault(e["properties"]["order_id"], e)
        return orders

    def unique_refunds(self) -> list[dict]:
        """Refund events, the first delivery per refund_id (else each event_id), in delivery order."""
        seen: set[str] = set()
        unique = []
        for e in self.events.values():
            if e["event_name"] != "refund":
                continue
            refund_id = e["properties"].get("refund_id")
            if refund_id is None or refund_id not in seen:
                unique.append(e)
                seen.add(refund_id)
        return unique

    def abandoned_pairs(self) -> int:
        """CONTRACT section 9 with section 7's people: the latest user_id seen on the anonymous_id."""
        events = sorted(self.events.values(), key=lambda e: e["_at"])
        stitched = self.people()
        now = self.warehouse_clock()
        orders: dict[str, list[datetime]] = defaultdict(list)
        last_intent: dict[tuple[str, str], datetime] = {}
        for e in events:
            person = stitched.get(e["anonymous_id"], e["anonymous_id"])
            if e["event_name"] == "purchase":
                orders[person].append(e["_at"])
            elif e["event_name"] in ("add_to_cart", "buy_now") and e["properties"].get("video_id"):
                last_intent[(person, e["properties"]["video_id"])] = e["_at"]
        window = timedelta(hours=24)
        return sum(
            1
            for (person, _), at in last_intent.items()
            if at + window <= now and not any(at < t <= at + window for t in orders[person])
        )


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict]:
    landing = tmp_path_factory.mktemp("small")
    return landing, generate_landing_zone(landing, **SMALL)


@pytest.fixture(scope="module")
def recount(small) -> Recount:
    return Recount(small[0])


def _digest(landing: Path) -> dict[str, str]:
    return {
        p.relative_to(landing).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(landing.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    truth = generate_landing_zone(first, days=3, visitors=400, seed=1)
    assert generate_landing_zone(second, days=3, visitors=400, seed=1) == truth
    assert _digest(first) == _digest(second)
    assert generate_landing_zone(other, days=3, visitors=400, seed=2) != truth
    assert _digest(first) != _digest(other)


def test_layout_and_truth_keys(small):
    landing, truth = small
    for folder in ("events", "catalog", "inventory", "ad_spend", "social", "fx_rates"):
        assert (landing / folder).is_dir()
    assert json.loads((landing / "truth.json").read_text()) == truth
    assert set(truth) >= {"parameters", "files", "events", "csv", "sessions", "planted"}
    assert truth["parameters"] == {
        "seed": 7,
        "days": 7,
        "visitors": 2000,
        # The default history ends yesterday by the (pinned) clock.
        "start_date": (today() - timedelta(days=7)).isoformat(),
        "end_date": (today() - timedelta(days=1)).isoformat(),
        "reporting_currency": "EUR",
    }
    suffixes = Counter("jsonl_gz" if p.name.endswith(".gz") else p.suffix[1:] for p in _event_files(landing))
    assert dict(suffixes) == truth["files"]["events"]
    assert all(n > 0 for n in truth["files"]["events"].values())
    for source in ("inventory", "ad_spend", "social", "fx_rates"):
        assert len(list((landing / source).glob(f"{source}_*.csv"))) == truth["files"][source]
    missing = truth["planted"]["fx_missing_days"]
    assert len(missing) == 2
    assert not any((landing / "fx_rates" / f"fx_rates_{day}.csv").exists() for day in missing)


def test_counts_add_up(small):
    events = small[1]["events"]
    assert events["lines"] == events["valid_unique"] + events["duplicates"] + sum(events["rejected"].values())
    assert sum(events["by_name"].values()) == events["valid_unique"]


def test_every_event_name_and_every_reason_is_planted(small):
    events = small[1]["events"]
    assert set(events["by_name"]) == set(CONTRACT)
    rejected = dict(events["rejected"])
    assert set(rejected) == set(EVENT_REJECTION_REASONS)
    assert rejected.pop("invalid_encoding") == 2
    assert min(rejected.values()) >= 3


def test_event_counts_recounted_from_files(small, recount):
    events = small[1]["events"]
    assert recount.lines == events["lines"]
    assert dict(recount.rejected) == events["rejected"]
    assert len(recount.events) == events["valid_unique"]
    assert recount.duplicates == events["duplicates"]
    assert Counter(e["event_name"] for e in recount.events.values()) == events["by_name"]
    assert sum(e["_bot"] for e in recount.events.values()) == events["bot_events"]
    assert recount.late == Counter({k: events["late"][k] for k in ("up_to_3_days", "over_3_days")})


def test_sessions_orders_and_abandonment_recounted(small, recount):
    truth = small[1]
    sessions = truth["sessions"]
    assert recount.sessions() == (sessions["sessions"], sessions["purchase_sessions"])
    purchases = [e for e in recount.events.values() if e["event_name"] == "purchase"]
    assert len({p["properties"]["order_id"] for p in purchases}) == sessions["orders"]
    revenue = Counter()
    for p in purchases:
        revenue[p["properties"]["currency"]] += round(p["properties"]["revenue"] * 100)
    assert {c: round(v / 100, 2) for c, v in revenue.items()} == sessions["revenue_by_currency"]
    assert recount.abandoned_pairs() == truth["planted"]["in_video_abandonment"]["pairs"]


def test_identities_bots_and_personal_data(recount):
    users_per_device, devices_per_user = defaultdict(set), defaultdict(set)
    for e in recount.events.values():
        if e.get("user_id"):
            users_per_device[e["anonymous_id"]].add(e["user_id"])
            devices_per_user[e["user_id"]].add(e["anonymous_id"])
    assert any(len(users) == 2 for users in users_per_device.values())  # a shared device
    assert any(len(devices) >= 2 for devices in devices_per_user.values())  # cross-device logins
    crawls = [e for e in recount.events.values() if e["_bot"] and e["event_name"] not in ("purchase", "refund")]
    assert crawls and not any(e.get("user_id") for e in crawls)
    assert any(e["occurred_at"].endswith("+02:00") for e in recount.events.values())
    ips = [e["context"]["ip"] for e in recount.events.values()]
    assert any(":" in ip for ip in ips) and any("." in ip for ip in ips)
    sign_ups = [e["properties"] for e in recount.events.values() if e["event_name"] == "sign_up"]
    assert any("@" in s["email"] and s["email"] != s["email"].strip().lower() for s in sign_ups)
    assert any(s.get("phone", "").startswith("+") for s in sign_ups)


def test_user_agents_match_the_bot_seed_exactly_when_bots():
    patterns = [row["pattern"] for row in csv.DictReader((REPO / "seeds/bot_user_agents.csv").open())]
    assert all(any(p in ua.lower() for p in patterns) for ua in BOT_USER_AGENTS)
    assert not any(any(p in ua.lower() for p in patterns) for _, ua, _ in HUMAN_USER_AGENTS)


def test_paid_traffic_campaigns_are_in_ad_spend(small, recount):
    landing = small[0]
    spend_campaigns = {
        row["campaign"] for path in (landing / "ad_spend").glob("*.csv") for row in csv.DictReader(path.open())
    }
    assert {c.name for c in PAID_CAMPAIGNS} <= spend_campaigns
    paid_mediums = {"cpc", "paid_social", "display"}
    seen = set()
    for e in recount.events.values():
        campaign = e.get("campaign") or {}
        url = (e.get("page") or {}).get("url") or ""
        medium = campaign.get("medium") or dict(re.findall(r"[?&](utm_\w+)=([^&]*)", url)).get("utm_medium")
        name = campaign.get("name") or dict(re.findall(r"[?&](utm_\w+)=([^&]*)", url)).get("utm_campaign")
        if medium in paid_mediums:
            seen.add(name)
    assert seen and seen <= spend_campaigns


def test_csv_bad_rows_are_where_truth_says(small):
    landing, truth = small
    for source in ("inventory", "ad_spend", "social", "fx_rates"):
        counts = truth["csv"][source]
        assert set(counts["rejected"]) == set(CSV_REJECTION_REASONS)
        rows = sum(len(path.read_text().splitlines()) - 1 for path in (landing / source).glob("*.csv"))
        assert rows == counts["rows"] == counts["valid"] + sum(counts["rejected"].values())
        for bad in counts["bad_rows"]:
            lines = list(csv.reader((landing / bad["file"]).open()))
            header, row = lines[0], lines[bad["line"] - 1]
            value = row[header.index(bad["column"])]
            assert {
                "missing_value": value == "",
                "invalid_value": value in ("12,5x", "1.2k", "2026-13-40"),
                "negative_value": value.startswith("-"),
                "number_out_of_range": value in ("1e20", "1e15", "99999999999999999999", "1e999"),
                "timestamp_out_of_range": value < "2000",
            }[bad["reason"]]
    for source in ("products", "videos", "hotspots"):
        rows = len(list(csv.DictReader((landing / "catalog" / f"{source}.csv").open())))
        assert truth["csv"][source]["rows"] == truth["csv"][source]["valid"] == rows


def test_catalog_plants_what_truth_names(small):
    landing, truth = small
    planted = truth["planted"]
    hotspots = list(csv.DictReader((landing / "catalog" / "hotspots.csv").open()))
    videos = {v["video_id"]: v for v in csv.DictReader((landing / "catalog" / "videos.csv").open())}
    assert {h["hotspot_id"] for h in hotspots} == set(planted["hotspot_click_probability"])
    assert set(videos) == set(planted["video_completion_probability"])
    assert planted["best_host"] in {v["host"] for v in videos.values()}
    assert planted["best_format"] in {v["format"] for v in videos.values()}
    assert planted["best_segment"] in {h["segment"] for h in hotspots}
    per_video = Counter(h["video_id"] for h in hotspots)
    assert min(per_video.values()) >= 2 and max(per_video.values()) <= 6
    assert all(len(pattern) == 7 for pattern in planted["product_weekly_pattern"].values())
    assert 0.015 < planted["conversion_rate"] < 0.04


def test_refuses_to_mix_with_an_existing_landing_zone(small):
    with pytest.raises(FileExistsError, match="already holds"):
        generate_landing_zone(small[0], days=1, visitors=10)


# --- money is never a bot: what the backend sends ---------------------------------------------------------------


def _is_server_side(event: dict) -> bool:
    return event["_bot"] and event["event_name"] in ("purchase", "refund")


def _sessions_by_anonymous_id(recount: Recount) -> dict[str, list[list[dict]]]:
    """anonymous_id -> its sessions' events in time order, under the 30-minute rule over non-bot events."""
    sessions: dict[str, list[list[dict]]] = defaultdict(list)
    for event in recount.humans():
        own = sessions[event["anonymous_id"]]
        if not own or event["_at"] - own[-1][-1]["_at"] > timedelta(minutes=30):
            own.append([])
        own[-1].append(event)
    return sessions


def test_server_side_purchases_are_bots_by_user_agent_and_count_as_planted(small, recount):
    sessions = small[1]["sessions"]
    server_side = [e for e in recount.first_purchases().values() if e["_bot"]]
    assert len(server_side) == sessions["server_side_orders"] > 0
    assert all(e["context"]["user_agent"] in SERVER_USER_AGENTS and e.get("page") is None for e in server_side)
    assert all(e.get("user_id") for e in server_side)
    seen_elsewhere = Counter(e["anonymous_id"] for e in recount.events.values())
    without_device = [e for e in server_side if seen_elsewhere[e["anonymous_id"]] == 1]
    assert len(without_device) == sessions["orders_without_session"] > 0
    assert sessions["orders_in_sessions"] == sessions["orders"] - sessions["orders_without_session"]


def test_server_side_purchases_of_a_visitor_fall_in_a_session_that_has_no_browser_purchase(small, recount):
    sessions = small[1]["sessions"]
    by_device = _sessions_by_anonymous_id(recount)
    browser_purchase_times = {e["_at"] for e in recount.humans() if e["event_name"] == "purchase"}
    joined = 0
    for purchase in recount.first_purchases().values():
        if not purchase["_bot"] or purchase["anonymous_id"] not in by_device:
            continue
        holding = [
            s
            for s in by_device[purchase["anonymous_id"]]
            if s[0]["_at"] <= purchase["_at"] <= s[-1]["_at"] + timedelta(minutes=30)
        ]
        assert len(holding) == 1, purchase["event_id"]
        assert not browser_purchase_times & {e["_at"] for e in holding[0]}
        joined += 1
    assert joined == sessions["server_side_order_sessions"] > 0
    assert sessions["sessions_with_order"] == sessions["purchase_sessions"] + joined


def test_most_refunds_are_server_side_and_some_are_re_sent_with_their_refund_id(small, recount):
    sessions = small[1]["sessions"]
    refunds = [e for e in recount.events.values() if e["event_name"] == "refund"]
    resent = len(refunds) - len(recount.unique_refunds())
    assert resent == sessions["refunds_resent"] > 0
    by_refund_id = Counter(e["properties"]["refund_id"] for e in refunds if "refund_id" in e["properties"])
    assert any(n > 1 for n in by_refund_id.values())
    booked = [e for e in recount.unique_refunds() if e["properties"]["order_id"] in recount.first_purchases()]
    assert sum(e["_bot"] for e in booked) == sessions["server_side_refunds"] > len(booked) / 2


def test_refunds_are_booked_up_to_the_order_revenue_and_the_rest_is_excess(small, recount):
    sessions = small[1]["sessions"]
    orders = recount.first_purchases()
    left = {order_id: round(e["properties"]["revenue"] * 100) for order_id, e in orders.items()}
    booked, excess, without_order = Counter(), Counter(), Counter()
    refunds = over = orphans = 0
    refunded_orders = set()
    for refund in sorted(recount.unique_refunds(), key=lambda e: e["_at"]):
        order_id, currency = refund["properties"]["order_id"], refund["properties"]["currency"]
        amount = round(refund["properties"]["amount"] * 100)
        if order_id not in orders:
            orphans += 1
            without_order[currency] += amount
            continue
        refunds += 1
        refunded_orders.add(order_id)
        taken = min(amount, left[order_id])
        left[order_id] -= taken
        booked[currency] += taken
        excess[currency] += amount - taken
        over += amount > taken
    money = lambda cents: {c: round(v / 100, 2) for c, v in sorted(cents.items()) if v}  # noqa: E731
    assert (refunds, len(refunded_orders)) == (sessions["refunds"], sessions["refunded_orders"])
    assert money(booked) == sessions["refund_amount_by_currency"]
    assert over == sessions["refunds_over_order"] > 0
    assert money(excess) == sessions["refund_excess_by_currency"]
    assert orphans == sessions["refunds_without_order"] > 0
    assert money(without_order) == sessions["refund_without_order_amount_by_currency"]


def test_some_purchases_are_delivered_in_a_later_file_than_their_refund(small, recount):
    orders = recount.first_purchases()
    first_refund_file: dict[str, int] = {}
    for refund in recount.unique_refunds():
        first_refund_file.setdefault(refund["properties"]["order_id"], refund["_file"])
    after = [o for order_id, o in orders.items() if first_refund_file.get(order_id, math.inf) < o["_file"]]
    assert len(after) == small[1]["sessions"]["orders_delivered_after_their_refund"] > 0


# --- the warehouse clock --------------------------------------------------------------------------------------


def test_the_warehouse_clock_is_the_newest_non_bot_event_and_a_bot_event_is_newer(small, recount):
    planted = small[1]["planted"]
    newest = max(e["_at"] for e in recount.events.values())
    assert _timestamp(planted["warehouse_clock_at"]) == recount.warehouse_clock() < newest
    assert _timestamp(planted["latest_occurred_at"]) == newest


# --- hotspots ---------------------------------------------------------------------------------------------------


def test_hotspot_impressions_and_clicks_per_hotspot_recounted_from_files(small, recount):
    planted = small[1]["planted"]["hotspot_events"]
    measured = Counter(
        (e["properties"]["video_id"], e["properties"]["hotspot_id"], e["properties"]["product_id"], e["event_name"])
        for e in recount.humans()
        if e["event_name"] in ("hotspot_impression", "hotspot_click")
    )
    expected = Counter()
    for h in planted:
        key = (h["video_id"], h["hotspot_id"], h["product_id"])
        expected[(*key, "hotspot_impression")] = h["impressions"]
        expected[(*key, "hotspot_click")] = h["clicks"]
    assert +measured == +expected
    assert sum(h["clicks"] for h in planted) > 0


def test_some_videos_show_two_hotspots_at_once_with_rates_far_apart(small):
    landing, truth = small
    probability = truth["planted"]["hotspot_click_probability"]
    by_video = defaultdict(list)
    for h in csv.DictReader((landing / "catalog" / "hotspots.csv").open()):
        by_video[h["video_id"]].append((float(h["start_s"]), float(h["end_s"]), probability[h["hotspot_id"]]))
    side_by_side = {
        video
        for video, spots in by_video.items()
        for a in spots
        for b in spots
        if a < b and b[0] < a[1] and max(a[2], b[2]) >= 5 * min(a[2], b[2])
    }
    assert len(side_by_side) >= len(by_video) // 4


def _fx_rates(landing: Path) -> dict[str, list[tuple[date, float]]]:
    """currency -> published (date, rate), sorted; the planted bad rows are skipped as the loader rejects them."""
    rates: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for path in (landing / "fx_rates").glob("*.csv"):
        for row in csv.DictReader(path.open()):
            try:
                day, rate = date.fromisoformat(row["date"]), float(row["rate_to_reporting"])
            except ValueError:
                continue
            if row["currency"] and day.year >= 2000 and 0 < rate < 1e6:
                rates[row["currency"]].append((day, rate))
    return {currency: sorted(days) for currency, days in rates.items()}


def _rate(rates: dict, currency: str, day: date) -> float:
    """That day's rate, else the latest earlier one (truth.json definitions.revenue_reporting)."""
    return 1.0 if currency == "EUR" else [rate for d, rate in rates[currency] if d <= day][-1]


def test_revenue_attributed_to_hotspots_recounted_from_files(small, recount):
    """Each order line credited to its person's latest click on that product within 30 days before the order."""
    landing, truth = small
    rates, people = _fx_rates(landing), recount.people()
    person = lambda anonymous_id: people.get(anonymous_id, anonymous_id)  # noqa: E731
    clicks = defaultdict(list)
    for e in recount.humans():
        if e["event_name"] == "hotspot_click":
            clicks[(person(e["anonymous_id"]), e["properties"]["product_id"])].append(
                (e["_at"], e["properties"]["hotspot_id"])
            )
    credited = Counter()
    for order in recount.first_purchases().values():
        rate = _rate(rates, order["properties"]["currency"], order["_at"].astimezone(UTC).date())
        for item in order["properties"]["items"]:
            before = [
                c
                for c in clicks[(person(order["anonymous_id"]), item["product_id"])]
                if c[0] < order["_at"] <= c[0] + timedelta(days=30)
            ]
            if before:
                credited[max(before)[1]] += round(item["price"] * 100) * item["quantity"] / 100 * rate
    planted = {h["hotspot_id"]: h["attributed_revenue_reporting"] for h in truth["planted"]["hotspot_events"]}
    assert {h: round(v, 2) for h, v in credited.items()} == {h: round(v, 2) for h, v in planted.items() if v}
    assert credited


# --- the converting channel -----------------------------------------------------------------------------------


def _medium(event: dict) -> str | None:
    """The medium a session's first event carries: its campaign object's, else its url's utm_medium."""
    campaign = event.get("campaign") or {}
    if "medium" in campaign:
        return campaign["medium"]
    return parse_qs(urlsplit(event["page"]["url"]).query).get("utm_medium", [None])[0]


def _path(event: dict) -> str:
    return urlsplit(event["page"]["url"]).path


def _visit_shape(session: list[dict]) -> str | None:
    """'video' for a session that played a video, 'browsing' for one that went on past its landing page (and a
    login), None for a bounce or a visit to refund an order: within a shape every channel buys alike but one."""
    if any(e["event_name"] == "video_start" for e in session):
        return "video"
    if _path(session[0]).startswith("/account/orders/"):
        return None
    login = lambda e: e["event_name"] == "page_view" and _path(e) == "/account/login"  # noqa: E731
    return "browsing" if any(not login(e) for e in session[1:]) else None


def test_paid_social_visits_buy_the_planted_lift_more_often_than_others_of_their_shape(small, recount):
    """Paid Social campaigns are the only ones tagged medium paid_social (seeds/channel_grouping.csv puts a social
    source with a paid medium there); their visits buy channel_conversion_lift times as often, within 3 SE."""
    sessions, planted = small[1]["sessions"], small[1]["planted"]
    assert planted["converting_channel"] == "Paid Social"
    outcomes = Counter()  # (shape, from Paid Social) -> [sessions, purchase sessions]
    purchases_from_paid_social = 0
    for own in _sessions_by_anonymous_id(recount).values():
        for session in own:
            paid_social = _medium(session[0]) == "paid_social"
            purchased = any(e["event_name"] == "purchase" for e in session)
            purchases_from_paid_social += paid_social and purchased
            shape = _visit_shape(session)
            if shape is not None:
                outcomes[(shape, paid_social, "sessions")] += 1
                outcomes[(shape, paid_social, "purchases")] += purchased
    by_channel = sessions["purchase_sessions_by_channel"]
    assert purchases_from_paid_social == by_channel["Paid Social"]
    assert sum(by_channel.values()) == sessions["purchase_sessions"]
    for shape in ("video", "browsing"):
        bought, visits = outcomes[(shape, True, "purchases")], outcomes[(shape, True, "sessions")]
        others_bought, others = outcomes[(shape, False, "purchases")], outcomes[(shape, False, "sessions")]
        log_ratio = math.log((bought / visits) / (others_bought / others))
        standard_error = math.sqrt(1 / bought - 1 / visits + 1 / others_bought - 1 / others)
        assert abs(log_ratio - math.log(planted["channel_conversion_lift"])) <= 3 * standard_error, shape


# --- video credit -------------------------------------------------------------------------------------------------


def test_orders_credited_to_the_latest_in_video_interaction_recounted_from_files(small, recount):
    """Each order whole to its person's latest hotspot click or in-video add_to_cart/buy_now within 30 days
    before it (ties on the instant to the larger event_id), at the order's revenue in the reporting currency."""
    landing, truth = small
    rates, people = _fx_rates(landing), recount.people()
    person = lambda anonymous_id: people.get(anonymous_id, anonymous_id)  # noqa: E731
    interactions = defaultdict(list)
    for e in recount.humans():
        in_video_cart = e["event_name"] in ("add_to_cart", "buy_now") and e["properties"].get("video_id")
        if e["event_name"] == "hotspot_click" or in_video_cart:
            interactions[person(e["anonymous_id"])].append((e["_at"], e["event_id"], e["properties"]["video_id"]))
    orders, revenue = Counter(), Counter()
    for order in recount.first_purchases().values():
        before = [
            i for i in interactions[person(order["anonymous_id"])] if i[0] < order["_at"] <= i[0] + timedelta(days=30)
        ]
        if before:
            video = max(before)[2]
            rate = _rate(rates, order["properties"]["currency"], order["_at"].astimezone(UTC).date())
            orders[video] += 1
            revenue[video] += order["properties"]["revenue"] * rate
    planted = truth["planted"]
    credit = planted["video_credit"]
    assert {v: (n, round(revenue[v], 2)) for v, n in orders.items()} == {
        v: (c["orders"], round(c["revenue_reporting"], 2)) for v, c in credit.items()
    }
    assert planted["orders_with_video_credit"] == sum(orders.values()) > 0
    assert planted["video_credited_revenue_reporting"] == pytest.approx(sum(revenue.values()), abs=0.01)
    assert 0 < planted["video_credited_revenue_reporting"] < truth["sessions"]["revenue_reporting"]


# --- the messaging tool -----------------------------------------------------------------------------------------


def _message_rows(landing: Path, truth: dict) -> list[dict]:
    """The messages CSVs' rows, the planted bad ones left out; each file's header in the loader's column order."""
    bad = {(row["file"], row["line"]) for row in truth["csv"]["messages"]["bad_rows"]}
    rows = []
    for path in sorted((landing / "messages").glob("messages_*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            lines = list(csv.reader(handle))
        assert tuple(lines[0]) == MESSAGE_HEADER
        relative = f"messages/{path.name}"
        rows += [
            dict(zip(lines[0], row, strict=True)) for n, row in enumerate(lines[1:], 2) if (relative, n) not in bad
        ]
    return rows


def test_messages_parse_and_control_rows_have_no_opens(small):
    landing, truth = small
    planted = truth["csv"]["messages"]
    assert set(planted["rejected"]) == set(MESSAGE_FAULTS)
    rows = _message_rows(landing, truth)
    assert len(rows) == planted["valid"] == planted["rows"] - len(MESSAGE_FAULTS) > 0
    assert len({row["message_id"] for row in rows}) == len(rows)
    end = _timestamp(f"{truth['parameters']['end_date']}T23:59:59.999Z")
    groups: Counter = Counter()
    for row in rows:
        sent = _timestamp(row["sent_at"])
        assert sent is not None and sent <= end
        assert row["flow"] in truth["flows"]["by_flow"] and row["channel"] == "email" and row["customer_id"]
        assert row["is_control"] in ("true", "false")
        groups[(row["flow"], row["is_control"] == "true")] += 1
        reactions = [_timestamp(row[c]) if row[c] else None for c in ("opened_at", "clicked_at", "unsubscribed_at")]
        if row["is_control"] == "true":
            assert reactions == [None, None, None], row["message_id"]
            continue
        opened, clicked, unsubscribed = reactions
        assert all(at is None or sent < at <= end for at in reactions), row["message_id"]
        assert (clicked is None or (opened is not None and opened <= clicked)) and (unsubscribed is None or opened)
    for flow, planted_flow in truth["flows"]["by_flow"].items():
        assert (groups[(flow, False)], groups[(flow, True)]) == (planted_flow["messaged"], planted_flow["control"])
    control = sum(n for (_, is_control), n in groups.items() if is_control)
    assert 0.1 < control / len(rows) < 0.3  # the planted control share is 20%


def test_a_message_caused_order_comes_back_through_the_message_link(small, recount):
    """Each planted incremental order is a purchase in a session that landed from its flow's link."""
    truth = small[1]
    flows = truth["flows"]["by_flow"]
    by_flow: Counter = Counter()
    for sessions in _sessions_by_anonymous_id(recount).values():
        for session in sessions:
            query = parse_qs(urlsplit((session[0].get("page") or {}).get("url") or "").query)
            flow = query.get("utm_source", [""])[0]
            if (
                flow in flows
                and query.get("utm_medium") == ["email"]
                and any(e["event_name"] == "purchase" for e in session)
            ):
                by_flow[flow] += 1
    assert by_flow == {flow: planted["caused_orders"] for flow, planted in flows.items() if planted["caused_orders"]}
    assert set(by_flow) <= {flow for flow, planted in flows.items() if planted["uplift"] > 0}
    assert sum(by_flow.values()) > 0
