"""The tracking-event contract, version 1 (CONTRACT section 4), as data the validator compiles to SQL."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum

MAX_LINE_BYTES = 64 * 1024
MAX_ID_CHARS = 128
MAX_TEXT_CHARS = 512
FUTURE_TOLERANCE_HOURS = 24
# No event (occurred_at, sent_at) and no dated CSV row before this: older dates are tracker bugs (Go's zero
# time, a Unix epoch of 0), and every day spine starts at the oldest date loaded.
EARLIEST_TIMESTAMP = datetime(2000, 1, 1, tzinfo=UTC)


class Kind(Enum):
    """What a property must be; each kind maps to a type check and, for some, a value rule."""

    ID = "id"  # string, at most MAX_ID_CHARS
    # string of 1 to MAX_ID_CHARS: a key the marts de-duplicate on, where an empty one would make every event
    # that sends it one and the same
    DEDUP_ID = "dedup_id"
    TEXT = "text"  # string, at most MAX_TEXT_CHARS
    MONEY = "money"  # number >= 0
    QUANTITY = "quantity"  # integer >= 1
    STEP = "step"  # integer >= 1
    PERCENT = "percent"  # one of 25, 50, 75, 100
    SECONDS = "seconds"  # number
    COUNT = "count"  # integer
    ITEMS = "items"  # list of {product_id, price, quantity}
    SIGN_UP_METHOD = "sign_up_method"  # popup, form, checkout, social
    CONTACT = "contact"  # e-mail or phone: hashed at load


@dataclass(frozen=True)
class NumberType:
    """The column a numeric kind is stored in (staging casts to exactly this) and, where a product or sum of
    values must fit too, a tighter maximum of the absolute value."""

    sql: str
    maximum: Decimal | None = None


# DuckDB computes price x quantity (stg_order_items.line_revenue, decimal(18, 4) * integer) in decimal(18, 4),
# which holds less than 10^14, and fails on overflow: MAX_MONEY x MAX_QUANTITY stays below it. A 64 KiB purchase
# line holds fewer than 1,700 items, so an order's summed quantity (int_orders.items, an integer) stays far
# below 2^31 too. Ten billion in any currency, 10,000 units in one line: beyond any real order.
MAX_MONEY = Decimal("9999999999.9999")
MAX_QUANTITY = Decimal(10_000)

NUMBER_TYPES: dict[Kind, NumberType] = {
    Kind.MONEY: NumberType("decimal(18, 4)", MAX_MONEY),
    Kind.QUANTITY: NumberType("integer", MAX_QUANTITY),
    Kind.STEP: NumberType("integer"),
    Kind.COUNT: NumberType("integer"),
    Kind.PERCENT: NumberType("integer"),
    Kind.SECONDS: NumberType("double"),
}


@dataclass(frozen=True)
class Prop:
    name: str
    kind: Kind
    required: bool = True


def _optional(name: str, kind: Kind) -> Prop:
    return Prop(name, kind, required=False)


_CART_LINE = (
    Prop("product_id", Kind.ID),
    Prop("price", Kind.MONEY),
    Prop("quantity", Kind.QUANTITY),
    _optional("currency", Kind.ID),
    _optional("cart_id", Kind.ID),
    _optional("video_id", Kind.ID),
    _optional("hotspot_id", Kind.ID),
    _optional("position_s", Kind.SECONDS),
)
_VIDEO_PLAY = (Prop("video_id", Kind.ID), _optional("position_s", Kind.SECONDS))
_HOTSPOT = (
    Prop("video_id", Kind.ID),
    Prop("hotspot_id", Kind.ID),
    Prop("product_id", Kind.ID),
    _optional("position_s", Kind.SECONDS),
)

EVENT_PROPERTIES: dict[str, tuple[Prop, ...]] = {
    "page_view": (),
    "view_item_list": (Prop("list_id", Kind.ID), _optional("category", Kind.TEXT)),
    "view_item": (
        Prop("product_id", Kind.ID),
        Prop("price", Kind.MONEY),
        _optional("currency", Kind.ID),
        _optional("video_id", Kind.ID),
    ),
    "search": (Prop("query", Kind.TEXT), _optional("results_count", Kind.COUNT)),
    "add_to_cart": _CART_LINE,
    "buy_now": _CART_LINE,
    "remove_from_cart": (Prop("product_id", Kind.ID), Prop("quantity", Kind.QUANTITY), _optional("cart_id", Kind.ID)),
    "add_to_wishlist": (
        Prop("product_id", Kind.ID),
        _optional("video_id", Kind.ID),
        _optional("hotspot_id", Kind.ID),
    ),
    "begin_checkout": (Prop("value", Kind.MONEY), _optional("currency", Kind.ID), _optional("cart_id", Kind.ID)),
    "checkout_step": (Prop("step", Kind.STEP), _optional("step_name", Kind.TEXT)),
    "purchase": (
        Prop("order_id", Kind.ID),
        Prop("revenue", Kind.MONEY),
        Prop("currency", Kind.ID),
        Prop("items", Kind.ITEMS),
        _optional("tax", Kind.MONEY),
        _optional("shipping", Kind.MONEY),
        _optional("discount", Kind.MONEY),
        _optional("coupon", Kind.TEXT),
    ),
    "refund": (
        Prop("order_id", Kind.ID),
        Prop("amount", Kind.MONEY),
        Prop("currency", Kind.ID),
        _optional("items", Kind.ITEMS),
        # A refund re-sent under a new event_id keeps its refund_id: the marts count the first delivery per id.
        _optional("refund_id", Kind.DEDUP_ID),
    ),
    "sign_up": (
        Prop("method", Kind.SIGN_UP_METHOD),
        _optional("email", Kind.CONTACT),
        _optional("phone", Kind.CONTACT),
    ),
    "video_start": _VIDEO_PLAY,
    "video_complete": _VIDEO_PLAY,
    "video_progress": (Prop("video_id", Kind.ID), Prop("percent", Kind.PERCENT), _optional("position_s", Kind.SECONDS)),
    "hotspot_impression": _HOTSPOT,
    "hotspot_click": _HOTSPOT,
}

EVENT_NAMES: tuple[str, ...] = tuple(EVENT_PROPERTIES)

# Top-level fields every event must carry as non-empty strings, and those that must be objects when present.
TOP_LEVEL_STRINGS_REQUIRED = ("event_id", "event_name", "anonymous_id", "occurred_at")
TOP_LEVEL_OBJECTS = ("page", "campaign", "context", "properties")
# Every top-level field the contract names; any other key of a line is unknown: kept (raw.events.unknown_fields)
# but ignored.
TOP_LEVEL_FIELDS = (*TOP_LEVEL_STRINGS_REQUIRED, "sent_at", "user_id", *TOP_LEVEL_OBJECTS)


def _kind_of_each_property() -> dict[str, Kind]:
    kinds: dict[str, Kind] = {}
    for props in EVENT_PROPERTIES.values():
        for prop in props:
            if kinds.setdefault(prop.name, prop.kind) is not prop.kind:
                raise ValueError(f"property {prop.name} has two kinds: {kinds[prop.name]} and {prop.kind}")
    return kinds


# Every property name the contract types, in a stable order; a name means the same kind in every event.
PROPERTY_KINDS: dict[str, Kind] = _kind_of_each_property()


def property_names() -> list[str]:
    return list(PROPERTY_KINDS)
