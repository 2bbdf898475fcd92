"""Visits and the events they fire: browsing, shoppable video, carts, checkout, orders, refunds, sign-ups, logins
and bot crawls. Every valid event passes through `Traffic._emit`, which counts it for truth.json."""

import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from json.encoder import c_make_encoder, encode_basestring_ascii

from orchestration.generator.audience import EXTRA_DEVICE, Audience
from orchestration.generator.catalog import CONVERSION_LIFT, Catalog, Hotspot, Video, pick
from orchestration.generator.channels import (
    CHANNEL_CONVERSION_LIFT,
    CHANNEL_MIX,
    CONVERTING_CHANNEL,
    DIRECT,
    Touch,
    draw_channel,
    touch_for,
)
from orchestration.generator.clock import DAY_MS, HOUR_MS, HOURLY_TRAFFIC, MINUTE_MS, iso_timestamp
from orchestration.generator.demand import DemandPlan
from orchestration.generator.faults import SHOP_URL
from orchestration.generator.fx import FxRates
from orchestration.generator.ids import IdMint
from orchestration.generator.stock import Stock
from orchestration.generator.stream import EventStream
from orchestration.generator.truth import EMAIL, IPV6, PHONE, EventCounts, SessionCounts

# The C encoder json.dumps uses, called directly: json.dumps costs more in argument handling than in encoding
# for the small objects of an event, and every event has two or three of them.
_encode = c_make_encoder(None, None, encode_basestring_ascii, None, ":", ",", False, False, True)


def _dumps(value: dict) -> str:
    return "".join(_encode(value, 0))


# Visit shapes and purchase probabilities, tuned so about 2-3% of sessions convert.
SHARE_BOUNCE = 0.36
SHARE_VIDEO = 0.26  # of engaged visits; social traffic watches more
SHARE_VIDEO_FROM_SOCIAL = 0.55


def _share_video(channel: str) -> float:
    return SHARE_VIDEO_FROM_SOCIAL if "Social" in channel else SHARE_VIDEO


def _spread(probability: float, converting_share: float) -> float:
    """The purchase probability of a branch's visits from other channels than CONVERTING_CHANNEL: with the
    converting channel's share of the branch buying CHANNEL_CONVERSION_LIFT times as often, the branch as a
    whole still buys with `probability`, so the shop converts as tuned whatever the lift."""
    return probability / (1 + converting_share * (CHANNEL_CONVERSION_LIFT - 1))


_VIDEO_VISITS = sum(share * _share_video(channel) for channel, share in CHANNEL_MIX.items())  # of engaged visits
_CONVERTING_VIDEO_VISITS = CHANNEL_MIX[CONVERTING_CHANNEL] * _share_video(CONVERTING_CHANNEL)
P_PURCHASE_BROWSING = _spread(0.038, (CHANNEL_MIX[CONVERTING_CHANNEL] - _CONVERTING_VIDEO_VISITS) / (1 - _VIDEO_VISITS))
# Times the video's host/format lift and the best-segment lift.
P_PURCHASE_AFTER_VIDEO = _spread(0.022, _CONVERTING_VIDEO_VISITS / _VIDEO_VISITS)
P_CART_WITHOUT_PURCHASE = 0.085
P_IN_VIDEO_INTENT_BUYER = 0.85  # a buyer who clicked a hotspot puts its product in the cart in the video
P_IN_VIDEO_INTENT_BROWSER = 0.08  # a non-buyer who clicked does so too, then leaves: abandoned stream intent
P_BUY_NOW = 0.30
P_LOGIN = 0.30
P_SIGN_UP = {"popup": 0.024, "form": 0.008, "social": 0.005}
P_CAMPAIGN_SWITCH = 0.012
P_REFUND = 0.08
P_PARTIAL_REFUND = 0.45
P_SECOND_REFUND = 0.35
REFUND_DELAY_DAYS = (1, 8)  # a return reaches the shop and is refunded within about a week
SECOND_REFUND_DELAY_DAYS = (1, 4)
# Money the shop's backend reports server-side, with a script's user agent the bot list flags: it still counts
# as orders and refunds (CONTRACT section 7, "money is never a bot"), never as behaviour.
P_SERVER_SIDE_ORDER = 0.08
P_BACKEND_ID = 0.10  # of server-side orders: sent with the backend's own id, a device never seen: no session
P_LATE_DELIVERED_ORDER = 0.05  # of server-side orders: a stuck queue delivers them after their refund
# The refund comes the day after the order (its visit may run past midnight), the purchase two days later: still
# under late_arrival_days late, as measured against the files before it.
LATE_ORDER_LAG_DAYS = 3
P_SERVER_SIDE_REFUND = 0.85
P_REFUND_ID = 0.85
P_RESENT_REFUND = 0.15  # of server-side refunds with a refund_id: a backend retry with a new event_id
P_OVER_REFUND = 0.08  # of refunded orders: a later refund books more than is left of the order
P_REFUND_WITHOUT_ORDER = 0.015  # per order: the backend also refunds an order older than the data
SERVER_USER_AGENTS = ("python-requests/2.32.3", "Go-http-client/2.0")  # both match seeds/bot_user_agents.csv
SERVER_IP = "52.29.14.201"  # the shop backend's address
UPTIME_CHECK_AFTER_MS = 18 * HOUR_MS  # the next day's check: far enough to close pending windows
LOOKBACK_MS = 30 * DAY_MS  # dbt var attribution_lookback_days
MAX_GAP_MS = 15 * MINUTE_MS  # within a visit; sessions split after 30 minutes
VISIT_SPACING_MS = 36 * MINUTE_MS  # between visits of one device
ABANDONMENT_WINDOW_MS = 24 * HOUR_MS
COUPONS = (("WELCOME10", 0.10, 0.10), ("AUTUMN15", 0.15, 0.05))  # (code, discount, share of orders)
_CHECKOUT_STEPS = ("shipping", "shipping_cost", "payment")
_FIRST_NAMES = (
    "Anna",
    "Marco",
    "Julia",
    "Lukas",
    "Chloe",
    "Sven",
    "Elena",
    "Noah",
    "Lea",
    "Tom",
    "Sofia",
    "Emma",
    "Jonas",
    "Clara",
    "Mateo",
    "Ingrid",
    "Olivia",
    "Hugo",
    "Mila",
    "Finn",
)
_LAST_NAMES = (
    "Rossi",
    "Meyer",
    "Dubois",
    "Lindqvist",
    "Garcia",
    "Brown",
    "Schmidt",
    "Bianchi",
    "Jansen",
    "Martin",
    "Novak",
    "Fischer",
    "Moreau",
    "Smith",
    "Berg",
    "Costa",
    "Weber",
    "Leroy",
    "Andersson",
    "Huber",
)
_MAIL_DOMAINS = ("gmail.com", "Example.com", "web.de", "outlook.com", "icloud.com", "GMX.de", "libero.it")
_PHONE_FORMATS = {
    "DE": "+49 15{} {:07d}",
    "IT": "+39 34{} {:07d}",
    "FR": "+33 6 {}{:07d}",
    "GB": "+44 77{} {:06d}",
    "US": "+1 (415) 55{}-{:04d}",
    "SE": "+46 70{} {:06d}",
    "ES": "+34 6{}{:07d}",
    "NL": "+31 6 {}{:06d}",
    "AT": "+43 66{} {:06d}",
    "BE": "+32 47{} {:06d}",
}


