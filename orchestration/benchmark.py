"""`make bench`: load and first-run speed at about 10M events, against bare DuckDB on the same files.

Each measured step runs in its own process so its peak memory (max RSS) is its own. Figures go to
BENCHMARKS.md; the generated landing zone is cached under data/bench/.
"""

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path("data/bench")
LANDING = BENCH_DIR / "landing"
VISITORS = 1_000_000
DAYS = 60
REPORT = Path("BENCHMARKS.md")


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_rss_mib: float


_PEAK_OF_CHILD = (
    "import json, pathlib, resource, subprocess, sys; subprocess.run(json.loads(sys.argv[1]), check=True); "
    "pathlib.Path(sys.argv[2]).write_text(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))"
)


def _measure(args: list[str]) -> Measurement:
    """Wall time and peak resident memory of one step, its sub-processes (dbt) included.

    A wrapper process runs the step, so the peak it reports belongs to this step alone.
    """
    peak_file = BENCH_DIR / "peak_rss_kib.txt"
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", _PEAK_OF_CHILD, json.dumps(args), str(peak_file)], check=True)
    seconds = time.monotonic() - started
    return Measurement(seconds, int(peak_file.read_text()) / 1024)


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _bare_duckdb_sql(landing: Path, db: Path) -> str:
    """The same work with nothing of ours: read every event file, keep the first delivery, type the fields."""
    text_files = sorted(
        str(p) for pattern in ("**/*.jsonl", "**/*.jsonl.gz") for p in (landing / "events").glob(pattern)
    )
    parquet_files = sorted(str(p) for p in (landing / "events").glob("**/*.parquet"))
    return f"""
import duckdb
con = duckdb.connect({str(db)!r})
con.execute("set memory_limit = '2GB'")
con.execute("set enable_progress_bar = false")
con.execute('''
create table events as
with lines as (
    select raw, filename as source_file, row_number() over () as line_number
    from read_csv({text_files!r}, columns = {{'raw': 'varchar'}}, delim = '\\x1e', quote = '', escape = '',
                  header = false, auto_detect = false, ignore_errors = true, filename = true,
                  max_line_size = 8388608)
    union all
    select to_json(p)::varchar, 'parquet', 0 from read_parquet({parquet_files!r}) as p
),
fields as (
    select json_extract_string(raw, ['$.event_id', '$.event_name', '$.occurred_at', '$.anonymous_id',
                                     '$.user_id']) as f,
           json_extract(raw, '$.properties') as properties, source_file, line_number
    from lines
    where json_valid(raw)
)
select f[1] as event_id, f[2] as event_name, try_cast(f[3] as timestamptz) as occurred_at,
       f[4] as anonymous_id, f[5] as user_id, properties
from fields
where f[1] is not null
qualify row_number() over (partition by f[1] order by source_file, line_number) = 1
''')
print(con.execute('select count(*) from events').fetchone()[0], 'events')
"""


def _ensure_landing() -> float | None:
    """Generate the bench landing zone once; the generation time when it was generated now."""
    if (LANDING / "truth.json").exists():
        return None
    shutil.rmtree(LANDING, ignore_errors=True)
    started = time.monotonic()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "funnelhouse"),
            "generate",
            "--out",
            str(LANDING),
            "--visitors",
            str(VISITORS),
            "--days",
            str(DAYS),
        ],
        check=True,
    )
    seconds = time.monotonic() - started
    (BENCH_DIR / "generation.json").write_text(json.dumps({"seconds": seconds}))
    return seconds


def _fresh(db: Path) -> Path:
    for path in (db, db.with_suffix(".duckdb.wal")):
        path.unlink(missing_ok=True)
    return db


def main() -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    _ensure_landing()
    truth = json.loads((LANDING / "truth.json").read_text())
    generation = json.loads((BENCH_DIR / "generation.json").read_text())["seconds"]
    events = truth["events"]["lines"]
    funnelhouse = str(Path(sys.executable).parent / "funnelhouse")

    print(f"bench: {events:,} event lines in {LANDING}", flush=True)
    bare = _measure(_python(_bare_duckdb_sql(LANDING, _fresh(BENCH_DIR / "bare.duckdb"))))
    print(f"bench: bare DuckDB {bare.seconds:.1f} s", flush=True)
    load = _measure(
        _python(
            "from pathlib import Path; from orchestration.loader.load import load_landing_sources; "
            f"load_landing_sources(Path({str(LANDING)!r}), Path({str(_fresh(BENCH_DIR / 'load.duckdb'))!r}))"
        )
    )
    print(f"bench: load {load.seconds:.1f} s", flush=True)
    first_run = _measure([funnelhouse, "run", "--landing", str(LANDING), "--db", str(_fresh(BENCH_DIR / "run.duckdb"))])
    print(f"bench: first run {first_run.seconds:.1f} s", flush=True)
    second_run = _measure([funnelhouse, "run", "--landing", str(LANDING), "--db", str(BENCH_DIR / "run.duckdb")])
    _write_report(events, generation, bare, load, first_run, second_run)
    print(REPORT.read_text())


def _row(step: str, seconds: float, events: int | None, peak: Measurement | None) -> str:
    rate = f"{events / seconds:,.0f}" if events else ""
    memory = f"{peak.peak_rss_mib:,.0f} MiB" if peak else ""
    return f"| {step} | {seconds:.1f} | {rate} | {memory} |"


def _write_report(
    events: int, generation: float, bare: Measurement, load: Measurement, first: Measurement, second: Measurement
) -> None:
    rate = events / load.seconds
    peak = max(bare.peak_rss_mib, load.peak_rss_mib, first.peak_rss_mib)
    rows = "\n".join(
        [
            _row("generate the landing zone (once)", generation, events, None),
            _row("bare DuckDB: read, de-duplicate, type the same event files", bare.seconds, events, bare),
            _row("loader: every landing source into raw (validation, PII, ledger)", load.seconds, events, load),
            _row("whole first run (`funnelhouse run`: Dagster, load, dbt build, tests)", first.seconds, events, first),
            _row("second run, nothing new to load", second.seconds, None, second),
        ]
    )
    REPORT.write_text(
        f"""# Benchmarks

Measured by `make bench` on {datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, Python {platform.python_version()},
DuckDB memory limit {os.environ.get("FUNNELHOUSE_DUCKDB_MEMORY_LIMIT", "2GB")}.
Landing zone: `funnelhouse generate --visitors {VISITORS:,} --days {DAYS}`, {events:,} event lines
(JSONL, gzipped JSONL and Parquet, with duplicates and malformed lines), cached under `data/bench/`.

| step | seconds | events/s | peak memory (RSS) |
| --- | ---: | ---: | ---: |
{rows}

- Load rate: **{rate:,.0f} events/s** (target at least 300,000).
- Whole first run / bare DuckDB: **{first.seconds / bare.seconds:.2f}x** (target at most 3x).
- Peak memory of any step: **{peak:,.0f} MiB** (target under 4 GiB).

Peak memory is the largest resident set of the step's processes (dbt's included), read with getrusage.
"""
    )


if __name__ == "__main__":
    main()
