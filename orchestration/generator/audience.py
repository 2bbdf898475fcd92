"""Who visits: devices (anonymous_ids), the people behind them, bots, and on which days each device comes.

Kept in compact arrays so a million visitors fit in tens of megabytes; strings are derived when an event
needs them.
"""

import json
import random
from array import array
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from orchestration.generator.catalog import pick
from orchestration.generator.clock import WEEKDAY_TRAFFIC
from orchestration.generator.ids import IdMint

HUMAN, EXTRA_DEVICE, BOT = 0, 1, 2

# (device_type, user agent, weight). None of these contains a pattern of seeds/bot_user_agents.csv.
HUMAN_USER_AGENTS: tuple[tuple[str, str, float], ...] = (
    (
        "mobile",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.6 Mobile/15E148 Safari/604.1",
        0.24,
    ),
    (
        "mobile",
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/128.0.6613.127 Mobile Safari/537.36",
        0.18,
    ),
    (
        "mobile",
        "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/127.0.6533.103 Mobile Safari/537.36",
        0.06,
    ),
    (
        "mobile",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 Instagram 343.0.0.33.101 (iPhone14,5; iOS 17_5; de_DE; de; scale=3.00; 1170x2532)",
        0.08,
    ),
    (
        "mobile",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 musical_ly_36.1.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en",
        0.06,
    ),
    (
        "desktop",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/128.0.0.0 Safari/537.36",
        0.16,
    ),
    (
        "desktop",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.6 Safari/605.1.15",
        0.08,
    ),
    ("desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0", 0.04),
    (
        "desktop",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/128.0.0.0 Safari/537.36 Edg/128.0.2739.67",
        0.04,
    ),
    (
        "tablet",
        "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.6 Mobile/15E148 Safari/604.1",
        0.04,
    ),
    (
        "tablet",
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/128.0.6613.127 Safari/537.36",
        0.02,
    ),
)
# One per pattern family of seeds/bot_user_agents.csv, each containing its pattern (case-insensitively).
BOT_USER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 "
    "(compatible; Bytespider; spider-feedback@bytedance.com)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/127.0.0.0 Safari/537.36",
    "python-requests/2.31.0",
    "curl/8.5.0",
    "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
)
# (country, locale, order currency, weight)
COUNTRIES: tuple[tuple[str, str, str, float], ...] = (
    ("DE", "de-DE", "EUR", 0.30),
    ("FR", "fr-FR", "EUR", 0.11),
    ("IT", "it-IT", "EUR", 0.09),
    ("ES", "es-ES", "EUR", 0.07),
    ("NL", "nl-NL", "EUR", 0.07),
    ("AT", "de-AT", "EUR", 0.04),
    ("BE", "nl-BE", "EUR", 0.03),
    ("GB", "en-GB", "GBP", 0.12),
    ("US", "en-US", "USD", 0.12),
    ("SE", "sv-SE", "SEK", 0.05),
)
_IPV4_FIRST_OCTETS = (
    31,
    37,
    46,
    62,
    77,
    78,
    79,
    80,
    81,
    82,
    84,
    85,
    86,
    87,
    88,
    89,
    90,
    91,
    93,
    94,
    95,
    109,
    151,
    176,
    178,
    185,
    188,
    193,
    194,
    195,
    212,
    213,
    217,
)
_BOT_FIRST_OCTETS = (3, 18, 34, 35, 52, 54, 66, 104, 157, 207)
_IPV6_PREFIXES = ("2a02:8109", "2a01:c23", "2003:e2", "2a00:23c6", "2600:1700", "2001:16b8")

