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

log = logging.getLogger(__name__)


def salt_from_env() -> str:
    salt = os.environ.get("FUNNELHOUSE_PII_SALT")
    if not salt:
        log.warning("FUNNELHOUSE_PII_SALT is unset: hashing e-mails and phones with the public demo salt")
        return DEMO_SALT
    return salt


# IPv6 keeps its first 48 bits: expand `::` to the zero groups it stands for, keep three groups.
_TRUNCATE_IPV6_MACRO = r"""
create or replace temp macro truncate_ipv6(address) as (
    with parts as (
        select
            lower(trim(address)) as ip,
            contains(lower(trim(address)), '::') as is_compressed,
            string_split(nullif(split_part(lower(trim(address)), '::', 1), ''), ':') as head,
            string_split(nullif(split_part(lower(trim(address)), '::', 2), ''), ':') as tail
    ),
    groups as (
        select
            ip,
            case
                when not is_compressed then string_split(ip, ':')
                else list_concat(
                    coalesce(head, []),
                    list_resize(['0'], 8 - len(coalesce(head, [])) - len(coalesce(tail, [])), '0'),
                    coalesce(tail, [])
                )
            end as hextets
        from parts
    )
    select case
        when regexp_full_match(ip, '[0-9a-f:.]+') and len(hextets) >= 3
            then array_to_string(hextets[1:3], ':') || '::'
    end
    from groups
)
"""


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_TRUNCATE_IPV6_MACRO)


def mask_emails(text_sql: str) -> str:
    masked = f"regexp_replace({text_sql}, '{_EMAIL}', '[email]', 'g')"
    return f"(case when contains({text_sql}, '@') then {masked} else {text_sql} end)"


def truncate_ip(ip_sql: str) -> str:
    """IPv4 keeps three octets (last set to 0); IPv6 keeps its /48; anything else is dropped."""
    return (
        f"(case when contains({ip_sql}, ':') then truncate_ipv6({ip_sql})"
        f" when regexp_matches({ip_sql}, '{_IPV4_HOST}') then regexp_replace({ip_sql}, '{_IPV4_HOST}', '\\1.0', 'g')"
        " end)"
    )


def truncate_context_ip(context_json_sql: str) -> str:
    ip = f"({context_json_sql} ->> '$.ip')"
    return (
        f"(case when {ip} is not null"
        f" then json_merge_patch({context_json_sql}, json_object('ip', {truncate_ip(ip)}))"
        f" else {context_json_sql} end)"
    )


def _contact_hash(value_sql: str, normalised_sql: str) -> str:
    return f"(case when json_type({value_sql}) = 'VARCHAR' then sha256($salt || {normalised_sql}) end)"


def hash_contact_properties(properties_sql: str, email_sql: str, phone_sql: str) -> str:
    """Replace properties.email/phone by email_sha256/phone_sha256 (trimmed lower-case e-mail, digits-only phone)."""
    email_hash = _contact_hash(email_sql, f"lower(trim({email_sql} ->> '$'))")
    phone_hash = _contact_hash(phone_sql, f"regexp_replace({phone_sql} ->> '$', '[^0-9]', '', 'g')")
    patched = (
        f"json_merge_patch({properties_sql}, json_object("
        f"'email', null, 'phone', null, 'email_sha256', {email_hash}, 'phone_sha256', {phone_hash}))"
    )
    hashed = f"(case when {email_sql} is not null or {phone_sql} is not null then {patched} else {properties_sql} end)"
    return f"{mask_emails(hashed + '::varchar')}::json"


def mask_free_text(text_sql: str) -> str:
    """Rejected lines are kept for diagnosis, with e-mails, phones and IP hosts masked."""
    masked = mask_emails(text_sql)
    masked = f"""regexp_replace({masked}, '"phone"\\s*:\\s*"[^"]*"', '"phone":"[phone]"', 'g')"""
    masked = f"""regexp_replace({masked}, '"ip"\\s*:\\s*"[^"]*:[^"]*"', '"ip":"[ipv6]"', 'g')"""
    return f"regexp_replace({masked}, '{_IPV4_HOST}', '\\1.0', 'g')"
