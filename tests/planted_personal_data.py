"""An adversarial landing zone: personal data in every place a tracker or an export may put it, and a scan of
everything a run leaves behind (both warehouse files, the command's output, Dagster's files) for it.

Only the standard library and duckdb here, no orchestration import: the same planting and scan can be run
against older code (`python tests/planted_personal_data.py REPO OUT_DIR`) to count what it let through.
"""

import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import duckdb

# --- the people and machines planted -------------------------------------------------------------------------

USER_EMAIL = "Jane.Doe@Example.COM"  # user_id (with stray spaces), sign_up email, URL-encoded in a page URL
ANON_EMAIL = "MARCO.Bianchi@Example.org"  # anonymous_id (with stray spaces)
CAMPAIGN_EMAIL = "Lucia.Verdi@example.net"  # campaign content
KEY_EMAIL = "tom.nero@example.com"  # a JSON key
ESCAPED_EMAIL = "paolo.gialli@example.it"  # written with \u0040 in the line
DEEP_EMAIL = "deep.person@example.com"  # properties at depth 3
ARRAY_EMAIL = "arr.person@example.com"  # in an array
REJECTED_EMAIL = "rita.rossa@example.com"  # only in rejected lines
CSV_EMAIL = "csv.person@example.com"  # an ad_spend campaign cell
CSV_REJECTED_EMAIL = "csv.rejected@example.com"  # a rejected ad_spend row
EMAILS = (
    USER_EMAIL,
    ANON_EMAIL,
    CAMPAIGN_EMAIL,
    KEY_EMAIL,
    ESCAPED_EMAIL,
    DEEP_EMAIL,
    ARRAY_EMAIL,
    REJECTED_EMAIL,
    CSV_EMAIL,
    CSV_REJECTED_EMAIL,
)

# Phones as written, with their E.164 digits (country code, no +).
USER_PHONE = ("+44 7700 900123", "447700900123")  # user_id, and %-encoded in a page URL's query string
TERM_PHONE = ("+39 347 765 4321", "393477654321")  # campaign term
PROPERTY_PHONE = ("+49 151 23456789", "4915123456789")  # properties.phone_number
SEARCH_PHONE = ("07700 900456", "447700900456")  # a search query, written the national (GB) way
DEEP_PHONE = ("+33 6 12 34 56 78", "33612345678")  # properties at depth 3
ARRAY_PHONE = ("+1 202-555-0147", "12025550147")  # in an array
REJECTED_PHONE = ("+39 06 6982 1234", "390669821234")  # only in rejected lines
CSV_PHONE = ("+39 02 8765 4321", "390287654321")  # an ad_spend campaign cell
CSV_REJECTED_PHONE = ("+44 20 7946 0958", "442079460958")  # a rejected ad_spend row
PHONES = (
    USER_PHONE,
    TERM_PHONE,
    PROPERTY_PHONE,
    SEARCH_PHONE,
    DEEP_PHONE,
    ARRAY_PHONE,
    REJECTED_PHONE,
    CSV_PHONE,
    CSV_REJECTED_PHONE,
)

CONTEXT_IP = "203.0.113.77"  # context.ip, sent with a leading space
IP_ADDRESS_IP = "198.51.100.23"  # context.ip_address
CLIENT_IP = "2001:db8:85a3:12:8a2e:370:7334:1"  # properties.client_ip
URL_IP = "192.0.2.45"  # in a page URL
REJECTED_IP = "198.51.100.199"  # only in rejected lines
CSV_IP = "203.0.113.201"  # an ad_spend campaign cell
IPS = (CONTEXT_IP, IP_ADDRESS_IP, CLIENT_IP, URL_IP, REJECTED_IP, CSV_IP)

OCCURRED_AT = "2026-09-01T10:00:00Z"
# A catalog of one product and one video: the dbt build needs catalog tables to join.
CATALOG = {
    "products.csv": "product_id,name,category,brand,price,currency,unit_cost\np1,Dress,Dresses,Loom,19.99,EUR,8\n",
    "videos.csv": "video_id,title,host,format,length_s,published_at,production_cost,currency\n"
    "p1,Try-on,Ana,try_on,60,2026-08-01T00:00:00Z,100,EUR\n",
    "hotspots.csv": "video_id,hotspot_id,product_id,start_s,end_s,segment\np1,p1,p1,5,15,close_up_demo\n",
}


def _event(event_id: str, event_name: str = "page_view", **fields) -> dict:
    return {"event_id": event_id, "event_name": event_name, "occurred_at": OCCURRED_AT, "anonymous_id": "anon-1"} | (
        fields
    )


def _line(value: dict) -> str:
    return json.dumps(value)