@dataclass
class CartLine:
    product: int
    quantity: int
    price_cents: int  # in the visit's currency


@dataclass
class RefundPlan:
    device: int
    user: int
    order_id: str
    currency: str
    amount_cents: int
    items: list[dict] | None
    rate_to_reporting: float  # the order date's rate: refunds are valued at it
    then: "RefundPlan | None" = None  # a second, later refund of the same order
    after_days: int = 0  # for a second refund: days after the first


class Quota:
    """A planted variant drawn at its rate, and forced on its first `at_least` chances: even a week-long test
    shop then holds every variant its tests look for."""

    def __init__(self, rng: random.Random, rate: float, at_least: int = 1):
        self._rng = rng
        self._rate = rate
        self._at_least = at_least
        self.taken = 0

    def take(self) -> bool:
        if self.taken < self._at_least or self._rng.random() < self._rate:
            self.taken += 1
            return True
        return False


@dataclass
class OrderRecord:
    """An order as the one person rule will see it, kept to credit its lines to in-video clicks at the end."""

    device: int  # -1 for an order sent with a backend id: its person is then its user
    user: int
    ms: int
    rate_to_reporting: float
    lines: list[tuple[str, int]]  # (product_id, price x quantity in cents)
    revenue_cents: int


@dataclass
class Visit:
    device: int
    anonymous_id: str
    context: str
    offset: int
    ip_flag: int
    currency: str
    is_bot: bool
    ms: int
    last_ms: int = 0  # occurred_at of the latest event emitted
    user: int = -1
    user_json: str = "null"
    url: str | None = None
    cart_id: str = ""
    cart: list[CartLine] = field(default_factory=list)
    purchased: bool = False
    viewed: list[int] = field(default_factory=list)
    # What the shop's messaging tool reacts to (messaging.py).
    searched: bool = False
    signed_up: bool = False
    ordered: bool = False  # in the browser or server-side


@dataclass
class IntentRecord:
    """An in-video add_to_cart/buy_now, kept to count abandoned (person, video) pairs at the end."""

    device: int
    user: int
    video: str
    ms: int


