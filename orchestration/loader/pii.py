"""Personal data never reaches the warehouse in the clear (CONTRACT section 6), wherever a tracker put it.

Two passes share one set of patterns. In DuckDB, one regular expression over every event line and every
CSV text value picks the few that may hold an e-mail, a phone or an IP address besides context.ip, which
SQL cuts itself (it is on every line). Only the picked ones reach Python, where the standard library
decodes URLs and judges IPs and `phonenumbers` judges digit runs:
- an identifier (user_id, anonymous_id, event_id) that is an e-mail or phone becomes its salted hash, the
  same hash properties.email_sha256 / phone_sha256 carry, so stitching and erasure find the person;
- properties.email and properties.phone become email_sha256 and phone_sha256;
- any other text gets each address masked in place as [email:<12 hex>] or [phone:<12 hex>]: the first
  characters of the same salted hash, so a masked mention can still be matched to a customer;
- IPv4 addresses keep three octets (the last becomes 0), IPv6 addresses their first 48 bits.

A run of bare digits that neither starts with + or 0 nor is written with separators is a number, not a
phone: shops' order and customer ids are such runs.
"""

import hashlib
import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from urllib.parse import quote, unquote

import duckdb
import phonenumbers
import pyarrow as pa

DEMO_SALT = "funnelhouse-demo-salt-change-me"
# National numbers (no + or 00) are phones when possible in any of these regions.
DEFAULT_PHONE_REGIONS = ("GB", "US", "DE", "FR", "IT", "ES", "NL")
MASK_HASH_CHARS = 12

# Patterns are written for both RE2 (DuckDB) and Python's re: no look-arounds, so boundaries are groups.
_EMAIL = r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_NOT_WORD = r"(^|[^0-9A-Za-z_./-])"
# A full stop may end a sentence after a number; an @ makes the digits an e-mail's.
_NOT_WORD_AFTER = r"([^0-9A-Za-z_./@-]|\.([^0-9A-Za-z_]|$)|$)"
# Digits written as people write phones: with spaces, dashes or brackets (+44 7700 900123, (415) 553-1234),
# with dots in groups (06.12.34.56.78, +1.202.555.0147, 202.555.0147: never four groups of one to three
# digits, an IPv4 address), or an area code and a slash (030/12345678). Never touching letters, dots,
# dashes or slashes, which keeps timestamps, UUIDs, prices, paths and version numbers out.
_PHONE_SHAPE = "|".join(
    (
        r"\+?\(?\d[\d \-()]{5,20}\d",
        r"\d{3}\.\d{3}\.\d{4}",
        r"\+\d{1,4}(?:\.\d{2,4}){2,5}",
        r"\d{2}(?:\.\d{2}){4}",
        r"\d{2,5}/\d{4,10}",
    )
)
_PHONE = rf"{_NOT_WORD}({_PHONE_SHAPE})" + _NOT_WORD_AFTER
# Dates are digits and dashes too: 2026-09-01 (and 2026-09-01 10, before a time's colon) is no phone.
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_HEX = "[0-9A-Fa-f]{1,4}"
# IPv4 keeps three octets; IPv6 its first 48 bits, written with :: (the rest of the address is consumed).
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IP_END = r"([^0-9A-Za-z.]|\.([^0-9A-Za-z]|$)|$)"  # 203.0.113.77:8080 and "... 203.0.113.77." too
_IPV6_END = r"([^0-9A-Za-z.:]|$)"
_IPV4 = (rf"(^|[^0-9A-Za-z.])({_OCTET}\.{_OCTET}\.{_OCTET})\.{_OCTET}{_IP_END}", r"\1\2.0\3")
_IPV6_THREE_GROUPS = (rf"(^|[^0-9A-Za-z:.])({_HEX}:{_HEX}:{_HEX}):[0-9A-Fa-f:.]*", r"\1\2::")
# ::a:b:c:d:e:f is 0:0:a:b:..., and ::a:b:c:d:e:f:g is 0:a:b:...: their /48 holds groups after the ::.
_IPV6_SIX_AFTER_LEADING_ZEROS = (rf"(^|[^0-9A-Za-z:.])::({_HEX})(?::{_HEX}){{5}}{_IPV6_END}", r"\10:0:\2::\3")
_IPV6_SEVEN_AFTER_LEADING_ZERO = (rf"(^|[^0-9A-Za-z:.])::({_HEX}:{_HEX})(?::{_HEX}){{5}}{_IPV6_END}", r"\10:\2::\3")
_IPV6_COMPRESSED_EARLY = (rf"(^|[^0-9A-Za-z:.])((?:{_HEX}(?::{_HEX})?)?)::[0-9A-Fa-f:.]*", r"\1\2::")
_IP_RULES = (
    _IPV4,
    _IPV6_THREE_GROUPS,
    _IPV6_SIX_AFTER_LEADING_ZEROS,
    _IPV6_SEVEN_AFTER_LEADING_ZERO,
    _IPV6_COMPRESSED_EARLY,
)
_IPV4_CORE = rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}{_IP_END}"
_IPV6_CORE = rf"({_HEX}:{_HEX}:{_HEX}:|{_HEX}(:{_HEX}){{0,2}}::|::{_HEX})"
# Any key but "ip" (context.ip, on every line, is cut by SQL alone; a second "ip" key is Python's).
_NOT_IP_KEY = r'"([^"i][^"]*|i[^"p][^"]*|ip[^"]+|i|)"\s*:\s*"\s*'
# Text that may hold personal data: an @ (or its URL or JSON escape), a contact property, a phone-shaped
# run, or an IP address other than context.ip: in free text (a dotted quad after a letter and a slash is a
# browser version), as the value of another key, or in an array.
_MAY_HOLD_PERSONAL_DATA = "|".join(
    (
        r"@|%40|\\u0040",
        r'"(email|phone)"\s*:',
        r'"ip"\s*:.*"ip"\s*:\s*"[^"]*"',
        r"%2[bB]\d|\d%20\d",
        _PHONE,
        rf'(^|[^"0-9A-Za-z./]|[^A-Za-z]/){_IPV4_CORE}',
        rf'(^|[^"0-9A-Za-z:.]){_IPV6_CORE}',
        rf"({_NOT_IP_KEY}|[\[,]\s*\"\s*)({_IPV4_CORE}|{_IPV6_CORE})",
    )
)