def _personal_payload(email: str, phone: str, ip: str) -> dict:
    return {"email": email, "phone": phone, "note": f"write to {email} or call {phone} from {ip}", "ip": ip}


def event_lines() -> list[str]:
    """The events file: accepted lines carrying personal data everywhere, then rejected lines carrying it too."""
    user_email_url = quote(USER_EMAIL.lower(), safe="")  # jane.doe%40example.com
    user_phone_url = quote(USER_PHONE[0], safe="")  # %2B44%207700%20900123
    lines = [
        # An e-mail as user_id (mixed case, stray spaces) that signs up with the same address.
        _line(
            _event(
                "sign-up-1",
                "sign_up",
                user_id=f"  {USER_EMAIL} ",
                anonymous_id="anon-jane",
                properties={"method": "form", "email": USER_EMAIL.lower()},
                context={"ip": f" {CONTEXT_IP}", "user_agent": "Mozilla/5.0"},
            )
        ),
        # An e-mail as anonymous_id; e-mail and phone in campaign content and term.
        _line(
            _event(
                "campaign-1",
                anonymous_id=f" {ANON_EMAIL}  ",
                page={"url": "https://shop.example/"},
                campaign={
                    "source": "newsletter",
                    "medium": "email",
                    "content": f"sent to {CAMPAIGN_EMAIL}",
                    "term": f"call {TERM_PHONE[0]}",
                },
            )
        ),
        # A phone as user_id; a URL-encoded e-mail and phone in page URLs.
        _line(
            _event(
                "url-1",
                user_id=USER_PHONE[0],
                page={
                    "url": f"https://shop.example/account?email={user_email_url}&phone={user_phone_url}",
                    "referrer": f"https://mail.example/?to={user_email_url}",
                },
            )
        ),
        # A phone in properties.phone_number; IPs under other keys and in a URL.
        _line(
            _event(
                "ip-1",
                page={"url": f"http://{URL_IP}:8080/landing"},
                context={"ip": "10.1.2.3", "ip_address": IP_ADDRESS_IP},
                properties={"phone_number": PROPERTY_PHONE[0], "client_ip": CLIENT_IP},
            )
        ),
        # A phone in a search query.
        _line(_event("search-1", "search", properties={"query": f"my number is {SEARCH_PHONE[0]}"})),
        # An e-mail as a JSON key; personal data at depth 3 and in an array.
        _line(
            _event(
                "nested-1",
                properties={
                    KEY_EMAIL: "subscribed",
                    "a": {"b": {"c": f"{DEEP_EMAIL} / {DEEP_PHONE[0]}"}},
                    "contacts": ["friend", ARRAY_PHONE[0], ARRAY_EMAIL],
                },
            )
        ),
        # An e-mail written with a JSON unicode escape for its @.
        _line(_event("escaped-1", properties={"note": "x"})).replace(
            '"note": "x"', '"note": "' + ESCAPED_EMAIL.replace("@", "\\u0040") + '"'
        ),
        # Rejected: an unknown event name, a line that is not JSON, an oversized line.
        _line(
            _event(
                "rejected-1",
                "sign_upp",
                user_id=REJECTED_EMAIL,
                properties=_personal_payload(REJECTED_EMAIL, REJECTED_PHONE[0], REJECTED_IP),
                context={"ip": REJECTED_IP},
            )
        ),
        f'{{"event_id": "rejected-2", "email": "{REJECTED_EMAIL}", "phone": "{REJECTED_PHONE[0]}", '
        f'"ip": "{REJECTED_IP}", "note": "{REJECTED_EMAIL} {REJECTED_PHONE[0]}", ',
        _line(
            _event(
                "rejected-3",
                user_id=REJECTED_EMAIL,
                properties=_personal_payload(REJECTED_EMAIL, REJECTED_PHONE[0], REJECTED_IP) | {"pad": "x" * 70_000},
                context={"ip": REJECTED_IP},
            )
        ),
    ]
    return lines


def ad_spend_csv() -> str:
    """One accepted row with an e-mail, a phone and an IP in its campaign, one rejected row (negative spend)."""
    header = "date,platform,campaign,spend,currency,impressions,clicks\n"
    accepted = f'2026-09-01,meta,"retarget {CSV_EMAIL} {CSV_PHONE[0]} {CSV_IP}",10.00,EUR,1000,10\n'
    rejected = f'2026-09-01,meta,"lookalike {CSV_REJECTED_EMAIL} {CSV_REJECTED_PHONE[0]} {CSV_IP}",-5,EUR,10,1\n'
    return header + accepted + rejected