class Traffic:
    def __init__(
        self,
        rng: random.Random,
        seed: int,
        catalog: Catalog,
        plan: DemandPlan,
        stock: Stock,
        audience: Audience,
        stream: EventStream,
        fx: FxRates,
        start_date: date,
        days: int,
        events: EventCounts,
        sessions: SessionCounts,
    ):
        self._rng = rng
        self._catalog = catalog
        self._plan = plan
        self._stock = stock
        self._audience = audience
        self._stream = stream
        self._fx = fx
        self._start_date = start_date
        self._days = days
        self._events = events
        self._sessions = sessions
        self._event_ids = IdMint(seed, "event_id")
        self._cart_ids = IdMint(seed, "cart_id", bits=64)
        self._backend_ids = IdMint(seed, "backend_id", bits=64)
        self._event_seq = 0
        self._order_seq = 0
        self._refund_seq = 0
        self._backend_seq = 0
        self._server_contexts = tuple(_dumps({"user_agent": ua, "ip": SERVER_IP}) for ua in SERVER_USER_AGENTS)
        self._server_side_orders = Quota(rng, P_SERVER_SIDE_ORDER, at_least=3)
        self._backend_id_orders = Quota(rng, P_BACKEND_ID)
        self._late_delivered_orders = Quota(rng, P_LATE_DELIVERED_ORDER, at_least=2)
        self._server_side_refunds = Quota(rng, P_SERVER_SIDE_REFUND)
        self._resent_refunds = Quota(rng, P_RESENT_REFUND)
        self._over_refunds = Quota(rng, P_OVER_REFUND)
        self._refunds_without_order = Quota(rng, P_REFUND_WITHOUT_ORDER)
        self._left_to_refund: dict[str, int] = {}  # order_id -> revenue cents not refunded yet
        self.warehouse_clock_ms = 0  # newest occurred_at of a non-bot event (CONTRACT section 7)
        self.hotspot_events: Counter = Counter()  # (hotspot_id, event_name) -> non-bot valid unique events
        self.clicks: list[tuple[int, str, str, str, int]] = []  # (device, product, video, hotspot, ms)
        # Hotspot clicks and in-video add_to_cart/buy_now: (device, ms, event_id, video_id).
        self.video_interactions: list[tuple[int, int, str, str]] = []
        self.orders: list[OrderRecord] = []
        self._products = catalog.products
        self._videos = catalog.videos
        self._product_index = catalog.product_index()
        self._iso_week = 0
        self._hour_weights = list(accumulate(HOURLY_TRAFFIC))
        self._day = 0
        self._demand: list[float] = []
        self._in_demand: list[bool] = []  # per product: may sell today (launched, not an intermittent quiet day)
        self._launched: list[int] = []
        self._prices: dict[str, list[int]] = {}
        self.refunds_due: dict[int, list[RefundPlan]] = {}
        self.paid_clicks: Counter = Counter()  # campaign name -> visits today
        self.units_sold: dict[int, Counter] = {}  # day -> product index -> units
        self.intents: list[IntentRecord] = []
        self.purchases_by_person: dict[int, list[int]] = {}
        self._intent_pairs: set[tuple[int, str]] = set()

    # --- the day --------------------------------------------------------------------------------------------

    def start_day(self, day: int) -> None:
        self._day = day
        weekday = (self._start_date + timedelta(days=day)).weekday()
        multipliers = self._plan.multipliers(day)
        self._demand = self._catalog.daily_demand(day, weekday, multipliers)
        self._in_demand = [m > 0 for m in multipliers]
        self._launched = [i for i in range(len(self._products)) if self._plan.launched(i, day)]
        self._iso_week = (self._start_date + timedelta(days=day)).isocalendar().week
        self._prices = {
            c: [self._local_price(p.price_cents, p.currency, c, day) for p in self._products]
            for c in ("EUR", "USD", "GBP", "SEK")
        }
        self.paid_clicks = Counter()

    def _local_price(self, cents: int, currency: str, to_currency: str, day: int) -> int:
        """Shelf price in the shopper's currency: converted, then set to a .99 price point."""
        if currency == to_currency:
            return cents
        converted = self._fx.convert_cents(cents, currency, to_currency, day)
        return max(99, round(converted, -2) - 1)

    def planned_start_ms(self, day_ms: int) -> int:
        hour = pick(self._rng, self._hour_weights)
        return day_ms + hour * HOUR_MS + self._rng.randrange(HOUR_MS)

    def run_visit(self, device: int, planned_ms: int, refund: RefundPlan | None) -> Visit:
        visit = self._open(device, self._spaced_start(device, planned_ms))
        if visit.is_bot:
            self._crawl(visit)
        elif refund is not None:
            self._refund_visit(visit, refund)
        else:
            self._shopping_visit(visit)
        self._close(visit)
        return visit

    def _spaced_start(self, device: int, planned_ms: int) -> int:
        """A device's visits are more than 35 minutes apart: each is one session."""
        return max(
            planned_ms, self._audience.last_event_ms[device] + VISIT_SPACING_MS + self._rng.randrange(20 * MINUTE_MS)
        )

    @contextmanager
    def _drawing_from(self, rng: random.Random) -> Iterator[None]:
        own, self._rng = self._rng, rng
        try:
            with self._stream.drawing_from(rng):
                yield
        finally:
            self._rng = own

    def message_visit(
        self, rng: random.Random, device: int, user: int, planned_ms: int, touch: Touch, products: list[int], buys: bool
    ) -> tuple[int, OrderRecord | None]:
        """A click on a message's link: the link signs the person in (no login page, no new login cookie), lands on
        the first product still for sale of `products` (else one the shop's demand picks) and, when `buys`, orders
        it in the browser. Drawn from `rng` alone. The order is never refunded: what the message caused is then
        its revenue. Returns when the visit started and the order, if one was placed."""
        with self._drawing_from(rng):
            start = self._spaced_start(device, planned_ms)
            visit = self._open(device, start)
            self._set_user(visit, user)
            self._sessions.by_channel[touch.channel] += 1
            product = next((p for p in products if self._units_left(visit, p) > 0), None)
            if product is None:
                product = pick(rng, self._demand)
            self._view_product(visit, product, touch)
            order = None
            if buys and self._units_left(visit, product) > 0:
                self._advance(visit)
                self._add_to_cart(visit, product, 1)
                self._begin_checkout(visit, 3)
                self._advance(visit, 10_000, 30_000)
                properties = self._order(visit)
                self._emit(visit, "purchase", properties)
                visit.purchased = True
                self._count_order(visit, properties, device)
                self._sessions.purchase_by_channel[touch.channel] += 1
                order = self.orders[-1]
                visit.cart = []
            self._close(visit)
        return start, order

    # --- opening and closing a visit --------------------------------------------------------------------------

    def _open(self, device: int, ms: int) -> Visit:
        a = self._audience
        visit = Visit(
            device=device,
            anonymous_id=a.anonymous_id(device),
            context=a.context_json(device),
            offset=a.offset_minutes(device),
            ip_flag=IPV6 if a.is_ipv6[device] else 0,
            currency=a.currency(device),
            is_bot=a.is_bot(device),
            ms=ms,
            cart_id=f"cart_{self._cart_ids.hex(device)}",
            last_ms=ms,
        )
        if a.login_cookie[device]:
            self._set_user(visit, a.owner[device])
        return visit

    def _close(self, visit: Visit) -> None:
        a = self._audience
        a.last_event_ms[visit.device] = visit.last_ms
        a.visits_so_far[visit.device] += 1
        if visit.user >= 0:
            a.latest_user[visit.device] = visit.user
        if not visit.is_bot:
            self._sessions.sessions += 1
            self._sessions.purchase_sessions += visit.purchased

    def _set_user(self, visit: Visit, person: int) -> None:
        visit.user = person
        visit.user_json = f'"{self._audience.user_id(person)}"'

    # --- emitting ---------------------------------------------------------------------------------------------

    def _advance(self, visit: Visit, low_ms: int = 2_000, mean_ms: int = 25_000) -> None:
        """Time passes before the next event; bounded from the last event so a visit never splits in two."""
        gap = low_ms + int(self._rng.expovariate(1 / mean_ms))
        visit.ms = min(visit.ms + gap, visit.last_ms + MAX_GAP_MS)

    def _emit(
        self,
        visit: Visit,
        name: str,
        properties: dict,
        page: str | None = None,
        campaign: dict | None = None,
        flags: int = 0,
        lag: int = 0,
    ) -> str:
        """Writes one valid event and returns its event_id; `page` comes as JSON text, built where the page is
        known. `lag` plants a delivery that many days late; otherwise the stream may plant one for a non-bot
        event."""
        self._event_seq += 1
        event_id = self._event_ids.uuid(self._event_seq)
        ms = visit.ms
        if lag:
            sent, lag = self._stream.hold_back(ms, lag)
        else:
            sent, lag = self._stream.send(ms, may_be_late=not visit.is_bot)
        page_part = f',"page":{page}' if page is not None else ""
        campaign_part = f',"campaign":{_dumps(campaign)}' if campaign is not None else ""
        line = (
            f'{{"event_id":"{event_id}","event_name":"{name}",'
            f'"occurred_at":"{iso_timestamp(ms, visit.offset)}","sent_at":"{iso_timestamp(sent, visit.offset)}",'
            f'"anonymous_id":"{visit.anonymous_id}","user_id":{visit.user_json}{page_part}{campaign_part},'
            f'"context":{visit.context},"properties":{_dumps(properties) if properties else "{}"}}}'
        )
        flags |= visit.ip_flag
        self._stream.add(ms, line, flags, lag)
        if ms > visit.last_ms:
            visit.last_ms = ms
        events = self._events
        events.valid_unique += 1
        events.by_name[name] += 1
        events.count_pii(flags)
        if visit.is_bot:
            events.bot_events += 1
        elif ms > self.warehouse_clock_ms:
            self.warehouse_clock_ms = ms
        if lag:
            events.late_by_lag_days[lag] += 1
        return event_id

    def _page_view(self, visit: Visit, path: str, title: str, touch: Touch | None = None) -> None:
        url = f"{SHOP_URL}{path}"
        referrer = visit.url
        campaign = None
        if touch is not None:
            url += touch.url_query
            referrer = touch.referrer
            campaign = touch.campaign
        page = (
            f'{{"url":{encode_basestring_ascii(url)},'
            f'"referrer":{"null" if referrer is None else encode_basestring_ascii(referrer)},'
            f'"title":{encode_basestring_ascii(title + " | Lumen & Loom")}}}'
        )
        self._emit(visit, "page_view", {}, page=page, campaign=campaign)
        visit.url = url

    # --- shopping ---------------------------------------------------------------------------------------------

    def _shopping_visit(self, visit: Visit) -> None:
        rng = self._rng
        channel = draw_channel(rng)
        touch = touch_for(rng, channel, self._iso_week)
        self._count_touch(touch)
        self._sessions.by_channel[channel] += 1
        engaged = rng.random() >= SHARE_BOUNCE
        video = rng.choice(self._videos) if engaged and rng.random() < _share_video(channel) else None
        if video is not None:
            self._page_view(visit, f"/v/{video.video_id}", video.title, touch)
        else:
            self._landing_page(visit, touch)
        self._log_in_shared_or_second_device(visit)
        if not engaged:
            return
        self._maybe_sign_up_or_log_in(visit)
        channel_lift = CHANNEL_CONVERSION_LIFT if channel == CONVERTING_CHANNEL else 1.0
        if video is not None:
            buys = self._watch(visit, video, channel_lift)
            steps = rng.randint(0, 2)
        else:
            buys = rng.random() < P_PURCHASE_BROWSING * channel_lift
            steps = rng.randint(1, 4)
        for _ in range(steps):
            self._advance(visit)
            self._browse_step(visit, channel)
        if buys or rng.random() < P_CART_WITHOUT_PURCHASE:
            self._fill_cart(visit)
        if buys and visit.cart:
            self._purchase(visit)
            self._sessions.purchase_by_channel[channel] += visit.purchased
        elif visit.cart:
            self._abandon_checkout(visit)

    def _count_touch(self, touch: Touch) -> None:
        if touch.paid is not None:
            self.paid_clicks[touch.paid.name] += 1

    def _landing_page(self, visit: Visit, touch: Touch) -> None:
        r = self._rng.random()
        if r < 0.35:
            self._page_view(visit, "/", "Home", touch)
        elif r < 0.6:
            category = self._rng.choice(self._products).category
            self._page_view(visit, f"/c/{category.lower()}", category, touch)
        else:
            self._view_product(visit, pick(self._rng, self._demand), touch)

    def _view_product(self, visit: Visit, product: int, touch: Touch | None = None, video: str | None = None) -> None:
        p = self._products[product]
        if video is None:
            self._page_view(visit, f"/p/{p.product_id}", p.name, touch)
            self._advance(visit, 300, 1_500)
        properties = {
            "product_id": p.product_id,
            "price": self._prices[visit.currency][product] / 100,
            "currency": visit.currency,
        }
        if video is not None:
            properties["video_id"] = video
        self._emit(visit, "view_item", properties)
        visit.viewed.append(product)

    def _browse_step(self, visit: Visit, channel: str) -> None:
        rng = self._rng
        if rng.random() < P_CAMPAIGN_SWITCH:
            self._switch_campaign(visit, channel)
            return
        r = rng.random()
        if r < 0.3:
            category = self._products[pick(rng, self._demand)].category
            self._page_view(visit, f"/c/{category.lower()}", category)
            self._advance(visit, 300, 1_000)
            self._emit(visit, "view_item_list", {"list_id": f"category-{category.lower()}", "category": category})
        elif r < 0.82:
            self._view_product(visit, pick(rng, self._demand))
        else:
            product = self._products[pick(rng, self._demand)]
            query = f"{product.name.split()[-1].lower()} {rng.choice(('', 'black', 'beige', 'sale', 'women'))}".strip()
            self._emit(visit, "search", {"query": query, "results_count": rng.randint(0, 48)})
            visit.searched = True
            self._advance(visit, 500, 2_000)
            self._emit(visit, "view_item_list", {"list_id": "search-results"})
        if visit.viewed and rng.random() < 0.04:
            self._advance(visit)
            self._emit(visit, "add_to_wishlist", {"product_id": self._products[visit.viewed[-1]].product_id})

    def _switch_campaign(self, visit: Visit, channel: str) -> None:
        """A second click mid-visit (an e-mail or ad opened in another tab): a new touch in the same session."""
        other = self._rng.choice(
            [c for c in ("Email", "Paid Social", "Paid Search", "SMS", "Affiliates") if c != channel]
        )
        touch = touch_for(self._rng, other, self._iso_week)
        self._count_touch(touch)
        self._sessions.mid_visit_campaign_changes += 1
        self._page_view(visit, "/", "Home", touch)

    # --- identity ---------------------------------------------------------------------------------------------

    def _log_in(self, visit: Visit, person: int) -> None:
        self._advance(visit)
        self._page_view(visit, "/account/login", "Sign in")
        self._advance(visit, 3_000, 10_000)
        self._set_user(visit, person)
        if visit.device not in self._audience.household:
            self._audience.login_cookie[visit.device] = 1

    def _log_in_shared_or_second_device(self, visit: Visit) -> None:
        """Shared devices log in every visit (first the owner, then the household member, then either);
        a customer's second device on its first visit."""
        a = self._audience
        device = visit.device
        if visit.user >= 0:
            return
        if device in a.household:
            ordinal = a.visits_so_far[device]
            member = a.household[device]
            person = (device, member)[ordinal % 2] if ordinal < 2 else self._rng.choice((device, member))
            self._log_in(visit, person)
        elif a.kind[device] == EXTRA_DEVICE:
            self._log_in(visit, a.owner[device])

    def _maybe_sign_up_or_log_in(self, visit: Visit) -> None:
        if visit.user >= 0:
            return
        person = self._audience.owner[visit.device]
        if self._audience.has_account[person]:
            if self._rng.random() < P_LOGIN:
                self._log_in(visit, person)
            return
        for method, probability in P_SIGN_UP.items():
            if self._rng.random() < probability:
                self._sign_up(visit, person, method)
                return

    def _sign_up(self, visit: Visit, person: int, method: str) -> None:
        self._advance(visit)
        self._audience.has_account[person] = 1
        self._audience.login_cookie[visit.device] = 1
        self._set_user(visit, person)
        properties = {"method": method, "email": self._email(person)}
        flags = EMAIL
        if method in ("form", "checkout") and self._rng.random() < 0.8:
            properties["phone"] = self._phone(visit.device)
            flags |= PHONE
        self._emit(visit, "sign_up", properties, flags=flags)
        visit.signed_up = True
        self._sessions.sign_ups[method] += 1

    def _email(self, person: int) -> str:
        """As people type them: mixed case, sometimes a stray space (the loader normalises before hashing)."""
        rng = self._rng
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        local = rng.choice(
            (
                f"{first}.{last}",
                f"{first.lower()}.{last.lower()}",
                f"{first[0]}{last}".lower(),
                f"{first.lower()}{person % 1000}",
            )
        )
        return f"{local}@{rng.choice(_MAIL_DOMAINS)}" + (" " if rng.random() < 0.15 else "")

    def _phone(self, device: int) -> str:
        country = self._audience.country_code(device)
        return _PHONE_FORMATS[country].format(self._rng.randint(1, 9), self._rng.randrange(10**6))

    # --- shoppable video --------------------------------------------------------------------------------------

    def _watch(self, visit: Visit, video: Video, channel_lift: float) -> bool:
        """Plays the video; returns whether this viewer, whose visit's channel lifts buying by `channel_lift`,
        goes on to buy in this visit."""
        rng = self._rng
        length = video.length_s
        completed = rng.random() < video.completion_probability
        watched = length if completed else length * rng.uniform(0.03, 0.97)
        timeline: list[tuple[float, int, str, object]] = [(0.0, 0, "video_start", None)]
        for percent in (25, 50, 75):
            if watched >= length * percent / 100:
                timeline.append((length * percent / 100, 1, "video_progress", percent))
        if completed:
            timeline.append((float(length), 1, "video_progress", 100))
            timeline.append((float(length), 2, "video_complete", None))
        clicked: list[tuple[float, Hotspot]] = []
        saw_best_segment = False
        for hotspot in video.hotspots:
            if hotspot.start_s > watched:
                continue
            timeline.append((hotspot.start_s, 3, "hotspot_impression", hotspot))
            saw_best_segment |= hotspot.segment == self._catalog.best_segment
            if rng.random() < hotspot.click_probability:
                position = round(rng.uniform(hotspot.start_s, min(hotspot.end_s, watched)), 1)
                timeline.append((position, 4, "hotspot_click", hotspot))
                clicked.append((position, hotspot))
        lift = video.conversion_multiplier * (CONVERSION_LIFT if saw_best_segment else 1.0) * channel_lift
        buys = rng.random() < P_PURCHASE_AFTER_VIDEO * lift
        for position, hotspot in clicked:
            if rng.random() < 0.5:
                timeline.append((position + 1.5, 5, "view_item", hotspot))
            if rng.random() < 0.05:
                timeline.append((position + 3.0, 6, "add_to_wishlist", hotspot))
        if clicked and rng.random() < (P_IN_VIDEO_INTENT_BUYER if buys else P_IN_VIDEO_INTENT_BROWSER):
            position, hotspot = rng.choice(clicked)
            if self._units_left(visit, self._product_index[hotspot.product_id]) and self._may_intend(visit, video):
                timeline.append((position + 4.0, 7, "buy_now" if rng.random() < P_BUY_NOW else "add_to_cart", hotspot))
        timeline.sort(key=lambda item: (item[0], item[1]))
        self._play(visit, video, timeline)
        return buys

    def _may_intend(self, visit: Visit, video: Video) -> bool:
        """One visit per (person, video) with in-video intents, and none on shared devices: which intent
        the abandonment window starts from is then never ambiguous."""
        if visit.device in self._audience.household:
            return False
        pair = (self._audience.owner[visit.device], video.video_id)
        if pair in self._intent_pairs:
            return False
        self._intent_pairs.add(pair)
        return True

    def _play(self, visit: Visit, video: Video, timeline: list[tuple[float, int, str, object]]) -> None:
        self._advance(visit, 1_000, 2_000)
        started = visit.ms
        video_id = video.video_id
        for position, _, name, detail in timeline:
            visit.ms = started + int(position * 1000)
            if name in ("video_start", "video_complete"):
                self._emit(visit, name, {"video_id": video_id, "position_s": round(position, 1)})
            elif name == "video_progress":
                self._emit(visit, name, {"video_id": video_id, "percent": detail, "position_s": round(position, 1)})
            elif name in ("hotspot_impression", "hotspot_click"):
                # Only humans watch (crawlers never play a video), and a written event is one valid unique
                # event however often it is re-delivered: these counts are exactly what the marts must show.
                self.hotspot_events[(detail.hotspot_id, name)] += 1
                event_id = self._emit(
                    visit,
                    name,
                    {
                        "video_id": video_id,
                        "hotspot_id": detail.hotspot_id,
                        "product_id": detail.product_id,
                        "position_s": round(position, 1),
                    },
                )
                if name == "hotspot_click":
                    self.clicks.append((visit.device, detail.product_id, video_id, detail.hotspot_id, visit.ms))
                    self.video_interactions.append((visit.device, visit.ms, event_id, video_id))
            elif name == "view_item":
                self._view_product(visit, self._product_index[detail.product_id], video=video_id)
            elif name == "add_to_wishlist":
                self._emit(
                    visit,
                    name,
                    {"product_id": detail.product_id, "video_id": video_id, "hotspot_id": detail.hotspot_id},
                )
            else:
                self._in_video_intent(visit, name, video_id, detail, position)
        self._advance(visit)

    def _in_video_intent(self, visit: Visit, name: str, video_id: str, hotspot: Hotspot, position: float) -> None:
        product = self._product_index[hotspot.product_id]
        price = self._prices[visit.currency][product]
        visit.cart.append(CartLine(product, 1, price))
        event_id = self._emit(
            visit,
            name,
            {
                "product_id": hotspot.product_id,
                "price": price / 100,
                "quantity": 1,
                "currency": visit.currency,
                "cart_id": visit.cart_id,
                "video_id": video_id,
                "hotspot_id": hotspot.hotspot_id,
                "position_s": round(position - 4.0, 1),
            },
        )
        self.intents.append(IntentRecord(visit.device, visit.user, video_id, visit.ms))
        self.video_interactions.append((visit.device, visit.ms, event_id, video_id))

    # --- cart, checkout, order --------------------------------------------------------------------------------

    def _fill_cart(self, visit: Visit) -> None:
        rng = self._rng
        wanted = 0 if visit.cart else (1 if rng.random() < 0.7 else rng.randint(2, 3))
        for _ in range(wanted):
            if visit.viewed and rng.random() < 0.8:
                product = rng.choice(visit.viewed)
            else:
                product = pick(rng, self._demand)
                self._advance(visit)
                self._view_product(visit, product)
            quantity = min(1 if rng.random() < 0.85 else rng.randint(2, 3), self._units_left(visit, product))
            if not quantity:
                continue  # sold out, or no demand for it today: the shopper leaves it
            self._advance(visit)
            self._add_to_cart(visit, product, quantity)
        if len(visit.cart) > 1 and rng.random() < 0.15:
            removed = visit.cart.pop(rng.randrange(len(visit.cart)))
            self._advance(visit)
            self._emit(
                visit,
                "remove_from_cart",
                {
                    "product_id": self._products[removed.product].product_id,
                    "quantity": removed.quantity,
                    "cart_id": visit.cart_id,
                },
            )

    def _add_to_cart(self, visit: Visit, product: int, quantity: int) -> None:
        price = self._prices[visit.currency][product]
        self._emit(
            visit,
            "add_to_cart",
            {
                "product_id": self._products[product].product_id,
                "price": price / 100,
                "quantity": quantity,
                "currency": visit.currency,
                "cart_id": visit.cart_id,
            },
        )
        visit.cart.append(CartLine(product, quantity, price))

    def _units_left(self, visit: Visit, product: int) -> int:
        """Units of the product this visit can still put in its cart: none on a day it has no demand (not
        launched, an intermittent seller's quiet day), else what is on hand less what the cart holds."""
        if not self._in_demand[product]:
            return 0
        return self._stock.on_hand[product] - sum(line.quantity for line in visit.cart if line.product == product)

    def _cart_value(self, visit: Visit) -> int:
        return sum(line.price_cents * line.quantity for line in visit.cart)

    def _begin_checkout(self, visit: Visit, steps: int) -> None:
        self._advance(visit)
        self._page_view(visit, "/cart", "Your bag")
        self._advance(visit)
        self._emit(
            visit,
            "begin_checkout",
            {"value": self._cart_value(visit) / 100, "currency": visit.currency, "cart_id": visit.cart_id},
        )
        for step in range(1, steps + 1):
            self._advance(visit, 5_000, 30_000)
            self._emit(visit, "checkout_step", {"step": step, "step_name": _CHECKOUT_STEPS[step - 1]})

    def _abandon_checkout(self, visit: Visit) -> None:
        if self._rng.random() < 0.45:
            self._begin_checkout(visit, self._rng.randint(0, 2))

    def _purchase(self, visit: Visit) -> None:
        """Orders need an account: a guest signs up at checkout, a known customer logs in. The browser reports
        the order, or now and then the shop's backend does (server-side, with a script's user agent)."""
        if visit.user < 0:
            person = self._audience.owner[visit.device]
            if self._audience.has_account[person]:
                self._log_in(visit, person)
            else:
                self._sign_up(visit, person, "checkout")
        self._begin_checkout(visit, 3)
        server_side = self._server_side_orders.take()
        if server_side:
            self._advance(visit, 2_000, 5_000)  # seconds after the last checkout step: within the session
        else:
            self._advance(visit, 10_000, 30_000)
        order = self._order(visit)
        if server_side:
            device, late = self._server_side_purchase(visit, order)
        else:
            self._emit(visit, "purchase", order)
            visit.purchased = True
            device, late = visit.device, False
        self._count_order(visit, order, device)
        visit.ordered = True
        day = self._stream.day_of(visit.ms)
        # A late-delivered purchase is refunded the next day, so its refund is in an earlier file than itself.
        self._plan_refund(visit, order, day + 1 if late else None)
        if self._refunds_without_order.take():
            self._refund_of_an_order_before_the_data(visit)
        visit.cart = []

    def _count_order(self, visit: Visit, order: dict, device: int) -> None:
        sessions = self._sessions
        sessions.orders += 1
        sessions.revenue_cents[visit.currency] += round(order["revenue"] * 100)
        day = self._stream.day_of(visit.ms)
        rate = self._fx.rate_to_reporting(visit.currency, day)
        sessions.revenue_reporting += order["revenue"] * rate
        sold = self.units_sold.setdefault(day, Counter())
        for line in visit.cart:
            sold[line.product] += line.quantity
            self._stock.sell(line.product, line.quantity, day)
        self.purchases_by_person.setdefault(visit.user, []).append(visit.ms)
        lines = [(self._products[line.product].product_id, line.price_cents * line.quantity) for line in visit.cart]
        self.orders.append(OrderRecord(device, visit.user, visit.ms, rate, lines, round(order["revenue"] * 100)))

    # --- server-side money ------------------------------------------------------------------------------------

    def _server_visit(self, visit: Visit, anonymous_id: str, user_json: str | None = None) -> Visit:
        """The shop's backend, reporting for a visitor: its own user agent and address, the visitor's ids."""
        return Visit(
            device=visit.device,
            anonymous_id=anonymous_id,
            context=self._rng.choice(self._server_contexts),
            offset=0,
            ip_flag=0,
            currency=visit.currency,
            is_bot=True,
            ms=visit.ms,
            last_ms=visit.ms,
            user=visit.user,
            user_json=visit.user_json if user_json is None else user_json,
        )

    def _backend_id(self) -> str:
        self._backend_seq += 1
        return f"srv-{self._backend_ids.hex(self._backend_seq)}"

    def _server_side_purchase(self, visit: Visit, order: dict) -> tuple[int, bool]:
        """(device the order belongs to, -1 for none; whether its delivery is held back past its refund)."""
        sessions = self._sessions
        sessions.server_side_orders += 1
        backend = self._backend_id_orders.take()
        server = self._server_visit(visit, self._backend_id() if backend else visit.anonymous_id)
        late = self._stream.can_hold_back(server.ms, LATE_ORDER_LAG_DAYS) and self._late_delivered_orders.take()
        self._emit(server, "purchase", order, lag=LATE_ORDER_LAG_DAYS if late else 0)
        sessions.orders_without_session += backend
        sessions.server_side_order_sessions += not backend
        sessions.orders_delivered_after_their_refund += late
        visit.last_ms = server.ms
        return (-1 if backend else visit.device), late

    def _refund_of_an_order_before_the_data(self, visit: Visit) -> None:
        """The backend refunds an order placed before the data starts: the warehouse never gets that order."""
        rng = self._rng
        server = self._server_visit(visit, self._backend_id(), user_json="null")
        server.ms += rng.randint(1, 60) * MINUTE_MS
        self._refund_seq += 1
        amount = rng.randint(10, 150) * 100 - 1
        properties = {
            "order_id": f"LL-0{self._refund_seq:05d}",
            "amount": amount / 100,
            "currency": visit.currency,
            "refund_id": self._refund_id(),
        }
        self._emit(server, "refund", properties)
        sessions = self._sessions
        sessions.refunds_without_order += 1
        sessions.refund_without_order_cents[visit.currency] += amount
        rate = self._fx.rate_to_reporting(visit.currency, self._stream.day_of(server.ms))
        sessions.refund_without_order_reporting += amount / 100 * rate

    def _refund_id(self) -> str:
        self._refund_seq += 1
        return f"RF-{300000 + self._refund_seq}"

    def _order(self, visit: Visit) -> dict:
        rng = self._rng
        self._order_seq += 1
        subtotal = self._cart_value(visit)
        discount, coupon = 0, None
        r = rng.random()
        for code, rate, share in COUPONS:
            if r < share:
                discount, coupon = round(subtotal * rate), code
                break
            r -= share
        shipping = 0 if subtotal - discount >= 6000 else 495
        revenue = subtotal - discount + shipping
        order = {
            "order_id": f"LL-{100000 + self._order_seq}",
            "revenue": revenue / 100,
            "currency": visit.currency,
            "items": [
                {
                    "product_id": self._products[line.product].product_id,
                    "price": line.price_cents / 100,
                    "quantity": line.quantity,
                }
                for line in visit.cart
            ],
            "tax": round(revenue * 19 / 119) / 100,  # VAT included in the revenue
            "shipping": shipping / 100,
            "discount": discount / 100,
        }
        if coupon:
            order["coupon"] = coupon
        return order

    def _plan_refund(self, visit: Visit, order: dict, refund_day: int | None) -> None:
        """A refund `refund_day` (when given) or a few days after the order, for part of it or all; sometimes a
        second one follows, now and then for more than is left of the order (booked up to what is left)."""
        rng = self._rng
        if refund_day is None:
            if rng.random() >= P_REFUND:
                return
            refund_day = self._stream.day_of(visit.ms) + rng.randint(*REFUND_DELAY_DAYS)
        if refund_day >= self._days:
            return
        revenue = round(order["revenue"] * 100)
        first_item = order["items"][0]
        if rng.random() < P_PARTIAL_REFUND and revenue > 200:
            amount = min(revenue - 100, round(first_item["price"] * 100) * first_item["quantity"])
            items = [first_item]
        else:
            amount, items = revenue, None
        rate = self._fx.rate_to_reporting(visit.currency, self._stream.day_of(visit.ms))
        plan = RefundPlan(visit.device, visit.user, order["order_id"], visit.currency, amount, items, rate)
        rest = revenue - amount
        after = rng.randint(*SECOND_REFUND_DELAY_DAYS)
        if refund_day + after < self._days and self._over_refunds.take():
            # A goodwill credit on top of what was refunded, or a partial refund booked twice: more than is left.
            over = rest + max(100, round(revenue * rng.uniform(0.05, 0.25)))
            plan.then = RefundPlan(
                visit.device, visit.user, order["order_id"], visit.currency, over, None, rate, after_days=after
            )
        elif items is not None and rng.random() < P_SECOND_REFUND:
            plan.then = RefundPlan(
                visit.device,
                visit.user,
                order["order_id"],
                visit.currency,
                max(1, rest // 2),
                None,
                rate,
                after_days=after,
            )
        self._left_to_refund[order["order_id"]] = revenue
        self._schedule_refund(plan, refund_day)

    def _schedule_refund(self, plan: RefundPlan, day: int) -> None:
        if day < self._days:
            self.refunds_due.setdefault(day, []).append(plan)

    def _refund_visit(self, visit: Visit, plan: RefundPlan) -> None:
        """The customer opens the order in their account and the shop books the refund: mostly its backend,
        which now and then sends the same refund (same refund_id) twice."""
        self._sessions.by_channel[DIRECT.channel] += 1
        self._sessions.refund_sessions += 1
        self._set_user(visit, plan.user)
        self._page_view(visit, f"/account/orders/{plan.order_id}", "Your order", DIRECT)
        self._advance(visit, 20_000, 40_000)
        properties: dict = {"order_id": plan.order_id, "amount": plan.amount_cents / 100, "currency": plan.currency}
        if plan.items is not None:
            properties["items"] = plan.items
        if self._rng.random() < P_REFUND_ID:
            properties["refund_id"] = self._refund_id()
        if self._server_side_refunds.take():
            self._server_side_refund(visit, properties)
        else:
            self._emit(visit, "refund", properties)
        self._book_refund(plan)
        if plan.then is not None:
            self._schedule_refund(plan.then, self._day + plan.then.after_days)

    def _server_side_refund(self, visit: Visit, properties: dict) -> None:
        server = self._server_visit(visit, visit.anonymous_id)
        self._emit(server, "refund", properties)
        self._sessions.server_side_refunds += 1
        if "refund_id" in properties and self._resent_refunds.take():
            server.ms += self._rng.randint(1, 10) * MINUTE_MS
            self._emit(server, "refund", properties)  # a new event_id, the same refund_id: counted once
            self._sessions.refunds_resent += 1
        # The device's next visit is spaced from the backend's last word about it too.
        visit.last_ms = max(visit.last_ms, server.ms)

    def _book_refund(self, plan: RefundPlan) -> None:
        """Booked up to what is left of the order's revenue (in refunded_at order); the rest is excess."""
        left = self._left_to_refund[plan.order_id]
        booked = min(plan.amount_cents, left)
        excess = plan.amount_cents - booked
        self._left_to_refund[plan.order_id] = left - booked
        sessions = self._sessions
        sessions.refunds += 1
        sessions.refunded_orders.add(plan.order_id)
        sessions.refund_cents[plan.currency] += booked
        sessions.refund_reporting += booked / 100 * plan.rate_to_reporting
        if excess:
            sessions.refunds_over_order += 1
            sessions.refund_excess_cents[plan.currency] += excess
            sessions.refund_excess_reporting += excess / 100 * plan.rate_to_reporting

    # --- bots -------------------------------------------------------------------------------------------------

    def _crawl(self, visit: Visit) -> None:
        """Crawlers and scripts: many fast page loads, never a login or an order."""
        rng = self._rng
        self._page_view(visit, "/", "Home", DIRECT)
        for _ in range(rng.randint(5, 24)):
            visit.ms += rng.randint(300, 4_000)
            r = rng.random()
            product = rng.choice(self._launched)
            if r < 0.55:
                p = self._products[product]
                self._page_view(visit, f"/p/{p.product_id}", p.name)
            elif r < 0.85:
                self._emit(
                    visit,
                    "view_item",
                    {
                        "product_id": self._products[product].product_id,
                        "price": self._prices["EUR"][product] / 100,
                        "currency": "EUR",
                    },
                )
            else:
                category = self._products[product].category
                self._emit(visit, "view_item_list", {"list_id": f"category-{category.lower()}", "category": category})

    def uptime_check(self) -> None:
        """The shop's uptime monitor loads the home page hours after the last visitor left: the newest event is
        a bot's, which must not move the warehouse clock (CONTRACT section 7)."""
        visit = self._open(self._audience.first_bot, self.warehouse_clock_ms + UPTIME_CHECK_AFTER_MS)
        self._page_view(visit, "/", "Home", DIRECT)
        self._close(visit)

    @property
    def latest_ms(self) -> int:
        return self._stream.latest_ms

    # --- what only the end can tell ---------------------------------------------------------------------------

    def abandonment(self) -> dict:
        """Abandoned stream intent (CONTRACT section 9), counted the way the contract defines people.

        A person is the customer the device is stitched to (the latest user_id ever seen on the anonymous_id,
        CONTRACT section 7), else the anonymous_id. A (person, video) pair is abandoned when no purchase of
        that person follows its last in-video intent within 24 hours and those 24 hours have passed by the
        warehouse clock, the newest occurred_at of a non-bot event; while they have not, the pair is pending.
        Orders count whoever sent them (server-side ones too) and belong to the device's person.
        """
        now = self.warehouse_clock_ms
        stitched: dict[tuple[int, str], int] = {}
        by_event_identity: dict[tuple[int, str], int] = {}
        for intent in self.intents:
            latest_user = self._audience.latest_user[intent.device]
            person = latest_user if latest_user >= 0 else -1 - intent.device
            stitched[(person, intent.video)] = max(stitched.get((person, intent.video), 0), intent.ms)
            person = intent.user if intent.user >= 0 else -1 - intent.device
            by_event_identity[(person, intent.video)] = max(by_event_identity.get((person, intent.video), 0), intent.ms)
        outcome = self._judge_pairs(stitched, now)
        outcome["pairs_by_event_user_id"] = self._judge_pairs(by_event_identity, now)["pairs"]
        by_any_clock = self._judge_pairs(stitched, self._stream.latest_ms)
        outcome["if_bots_moved_the_clock"] = {k: by_any_clock[k] for k in ("pairs", "pending_pairs")}
        return outcome

    def _person(self, device: int) -> int:
        """The one person rule: the device's latest user, else the device itself (negative)."""
        latest_user = self._audience.latest_user[device]
        return latest_user if latest_user >= 0 else -1 - device

    def _order_person(self, order: OrderRecord) -> int:
        """An order sent with a backend id has no device: its person is its user."""
        return order.user if order.device < 0 else self._person(order.device)

    def hotspot_attribution(self) -> dict[str, float]:
        """hotspot_id -> revenue (reporting currency) of order lines credited to it: each line of an order goes
        to its person's latest click on that product's hotspots within the lookback before the order."""
        clicks: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
        for device, product, _, hotspot, ms in self.clicks:
            clicks[(self._person(device), product)].append((ms, hotspot))
        credited: Counter = Counter()
        for order in self.orders:
            person = self._order_person(order)
            for product, cents in order.lines:
                before = [c for c in clicks.get((person, product), ()) if c[0] < order.ms <= c[0] + LOOKBACK_MS]
                if before:
                    credited[max(before)[1]] += cents / 100 * order.rate_to_reporting
        return {hotspot: round(revenue, 4) for hotspot, revenue in sorted(credited.items())}

    def video_credit(self) -> dict[str, dict]:
        """video_id -> orders credited whole to it and their revenue (reporting currency): each order goes to
        its person's latest in-video interaction (hotspot click, in-video add_to_cart or buy_now) within the
        lookback before the order; on one millisecond the larger event_id wins, as in the warehouse. Revenue is
        each order's revenue at its order day's rate, rounded to the 4 decimals the warehouse keeps."""
        interactions: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
        for device, ms, event_id, video in self.video_interactions:
            interactions[self._person(device)].append((ms, event_id, video))
        orders: Counter = Counter()
        revenue: Counter = Counter()
        for order in self.orders:
            before = [
                i for i in interactions.get(self._order_person(order), ()) if i[0] < order.ms <= i[0] + LOOKBACK_MS
            ]
            if before:
                video = max(before)[2]
                orders[video] += 1
                revenue[video] += round(order.revenue_cents / 100 * order.rate_to_reporting, 4)
        return {
            video: {"orders": n, "revenue_reporting": round(revenue[video], 4)} for video, n in sorted(orders.items())
        }

    def _judge_pairs(self, last_intent: dict[tuple[int, str], int], now: int) -> dict:
        abandoned = converted = pending = 0
        for (person, _), ms in last_intent.items():
            orders = self.purchases_by_person.get(person, []) if person >= 0 else []
            if any(ms < t <= ms + ABANDONMENT_WINDOW_MS for t in orders):
                converted += 1
            elif ms + ABANDONMENT_WINDOW_MS <= now:
                abandoned += 1
            else:
                pending += 1
        closed = abandoned + converted
        return {
            "pairs": abandoned,
            "share": round(abandoned / closed, 4) if closed else 0.0,
            "converted_pairs": converted,
            "pending_pairs": pending,
        }