SHARE_EXTRA_DEVICE = 0.02  # devices that are a known customer's second device (cross-device logins)
SHARE_BOTS = 0.002  # bot devices; each crawls a lot, so they produce about 2-3% of events
SHARE_SHARED_DEVICE = 0.004  # devices two customers log in on
SHARE_EXISTING_CUSTOMERS = 0.15  # people who already have an account when the data starts
SHARE_IPV6 = 0.12
SHARE_LOCAL_OFFSET = 0.06  # devices whose clock writes +02:00 instead of Z
LOCAL_OFFSET_MINUTES = 120
# Visits per human device: most come once, some return several times.
_VISIT_COUNTS = ((1, 0.70), (2, 0.17), (3, 0.07), (4, 0.03), (5, 0.015), (6, 0.008), (8, 0.005), (10, 0.002))


@dataclass(frozen=True)
class DeviceProfile:
    device_type: str
    user_agent: str
    is_bot: bool


class Audience:
    """Devices 0..primary-1 belong to person i; then customers' second devices; bots last.

    Persons primary..persons-1 are household members who only ever use a shared device.
    """

    def __init__(self, rng: random.Random, visitors: int, seed: int):
        self.bots = max(3, round(visitors * SHARE_BOTS))
        extra = round(visitors * SHARE_EXTRA_DEVICE)
        self.primary = max(1, visitors - self.bots - extra)
        self.devices = self.primary + extra + self.bots
        self.first_bot = self.primary + extra
        self._anonymous = IdMint(seed, "anonymous_id")
        self._customer = IdMint(seed, "user_id", bits=64)
        self._ipv6 = IdMint(seed, "ipv6", bits=96)  # six groups after a two-group prefix

        self.kind = bytearray(self.devices)
        self.owner = array("i", range(self.devices))
        self.profile = bytearray(self.devices)
        self.country = bytearray(self.devices)
        self.ipv4 = array("I", [0]) * self.devices
        self.is_ipv6 = bytearray(self.devices)
        self.local_offset = bytearray(self.devices)
        self.household: dict[int, int] = {}  # shared device -> the second person using it

        shared = round(self.primary * SHARE_SHARED_DEVICE)
        self.persons = self.primary + shared
        self.has_account = bytearray(self.persons)
        # Mutable per-device state while traffic runs.
        self.login_cookie = bytearray(self.devices)
        self.latest_user = array("i", [-1]) * self.devices
        self.last_event_ms = array("q", [0]) * self.devices
        self.visits_so_far = array("H", [0]) * self.devices

        self.profiles = tuple(DeviceProfile(t, ua, False) for t, ua, _ in HUMAN_USER_AGENTS) + tuple(
            DeviceProfile("desktop", ua, True) for ua in BOT_USER_AGENTS
        )
        # The JSON of a device's context around its ip, per (profile, country): built once, not per visit.
        self._context_parts = [[_context_parts(profile, country) for country in COUNTRIES] for profile in self.profiles]
        self._draw(rng, extra, shared)

    def _draw(self, rng: random.Random, extra: int, shared: int) -> None:
        ua_weights = list(accumulate(w for _, _, w in HUMAN_USER_AGENTS))
        country_weights = list(accumulate(w for *_, w in COUNTRIES))
        for person in range(self.primary):
            self.has_account[person] = rng.random() < SHARE_EXISTING_CUSTOMERS
        for device in range(self.devices):
            is_bot = device >= self.first_bot
            self.country[device] = 8 if is_bot and rng.random() < 0.6 else pick(rng, country_weights)
            if is_bot:
                self.kind[device] = BOT
                self.owner[device] = -1
                self.profile[device] = len(HUMAN_USER_AGENTS) + rng.randrange(len(BOT_USER_AGENTS))
                self.ipv4[device] = rng.choice(_BOT_FIRST_OCTETS) << 24 | rng.getrandbits(24)
                continue
            self.profile[device] = pick(rng, ua_weights)
            self.ipv4[device] = rng.choice(_IPV4_FIRST_OCTETS) << 24 | rng.getrandbits(24)
            self.is_ipv6[device] = rng.random() < SHARE_IPV6
            self.local_offset[device] = rng.random() < SHARE_LOCAL_OFFSET
        # A second device belongs to a customer: they log in on it, linking two anonymous_ids to one user_id.
        for device in range(self.primary, self.primary + extra):
            person = rng.randrange(self.primary)
            self.kind[device] = EXTRA_DEVICE
            self.owner[device] = person
            self.has_account[person] = 1
        # Shared devices are chosen among people with one device, so every purchase is made by the person the
        # device is stitched to, or by the one whose user_id it carries, never a third.
        with_second_device = set(self.owner[self.primary : self.primary + extra])
        single_device = [d for d in range(self.primary) if d not in with_second_device]
        for k, device in enumerate(rng.sample(single_device, min(shared, len(single_device)))):
            member = self.primary + k
            self.household[device] = member
            self.has_account[member] = 1
            self.has_account[device] = 1

    # --- identities -------------------------------------------------------------------------------------------

    def anonymous_id(self, device: int) -> str:
        return self._anonymous.uuid(device)

    def user_id(self, person: int) -> str:
        return f"cus_{self._customer.hex(person)}"

    def is_bot(self, device: int) -> bool:
        return self.kind[device] == BOT

    def ip(self, device: int) -> str:
        if self.is_ipv6[device]:
            h = self._ipv6.hex(device)
            host = ":".join(h[i : i + 4].lstrip("0") or "0" for i in range(0, 24, 4))
            return f"{_IPV6_PREFIXES[device % len(_IPV6_PREFIXES)]}:{host}"
        v = self.ipv4[device]
        return f"{v >> 24}.{v >> 16 & 255}.{v >> 8 & 255}.{v & 255}"

    def context_json(self, device: int) -> str:
        head, tail = self._context_parts[self.profile[device]][self.country[device]]
        return f"{head}{self.ip(device)}{tail}"

    def country_code(self, device: int) -> str:
        return COUNTRIES[self.country[device]][0]

    def currency(self, device: int) -> str:
        return COUNTRIES[self.country[device]][2]

    def offset_minutes(self, device: int) -> int:
        return LOCAL_OFFSET_MINUTES if self.local_offset[device] else 0