def write_landing_zone(landing: Path) -> None:
    (landing / "events").mkdir(parents=True, exist_ok=True)
    (landing / "events" / "personal.jsonl").write_text("".join(line + "\n" for line in event_lines()))
    (landing / "ad_spend").mkdir(parents=True, exist_ok=True)
    (landing / "ad_spend" / "ad_spend_2026-09-01.csv").write_text(ad_spend_csv())
    (landing / "catalog").mkdir(parents=True, exist_ok=True)
    for name, text in CATALOG.items():
        (landing / "catalog" / name).write_text(text)


# --- what must never be found --------------------------------------------------------------------------------


def forbidden() -> dict[str, tuple[str, ...]]:
    """Each planted value and the spellings it must not be found in, lower-cased (the scan ignores case)."""
    spellings: dict[str, set[str]] = {}
    for email in EMAILS:
        lower = email.lower()
        spellings[email] = {lower, quote(lower, safe=""), lower.replace("@", "\\u0040")}
    for written, digits in PHONES:
        spellings[written] = {written, quote(written, safe="").lower(), "".join(filter(str.isdigit, written)), digits}
    for ip in IPS:
        address = ipaddress.ip_address(ip)
        spellings[ip] = {ip, address.compressed, address.exploded}
    return {value: tuple(sorted(forms)) for value, forms in spellings.items()}


def found_in(texts, forbidden_forms: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Planted value -> how many of the texts hold it in one of its spellings (any case)."""
    counts: dict[str, int] = {}
    for text in texts:
        lowered = text.lower()
        for value, forms in forbidden_forms.items():
            if any(form in lowered for form in forms):
                counts[value] = counts.get(value, 0) + 1
    return counts


def _table_texts(db: Path) -> dict[str, list[str]]:
    """schema.table -> every VARCHAR and JSON value of that table."""
    texts: dict[str, list[str]] = {}
    with duckdb.connect(str(db), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type in ('VARCHAR', 'JSON') and table_catalog = current_database()"
        ).fetchall()
        for schema, table, column in columns:
            rows = con.execute(f'select "{column}"::varchar from "{schema}"."{table}"').fetchall()
            texts.setdefault(f"{schema}.{table}", []).extend(row[0] for row in rows if row[0])
    return texts


def _file_texts(root: Path) -> list[str]:
    return [path.read_bytes().decode("utf-8", errors="replace") for path in sorted(root.rglob("*")) if path.is_file()]


RAW_PLACES = {
    "raw.events": "raw.events",
    "raw.rejected_events": "raw.rejected_events",
    "raw.ad_spend": "raw.ad_spend",
    "raw.rejected_rows": "raw.rejected_rows",
}


def scan(db: Path, serving: Path, output: str, dagster_home: Path) -> dict[str, dict[str, int]]:
    """Place -> planted value -> number of values (cells, or files, or the output) holding it."""
    forms = forbidden()
    warehouse = _table_texts(db)
    places = {place: found_in(warehouse.get(table, []), forms) for place, table in RAW_PLACES.items()}
    other_tables = [text for table, texts in warehouse.items() if table not in RAW_PLACES.values() for text in texts]
    places["other warehouse tables"] = found_in(other_tables, forms)
    serving_texts = [text for texts in _table_texts(serving).values() for text in texts] if serving.exists() else []
    places["serving copy"] = found_in(serving_texts, forms)
    places["CLI output"] = found_in([output], forms)
    places["Dagster home files"] = found_in(_file_texts(dagster_home), forms)
    return places


# orchestration/cli.py has no `if __name__ == "__main__"` block: `python -m orchestration.cli run` runs nothing
# and exits 0. The `funnelhouse` script's own entry point, in this interpreter:
CLI = "import sys; from orchestration.cli import main; sys.exit(main(prog_name='funnelhouse'))"


def run_cli(repo: Path, root: Path, salt: str) -> tuple[subprocess.CompletedProcess, Path, Path]:
    """One `funnelhouse run` of the planted landing zone in a subprocess: (result, warehouse, DAGSTER_HOME)."""
    landing, db, dagster_home = root / "landing", root / "warehouse.duckdb", root / "dagster_home"
    write_landing_zone(landing)
    dagster_home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "FUNNELHOUSE_PII_SALT": salt, "DAGSTER_HOME": str(dagster_home)}
    env.pop("FUNNELHOUSE_SERVING_DB", None)
    result = subprocess.run(
        [sys.executable, "-c", CLI, "run", "--landing", str(landing), "--db", str(db)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result, db, dagster_home


if __name__ == "__main__":  # python tests/planted_personal_data.py REPO OUT_DIR: counts per place, as JSON
    repo_dir, out_dir = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    run, warehouse_db, home = run_cli(repo_dir, out_dir, "planted-salt")
    counts = scan(warehouse_db, warehouse_db.with_name("serving.duckdb"), run.stdout + run.stderr, home)
    print(json.dumps({"exit_code": run.returncode, "places": counts}, indent=2))