_EMAIL_RE = re.compile(_EMAIL)
_PHONE_RE = re.compile(_PHONE)
# RE2 reads \10 as group 1 then "0"; Python as group 10.
_IP_RES = tuple((re.compile(pattern), re.sub(r"\\(\d)", r"\\g<\1>", replacement)) for pattern, replacement in _IP_RULES)
_PHONE_SHAPE_RE = re.compile(_PHONE_SHAPE)
_MAY_HOLD_RE = re.compile(_MAY_HOLD_PERSONAL_DATA, re.DOTALL)
_JSON_STRING = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"(\s*:\s*)?')
_NO_DIGITS = str.maketrans("", "", "0123456789")
_URL_DELIMITERS = re.compile(r"([/?&=#;])")

IDENTIFIER_KEYS = frozenset(("user_id", "anonymous_id", "event_id"))
CONTACT_KEYS = ("email", "phone")


def may_hold_personal_data_sql(text_sql: str) -> str:
    """SQL: true for the few values worth a look from Python; cheap enough for every line."""
    return f"regexp_matches({text_sql}, '{_MAY_HOLD_PERSONAL_DATA}')"


def personal_data_hits_sql(text_sql: str) -> str:
    """SQL: the stretches of text that may hold personal data, for Pseudonymiser.event_line."""
    return f"regexp_extract_all({text_sql}, '{_MAY_HOLD_PERSONAL_DATA}')"


def truncate_ips_sql(text_sql: str) -> str:
    """SQL: the text with every IPv4 and IPv6 address cut to its network part. For short values and rare
    rows only: a regular expression per rule over every whole line would cost a third of the load."""
    for pattern, replacement in _IP_RULES:
        text_sql = f"regexp_replace({text_sql}, '{pattern}', '{replacement}', 'g')"
    return text_sql