def _context_parts(profile: DeviceProfile, country: tuple[str, str, str, float]) -> tuple[str, str]:
    marker = "\0ip\0"
    text = json.dumps(
        {
            "device_type": profile.device_type,
            "user_agent": profile.user_agent,
            "ip": marker,
            "country": country[0],
            "locale": country[1],
        },
        separators=(",", ":"),
    )
    head, tail = text.split(json.dumps(marker)[1:-1])
    return head, tail


def _visit_days(rng: random.Random, count: int, day_weights: list[float]) -> list[int]:
    days: set[int] = set()
    while len(days) < count:
        days.add(pick(rng, day_weights))
    return sorted(days)


def schedule_visits(rng: random.Random, audience: Audience, days: int, start_date: date) -> list[array]:
    """For each day, the devices that start a visit that day (one visit per device and day).

    Days are drawn with the weekly rhythm, so weekends carry more visits.
    """
    weekdays = [(start_date + timedelta(days=d)).weekday() for d in range(days)]
    day_weights = list(accumulate(WEEKDAY_TRAFFIC[w] for w in weekdays))
    count_weights = list(accumulate(w for _, w in _VISIT_COUNTS))
    by_day = [array("i") for _ in range(days)]
    for device in range(audience.devices):
        kind = audience.kind[device]
        if kind == BOT:
            count = rng.randint(5, 14)
        else:
            count = _VISIT_COUNTS[pick(rng, count_weights)][0]
            if kind == EXTRA_DEVICE or device in audience.household:
                count += 2  # both people of a shared device, and the second device, must show up
            elif audience.has_account[audience.owner[device]]:
                count += 1
        for day in _visit_days(rng, min(count, days), day_weights):
            by_day[day].append(device)
    return by_day
