"""Planted bad input: event lines that break exactly one rule of the contract, and daily CSV rows with exactly
one bad value, so each one's rejection reason is unambiguous (CONTRACT section 5, loader/reasons.py)."""

import json
import random
from collections.abc import Callable
from dataclasses import dataclass

from orchestration.generator.clock import HOUR_MS, iso_timestamp
from orchestration.generator.ids import IdMint

SHOP_URL = "https://www.lumenloom.example"
_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Mobile/15E148 Safari/604.1"
)
_SEPARATORS = (",", ":")


@dataclass(frozen=True)
class BadLine:
    reason: str
    payload: str | bytes  # bytes only for invalid_encoding
    emails: int
    phones: int
    ipv4: int


def _contact(rng: random.Random) -> tuple[str, str]:
    first = rng.choice(("Anna", "Marco", "Julia", "Lukas", "Chloe", "Sven"))
    last = rng.choice(("Rossi", "Meyer", "Dubois", "Lindqvist", "Garcia", "Brown"))
    return (
        f"{first}.{last}{rng.randint(1, 99)}@Example.com ",
        f"+39 347 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
    )


class FaultFactory:
    """Builds one bad line per call for a reason; variants of a reason rotate so each shows up."""

    def __init__(self, rng: random.Random, seed: int):
        self._rng = rng
        self._event_ids = IdMint(seed, "bad_event_id")
        self._anonymous_ids = IdMint(seed, "bad_anonymous_id")
        self._made = 0
        self._variant: dict[str, int] = {}
        self.builders: dict[str, Callable[[int, int], BadLine]] = {
            "oversized_line": self._oversized_line,
            "invalid_encoding": self._invalid_encoding,
            "invalid_json": self._invalid_json,
            "not_an_object": self._not_an_object,
            "missing_field": self._missing_field,
            "invalid_field_type": self._invalid_field_type,
            "string_too_long": self._string_too_long,
            "unknown_event_name": self._unknown_event_name,
            "invalid_timestamp": self._invalid_timestamp,
            "timestamp_out_of_range": self._timestamp_out_of_range,
            "future_timestamp": self._future_timestamp,
            "missing_property": self._missing_property,
            "invalid_property_type": self._invalid_property_type,
            "negative_amount": self._negative_amount,
            "invalid_quantity": self._invalid_quantity,
            "number_out_of_range": self._number_out_of_range,
        }

    def make(self, reason: str, day_ms: int) -> BadLine:
        variant = self._variant.get(reason, 0)
        self._variant[reason] = variant + 1
        ms = day_ms + self._rng.randint(7 * HOUR_MS, 22 * HOUR_MS)
        return self.builders[reason](variant, ms)

    # --- a realistic event to break -----------------------------------------------------------------------

    def _event(self, ms: int, name: str, properties: object, contact: tuple[str, str] | None = None) -> dict:
        self._made += 1
        octets = (
            self._rng.randint(80, 95),
            self._rng.randint(0, 255),
            self._rng.randint(0, 255),
            self._rng.randint(1, 254),
        )
        ip = ".".join(map(str, octets))
        if contact and isinstance(properties, dict):
            properties = {**properties, "email": contact[0], "phone": contact[1]}
        return {
            "event_id": self._event_ids.uuid(self._made),
            "event_name": name,
            "occurred_at": iso_timestamp(ms),
            "sent_at": iso_timestamp(ms + 850),
            "anonymous_id": self._anonymous_ids.uuid(self._made),
            "user_id": None,
            "page": {"url": f"{SHOP_URL}/", "referrer": None, "title": "Lumen & Loom"},
            "context": {"device_type": "mobile", "user_agent": _UA, "ip": ip, "country": "IT", "locale": "it-IT"},
            "properties": properties,
        }

    @staticmethod
    def _line(reason: str, event: object, text: str | None = None) -> BadLine:
        """Counts the personal data the written text really holds (truncation may have cut some off)."""
        text = json.dumps(event, separators=_SEPARATORS) if text is None else text
        emails = phones = ipv4 = 0
        if isinstance(event, dict):
            properties = event.get("properties")
            if isinstance(properties, dict):
                emails = int(str(properties.get("email", "\0")) in text)
                phones = int(str(properties.get("phone", "\0")) in text)
            context = event.get("context") or {}
            ipv4 = int(isinstance(context, dict) and str(context.get("ip", "\0")) in text)
        return BadLine(reason, text, emails, phones, ipv4)

    def _view_item(self, ms: int, price: object = 59.9) -> dict:
        return self._event(ms, "view_item", {"product_id": "P0007", "price": price, "currency": "EUR"})

    def _add_to_cart(self, ms: int, **overrides: object) -> dict:
        properties = {"product_id": "P0012", "price": 29.9, "quantity": 1, "currency": "EUR", **overrides}
        return self._event(ms, "add_to_cart", {k: v for k, v in properties.items() if v is not None})

    def _purchase(self, ms: int, **overrides: object) -> dict:
        properties = {
            "order_id": f"LL-BAD-{self._made}",
            "revenue": 59.9,
            "currency": "EUR",
            "items": [{"product_id": "P0007", "price": 59.9, "quantity": 1}],
            **overrides,
        }
        return self._event(ms, "purchase", {k: v for k, v in properties.items() if v is not None})

    # --- one builder per reason -------------------------------------------------------------------------------

    def _oversized_line(self, variant: int, ms: int) -> BadLine:
        note = "Customer note: " + "please gift wrap the order and add a card. " * 1700  # > 64 KiB on its own
        return self._line("oversized_line", self._event(ms, "page_view", {"note": note}))

    def _invalid_encoding(self, variant: int, ms: int) -> BadLine:
        event = self._event(ms, "page_view", {})
        event["page"]["title"] = "Caf\u00e9 Lumen \u2013 Herbst"
        text = json.dumps(event, ensure_ascii=False, separators=_SEPARATORS)
        # A Latin-1 exporter wrote this line: the bytes of "é" and "–" are not UTF-8.
        payload = text.encode("utf-8").replace("é".encode(), b"\xe9").replace("\u2013".encode(), b"\x96")
        line = self._line("invalid_encoding", event, text)
        return BadLine("invalid_encoding", payload, line.emails, line.phones, line.ipv4)

    def _invalid_json(self, variant: int, ms: int) -> BadLine:
        if variant == 0:
            return BadLine("invalid_json", "", 0, 0, 0)
        event = self._event(ms, "sign_up", {"method": "form"}, contact=_contact(self._rng))
        text = json.dumps(event, separators=_SEPARATORS)
        return self._line("invalid_json", event, text[: len(text) * 2 // 3])  # a line cut off mid-write

    def _not_an_object(self, variant: int, ms: int) -> BadLine:
        return BadLine("not_an_object", ("[1,2]", '"text"', '[{"event_name":"page_view"}]')[variant % 3], 0, 0, 0)

    def _missing_field(self, variant: int, ms: int) -> BadLine:
        event = self._event(ms, "sign_up", {"method": "popup"}, contact=_contact(self._rng))
        match variant % 4:
            case 0:
                del event["event_id"]
            case 1:
                event["anonymous_id"] = ""
            case 2:
                del event["occurred_at"]
            case _:
                event["event_name"] = None
        return self._line("missing_field", event)

    def _invalid_field_type(self, variant: int, ms: int) -> BadLine:
        event = self._event(ms, "page_view", {})
        match variant % 3:
            case 0:
                event["event_id"] = 40_000 + self._made
            case 1:
                event["user_id"] = 4711
            case _:
                event["properties"] = [1, 2]
        return self._line("invalid_field_type", event)

    def _string_too_long(self, variant: int, ms: int) -> BadLine:
        match variant % 3:
            case 0:
                event = self._event(ms, "page_view", {})
                event["event_id"] = ("e" + f"{self._made:07d}") * 25  # 200 characters
            case 1:
                event = self._event(ms, "page_view", {})
                event["anonymous_id"] = "a" * 150
            case _:
                event = self._add_to_cart(ms, product_id="P" * 200)
        return self._line("string_too_long", event)

    def _unknown_event_name(self, variant: int, ms: int) -> BadLine:
        name = ("page_veiw", "signup", "add_to_kart", "Purchase")[variant % 4]
        contact = _contact(self._rng) if name == "signup" else None
        properties = {"method": "popup"} if name == "signup" else {}
        return self._line("unknown_event_name", self._event(ms, name, properties, contact=contact))

    def _invalid_timestamp(self, variant: int, ms: int) -> BadLine:
        event = self._event(ms, "sign_up", {"method": "form"}, contact=_contact(self._rng))
        event["occurred_at"] = ("yesterday", "2026-13-45T10:00:00Z", event["occurred_at"][:19])[variant % 3]
        return self._line("invalid_timestamp", event)

    def _timestamp_out_of_range(self, variant: int, ms: int) -> BadLine:
        event = self._event(ms, "page_view", {})
        match variant % 3:
            case 0:
                event["occurred_at"] = "0001-01-01T00:00:00Z"  # Go's zero time
            case 1:
                event["occurred_at"] = "1970-01-01T00:00:00Z"  # a Unix epoch of 0
            case _:
                event["sent_at"] = "1970-01-01T00:00:00.850Z"
        return self._line("timestamp_out_of_range", event)

    def _future_timestamp(self, variant: int, ms: int) -> BadLine:
        event = self._event(ms, "page_view", {})
        event["occurred_at"] = "2099" + event["occurred_at"][4:]
        return self._line("future_timestamp", event)

    def _missing_property(self, variant: int, ms: int) -> BadLine:
        match variant % 4:
            case 0:
                event = self._add_to_cart(ms, product_id=None)
            case 1:
                event = self._purchase(ms, items=None)
            case 2:
                event = self._event(ms, "view_item_list", {"category": "Dresses"})
            case _:
                event = self._event(ms, "video_progress", {"video_id": "V001", "position_s": 12.5})
        return self._line("missing_property", event)

    def _invalid_property_type(self, variant: int, ms: int) -> BadLine:
        match variant % 4:
            case 0:
                event = self._view_item(ms, price="19.99")
            case 1:
                event = self._event(ms, "checkout_step", {"step": "two", "step_name": "shipping_cost"})
            case 2:
                event = self._purchase(ms, items="P0007")
            case _:
                event = self._event(
                    ms,
                    "hotspot_click",
                    {"video_id": "V001", "hotspot_id": "V001-H1", "product_id": "P0007", "position_s": "12s"},
                )
        return self._line("invalid_property_type", event)

    def _negative_amount(self, variant: int, ms: int) -> BadLine:
        match variant % 3:
            case 0:
                event = self._view_item(ms, price=-19.99)
            case 1:
                event = self._purchase(ms, revenue=-59.9)
            case _:
                event = self._event(ms, "refund", {"order_id": "LL-100001", "amount": -10.0, "currency": "EUR"})
        return self._line("negative_amount", event)

    def _invalid_quantity(self, variant: int, ms: int) -> BadLine:
        return self._line("invalid_quantity", self._add_to_cart(ms, quantity=(0, -1, 1.5)[variant % 3]))

    def _number_out_of_range(self, variant: int, ms: int) -> BadLine:
        match variant % 3:
            case 0:
                event = self._purchase(ms, items=[{"product_id": "P0007", "price": 59.9, "quantity": 3_000_000_000}])
            case 1:
                event = self._view_item(ms, price=1e14)
            case _:
                event = self._event(ms, "checkout_step", {"step": 2**31, "step_name": "payment"})
        return self._line("number_out_of_range", event)


# --- daily CSV rows -----------------------------------------------------------------------------------------

# source -> reason -> (column, bad value); the rest of the row stays a valid copy of a real row.
CSV_FAULTS: dict[str, dict[str, tuple[str, str]]] = {
    "inventory": {
        "missing_value": ("product_id", ""),
        "invalid_value": ("snapshot_date", "2026-13-40"),
        "negative_value": ("units_on_hand", "-5"),
        "number_out_of_range": ("units_on_hand", "1e20"),
        "timestamp_out_of_range": ("snapshot_date", "1970-01-01"),
    },
    "ad_spend": {
        "missing_value": ("campaign", ""),
        "invalid_value": ("spend", "12,5x"),
        "negative_value": ("spend", "-12.50"),
        "number_out_of_range": ("spend", "1e15"),
        "timestamp_out_of_range": ("date", "0001-01-01"),
    },
    "social": {
        "missing_value": ("account", ""),
        "invalid_value": ("likes", "1.2k"),
        "negative_value": ("followers", "-1"),
        "number_out_of_range": ("likes", "99999999999999999999"),
        "timestamp_out_of_range": ("date", "1999-12-31"),
    },
    "fx_rates": {
        "missing_value": ("currency", ""),
        "invalid_value": ("date", "2026-13-40"),
        "negative_value": ("rate_to_reporting", "-0.92"),
        "number_out_of_range": ("rate_to_reporting", "1e999"),
        "timestamp_out_of_range": ("date", "1970-01-01"),
    },
}

# The messaging tool's export (messages/): the loader's rules for it, each broken once on a copy of a real send.
MESSAGE_FAULTS: dict[str, tuple[str, str]] = {
    "missing_value": ("message_id", ""),
    "invalid_value": ("is_control", "maybe"),
    "timestamp_out_of_range": ("sent_at", "1970-01-01T00:00:00Z"),
}