def truncate_context_ip(context_json_sql: str, ip_sql: str) -> str:
    """SQL: context (JSON) with its ip member cut; `ip_sql` is that member's text as sent.

    context.ip is on every line: an IPv4 member is rewritten in the object's text, far cheaper than
    re-serialising the JSON of every event; only IPv6 addresses take the JSON route."""
    text = f"({context_json_sql})::varchar"
    ipv4_member = rf'("ip"\s*:\s*"\s*{_OCTET}\.{_OCTET}\.{_OCTET}\.){_OCTET}(\s*")'
    return (
        f"(case when contains({ip_sql}, ':') "
        f"then json_merge_patch({context_json_sql}, json_object('ip', {truncate_ips_sql(ip_sql)})) "
        f"else regexp_replace({text}, '{ipv4_member}', '\\1' || '0\\2', 'g')::json end)"
    )


def scrub_text_sql(text_sql: str) -> str:
    """SQL: a text value (a CSV cell, a rejected line, an error) without plain personal data; needs the
    functions Pseudonymiser.register defines. IPs are cut in any text, context.ip's member included."""
    contact_free = f"(case when {may_hold_personal_data_sql(text_sql)} then pii_text({text_sql}) else {text_sql} end)"
    return truncate_ips_sql(contact_free)


def truncate_ips(text: str) -> str:
    for pattern, replacement in _IP_RES:
        text = pattern.sub(replacement, text)
    return text


def _decoded(token: re.Match) -> str:
    text = token.group(1)
    return json.loads(f'"{text}"') if "\\" in text else text


def _worth_a_look(text: str) -> bool:
    """Python's first look, with string methods only: Python's regular expressions cost a hundred times
    DuckDB's, and most strings of a line (names, ids, keys) are nothing like an address, phone or IP."""
    if "@" in text or "%" in text:
        return True
    digits = len(text) - len(text.translate(_NO_DIGITS))
    return digits >= 7 or (digits >= 4 and text.count(".") >= 3) or text.count(":") >= 2


def _phone_digits(text: str, regions: tuple[str, ...]) -> str | None:
    """The E.164 digits of a phone-shaped text, or None when it is just digits. International numbers
    (+ or 00) are taken as written; national ones must be possible in one of the regions."""
    digits = "".join(filter(str.isdigit, text))
    if not 7 <= len(digits) <= 15 or _DATE.match(text):
        return None
    if text.startswith("+"):
        return digits if len(digits) >= 8 else None
    if text.startswith("00"):
        return digits[2:] if len(digits) >= 10 else None
    if not (text.startswith("0") or re.search(r"[ ().\-/]", text)):
        return None
    for region in regions:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    return None


