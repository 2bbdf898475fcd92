"""Personal data never reaches the warehouse in the clear (CONTRACT section 6).

SQL snippets for the validator: e-mail and phone become salted SHA-256 hashes, IPs lose their host part,
and rejected raw text is masked. Everything runs in DuckDB, vectorised.
"""

import logging
import os

import duckdb

DEMO_SALT = "funnelhouse-demo-salt-change-me"
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
_IPV4_HOST = r"\b(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}\b"
_IPV4_MEMBER = r'("ip"\s*:\s*"\d{1,3}\.\d{1,3}\.\d{1,3}\.)\d{1,3}"'
_IPV6_MEMBER = r'"ip"\s*:\s*"[^"]*:'

log = logging.getLogger(__name__)


def salt_from_env() -> str:
    salt = os.environ.get("FUNNELHOUSE_PII_SALT")
    if not salt:
        log.warning("FUNNELHOUSE_PII_SALT is unset: hashing e-mails and phones with the public demo salt")
        return DEMO_SALT
    return salt


# IPv6 keeps its first 48 bits: expand `::` to the zero groups it stands for, keep three groups. Plain
# expressions, no subquery: a subquery would be decorrelated into a join over every row.
_IPV6_MACROS = (
    """
    create or replace temp macro ipv6_groups(text) as
        coalesce(string_split(nullif(text, ''), ':'), [])
    """,
    """
    create or replace temp macro ipv6_hextets(ip) as
        case
            when contains(ip, '::') then list_concat(
                ipv6_groups(split_part(ip, '::', 1)),
                list_resize(['0'], greatest(
                    8 - len(ipv6_groups(split_part(ip, '::', 1))) - len(ipv6_groups(split_part(ip, '::', 2))), 0
                ), '0'),
                ipv6_groups(split_part(ip, '::', 2))
            )
            else string_split(ip, ':')
        end
    """,
    """
    create or replace temp macro truncate_ipv6(address) as
        case
            when regexp_full_match(lower(trim(address)), '[0-9a-f:.]+')
                and len(ipv6_hextets(lower(trim(address)))) >= 3
            then array_to_string(ipv6_hextets(lower(trim(address)))[1:3], ':') || '::'
        end
    """,
)


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    for macro in _IPV6_MACROS:
        con.execute(macro)


def mask_emails(text_sql: str) -> str:
    masked = f"regexp_replace({text_sql}, '{_EMAIL}', '[email]', 'g')"
    return f"(case when contains({text_sql}, '@') then {masked} else {text_sql} end)"


def truncate_context_ip(context_json_sql: str) -> str:
    """context.ip without its host part: IPv4 keeps three octets (the last set to 0), IPv6 its first 48 bits.

    Rewriting the text of an IPv4 member is far cheaper than re-serialising the JSON of every event;
    only the few IPv6 addresses take the JSON route, through the truncate_ipv6 macro.
    """
    text = f"({context_json_sql})::varchar"
    ipv6 = f"({context_json_sql} ->> '$.ip')"
    return (
        f"(case when regexp_matches({text}, '{_IPV6_MEMBER}')"
        f" then json_merge_patch({context_json_sql}, json_object('ip', truncate_ipv6({ipv6})))"
        f" else regexp_replace({text}, '{_IPV4_MEMBER}', '\\1' || '0\"', 'g')::json end)"
    )


def _contact_hash(json_type_sql: str, normalised_sql: str) -> str:
    return f"(case when {json_type_sql} = 'VARCHAR' then sha256($salt || {normalised_sql}) end)"


def hash_contact_properties(
    properties_sql: str, email_type_sql: str, email_sql: str, phone_type_sql: str, phone_sql: str
) -> str:
    """Replace properties.email/phone by email_sha256/phone_sha256 (trimmed lower-case e-mail, digits-only phone).

    `*_type_sql` are the values' JSON types (null when absent), `email_sql`/`phone_sql` their text.
    """
    email_hash = _contact_hash(email_type_sql, f"lower(trim({email_sql}))")
    phone_hash = _contact_hash(phone_type_sql, f"regexp_replace({phone_sql}, '[^0-9]', '', 'g')")
    patched = (
        f"json_merge_patch({properties_sql}, json_object("
        f"'email', null, 'phone', null, 'email_sha256', {email_hash}, 'phone_sha256', {phone_hash}))"
    )
    has_contact = f"({email_type_sql} is not null or {phone_type_sql} is not null)"
    hashed = f"(case when {has_contact} then {patched} else {properties_sql} end)"
    return f"{mask_emails(hashed + '::varchar')}::json"


def mask_free_text(text_sql: str) -> str:
    """Rejected lines are kept for diagnosis, with e-mails, phones and IP hosts masked."""
    masked = mask_emails(text_sql)
    masked = f"""regexp_replace({masked}, '"phone"\\s*:\\s*"[^"]*"', '"phone":"[phone]"', 'g')"""
    masked = f"""regexp_replace({masked}, '"ip"\\s*:\\s*"[^"]*:[^"]*"', '"ip":"[ipv6]"', 'g')"""
    return f"regexp_replace({masked}, '{_IPV4_HOST}', '\\1.0', 'g')"