@dataclass(frozen=True)
class Pseudonymiser:
    """Replaces personal data with salted SHA-256 hashes; one salt per warehouse (see salt.py)."""

    salt: str
    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS

    def hash(self, normalised: str) -> str:
        """sha256(salt || text) in hex: the same as DuckDB's sha256($salt || text)."""
        return hashlib.sha256((self.salt + normalised).encode()).hexdigest()

    def email_hash(self, address: str) -> str:
        return self.hash(unquote(address).strip().lower())

    def phone_hash(self, text: str) -> str:
        """E.164 digits when the text is a phone number, so +44 7700 900123 and 07700 900123 agree."""
        digits = _phone_digits(text.strip(), self.phone_regions)
        return self.hash(digits if digits is not None else "".join(filter(str.isdigit, text)))

    def identifier(self, value: str) -> str:
        """An id that is an e-mail or phone becomes its contact hash; one that holds one, its own hash."""
        if not _worth_a_look(value):
            return value
        bare = unquote(value).strip()
        if _EMAIL_RE.fullmatch(bare):
            return self.email_hash(bare)
        if _PHONE_SHAPE_RE.fullmatch(bare) and _phone_digits(bare, self.phone_regions) is not None:
            return self.phone_hash(bare)
        return value if self.text(value) == value else self.hash(value)

    def text(self, value: str) -> str:
        """Free text with e-mails and phones masked and IPs truncated; URL parts are judged decoded."""
        if not _worth_a_look(value) or not _MAY_HOLD_RE.search(value):
            return value
        if "%" not in value:
            return self._mask_contacts(truncate_ips(value))
        parts = _URL_DELIMITERS.split(truncate_ips(value))
        return "".join(self._url_part(part) for part in parts)

    def _url_part(self, part: str) -> str:
        decoded = unquote(part)
        masked = self._mask_contacts(decoded)
        if masked == decoded:
            return part
        return quote(masked, safe="[]:") if decoded != part else masked

    def _mask_contacts(self, text: str) -> str:
        """Phones first: an e-mail's mask is hex, which can read as digits; a phone's mask holds no @."""
        text = _PHONE_RE.sub(self._masked_phone, text)
        if "@" in text:
            text = _EMAIL_RE.sub(lambda m: f"[email:{self.email_hash(m.group())[:MASK_HASH_CHARS]}]", text)
        return text

    def _masked_phone(self, match: re.Match) -> str:
        before, candidate, after = match.group(1), match.group(2), match.group(3)
        if _phone_digits(candidate, self.phone_regions) is None:
            return match.group()
        return f"{before}[phone:{self.phone_hash(candidate)[:MASK_HASH_CHARS]}]{after}"

    def event_line(self, raw: str, is_json: bool, hits: list[str]) -> str:
        """The line with the JSON strings `hits` touch judged by their key; a line that is not JSON is masked
        as text. `hits` (personal_data_hits_sql) spare Python the strings that cannot hold personal data."""
        if not is_json:
            return self.text(raw)
        tokens = list(_JSON_STRING.finditer(raw))
        starts = [token.start() for token in tokens]
        edits: dict[int, str] = {}  # token index -> its new JSON string
        position = 0
        if not hits:  # picked without a hit (an "ip" key outside context): every string is judged
            hits = [raw]
        for hit in hits:
            begin = raw.find(hit, position)
            position = begin + len(hit)
            index = max(bisect_right(starts, begin) - 1, 0)
            while index < len(tokens) and tokens[index].start() < position:
                self._judge_token(tokens, index, edits)
                index += 1
        pieces, end = [], 0
        for index in sorted(edits):
            token = tokens[index]
            pieces += [raw[end : token.start()], edits[index]]
            end = token.end(1) + 1
        return "".join(pieces) + raw[end:]

    def _judge_token(self, tokens: list[re.Match], index: int, edits: dict[int, str]) -> None:
        token = tokens[index]
        value = _decoded(token)
        is_key = token.group(2) is not None
        follows_key = index > 0 and tokens[index - 1].group(2) is not None and tokens[index - 1].end() == token.start()
        if is_key and value in CONTACT_KEYS:
            if index + 1 < len(tokens) and tokens[index + 1].start() == token.end():
                self._judge_token(tokens, index + 1, edits)
            return
        if is_key or not follows_key:
            replacement = self.text(value)
        else:
            key = _decoded(tokens[index - 1])
            replacement, renamed = self._value(key, value)
            if renamed is not None:  # properties.email -> email_sha256: the key is rewritten too
                edits[index - 1] = json.dumps(renamed)
        if replacement != value:
            edits[index] = json.dumps(replacement, ensure_ascii=False)

    def _value(self, key: str | None, value: str) -> tuple[str, str | None]:
        """(the value to store, the key's new name when it changes)."""
        if key in CONTACT_KEYS:
            hashed = self.email_hash(value) if key == "email" else self.phone_hash(value)
            return hashed, f"{key}_sha256"
        if key in IDENTIFIER_KEYS:
            return self.identifier(value), None
        return self.text(value), None

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Defines pii_text(varchar) and pii_event_line(varchar, boolean, varchar[]) on the connection.

        Arrow functions take a vector of rows per call: DuckDB's row-at-a-time Python functions cost about
        130 µs a call here, more than the work they would do."""
        con.create_function("pii_text", self._text_column, ["VARCHAR"], "VARCHAR", type="arrow", side_effects=False)
        con.create_function(
            "pii_event_line",
            self._event_line_column,
            ["VARCHAR", "BOOLEAN", "VARCHAR[]"],
            "VARCHAR",
            type="arrow",
            side_effects=False,
        )

    def _text_column(self, texts: pa.Array) -> pa.Array:
        return pa.array([None if text is None else self.text(text) for text in texts.to_pylist()], pa.string())

    def _event_line_column(self, lines: pa.Array, is_json: pa.Array, hits: pa.Array) -> pa.Array:
        rows = zip(lines.to_pylist(), is_json.to_pylist(), hits.to_pylist(), strict=True)
        return pa.array(
            [None if line is None else self.event_line(line, bool(valid), found or []) for line, valid, found in rows],
            pa.string(),
        )
