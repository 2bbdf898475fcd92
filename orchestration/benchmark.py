"""`make bench`: load and first-run speed at about 10M events over 90 days, against bare DuckDB on the same
files, the attribution models alone over the first run's paths, the cost of a one-day incremental run
against a full build, and the demand forecast of 5,000 products x 365 days.

Each measured step runs in its own process so its peak memory (max RSS) is its own. Figures go to
BENCHMARKS.md; the generated landing zone is cached under data/bench/.

FUNNELHOUSE_BENCH_VISITORS and FUNNELHOUSE_BENCH_DIR make a small smoke run possible; a bench dir other than
data/bench gets its report inside it, so a smoke run never overwrites the real figures.
"""

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from orchestration import clock
from orchestration.assets.dbt_project import DBT_PROJECT_DIR, WRITING_TARGET, venv_dbt_executable
from orchestration.generator.landing_zone import LANDING_FOLDERS

DEFAULT_BENCH_DIR = Path("data/bench")
BENCH_DIR = Path(os.environ.get("FUNNELHOUSE_BENCH_DIR", DEFAULT_BENCH_DIR))
LANDING = BENCH_DIR / "landing"
STAGED = BENCH_DIR / "staged"
# About 10.8 event lines per visitor, however many days the visits spread over: 1M visitors give about 10.8M.
VISITORS = int(os.environ.get("FUNNELHOUSE_BENCH_VISITORS", 1_000_000))
DAYS = 90
REPORT = Path("BENCHMARKS.md") if BENCH_DIR.resolve() == DEFAULT_BENCH_DIR.resolve() else BENCH_DIR / "BENCHMARKS.md"
FUNNELHOUSE = str(Path(sys.executable).parent / "funnelhouse")


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


def _today() -> date:
    """The loader's today: the bench's landing zone must be wholly in its past."""
    return clock.today()


def _cached_landing_fits() -> bool:
    """Of the bench's size and wholly in the past: the loader rejects events dated over a day after the load."""
    truth = LANDING / "truth.json"
    if not truth.exists():
        return False
    parameters = json.loads(truth.read_text())["parameters"]
    same_size = (parameters["days"], parameters["visitors"]) == (DAYS, VISITORS)
    return same_size and date.fromisoformat(parameters["end_date"]) < _today()


def _ensure_landing() -> float | None:
    """Generate the bench landing zone once per size; the generation time when it was generated now."""
    if _cached_landing_fits():
        return None
    shutil.rmtree(LANDING, ignore_errors=True)
    started = time.monotonic()
    subprocess.run(
        [
            FUNNELHOUSE,
            "generate",
            "--out",
            str(LANDING),
            "--visitors",
            str(VISITORS),
            "--days",
            str(DAYS),
            "--start-date",
            (_today() - timedelta(days=DAYS)).isoformat(),  # ends yesterday: every event is in the past
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


def _run(landing: Path, db: Path) -> Measurement:
    return _measure([FUNNELHOUSE, "run", "--landing", str(landing), "--db", str(db)])


def _of_day(path: Path, day: date) -> bool:
    """Event files sit in a folder per day and daily exports carry the day in their name; the catalog has no day."""
    relative = path.relative_to(LANDING).as_posix()
    return relative.startswith(f"events/{day:%Y/%m/%d}/") or relative.endswith(f"_{day.isoformat()}.csv")


def _stage(files: list[Path]) -> None:
    """Hard links: the loader reads and hashes them as landed files, and staging copies nothing."""
    for file in files:
        target = STAGED / file.relative_to(LANDING)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.hardlink_to(file)


def _incremental_runs(last_day: date) -> tuple[Measurement, Measurement]:
    """A warehouse built from every day but the last, then the last day landing on it, as on a daily schedule."""
    files = sorted(path for folder in LANDING_FOLDERS for path in (LANDING / folder).rglob("*") if path.is_file())
    shutil.rmtree(STAGED, ignore_errors=True)
    db = _fresh(BENCH_DIR / "incremental.duckdb")
    _stage([file for file in files if not _of_day(file, last_day)])
    build = _run(STAGED, db)
    print(f"bench: full build over the first {DAYS - 1} days {build.seconds:.1f} s", flush=True)
    _stage([file for file in files if _of_day(file, last_day)])
    one_day = _run(STAGED, db)
    print(f"bench: one-day incremental run {one_day.seconds:.1f} s", flush=True)
    return build, one_day


# Every path into credit: paths, the Markov chain and its solution, the seven models, the path mart.
ATTRIBUTION_MODELS = ("int_order_paths", "int_markov_transitions", "int_markov_removal_effects", "fct_attribution")


@dataclass(frozen=True)
class AttributionRebuild:
    measurement: Measurement
    paths: int
    converting_paths: int
    credit_rows: int


def _attribution_rebuild(db: Path) -> AttributionRebuild:
    """The attribution models rebuilt alone (`dbt run --select`) on a built warehouse: what they cost per run."""
    target = BENCH_DIR / "dbt_target"
    measurement = _measure(
        [
            "env",
            f"FUNNELHOUSE_DB={db.resolve()}",
            venv_dbt_executable(),
            "run",
            "--target",
            WRITING_TARGET,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
            "--select",
            *ATTRIBUTION_MODELS,
        ]
    )
    with duckdb.connect(str(db), read_only=True) as con:
        paths, converting = con.execute(
            "select count(distinct path_id), count(distinct order_id) from intermediate.int_order_paths"
        ).fetchone()
        credit_rows = con.execute("select count(*) from marts.fct_attribution").fetchone()[0]
    return AttributionRebuild(measurement, paths, converting, credit_rows)


# The staged landing zone of the incremental runs is not a demo zone (no truth.json): it needs a salt.
BENCH_SALT = "funnelhouse-bench-salt"


FORECAST_FIGURES = BENCH_DIR / "forecast.json"


def _forecast_bench() -> tuple[Measurement, dict]:
    """The demand forecast on its own, at the size its issue budgets: 5,000 products x 365 days, backtest included."""
    measurement = _measure(
        _python(
            "import json, pathlib; from orchestration.forecast.bench import bench_forecast; "
            f"pathlib.Path({str(FORECAST_FIGURES)!r}).write_text(json.dumps(bench_forecast()))"
        )
    )
    return measurement, json.loads(FORECAST_FIGURES.read_text())


def main() -> None:
    os.environ.setdefault("FUNNELHOUSE_PII_SALT", BENCH_SALT)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    _ensure_landing()
    truth = json.loads((LANDING / "truth.json").read_text())
    parameters = truth["parameters"]
    generation = json.loads((BENCH_DIR / "generation.json").read_text())["seconds"]
    events = truth["events"]["lines"]

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
    first_run = _run(LANDING, _fresh(BENCH_DIR / "run.duckdb"))
    print(f"bench: first run {first_run.seconds:.1f} s", flush=True)
    second_run = _run(LANDING, BENCH_DIR / "run.duckdb")
    print(f"bench: second run {second_run.seconds:.1f} s", flush=True)
    attribution = _attribution_rebuild(BENCH_DIR / "run.duckdb")
    print(f"bench: attribution over {attribution.paths:,} paths {attribution.measurement.seconds:.1f} s", flush=True)
    build, one_day = _incremental_runs(date.fromisoformat(parameters["end_date"]))
    forecast = _forecast_bench()
    print(f"bench: forecast {forecast[1]['products']:,} products {forecast[1]['seconds']:.1f} s", flush=True)
    _write_report(
        parameters["start_date"],
        events,
        generation,
        bare,
        load,
        first_run,
        second_run,
        attribution,
        build,
        one_day,
        forecast,
    )
    print(REPORT.read_text())


def _row(step: str, seconds: float, events: int | None, peak: Measurement | None) -> str:
    rate = f"{events / seconds:,.0f}" if events else ""
    memory = f"{peak.peak_rss_mib:,.0f} MiB" if peak else ""
    return f"| {step} | {seconds:.1f} | {rate} | {memory} |"


def _write_report(
    start_date: str,
    events: int,
    generation: float,
    bare: Measurement,
    load: Measurement,
    first: Measurement,
    second: Measurement,
    attribution: AttributionRebuild,
    build: Measurement,
    one_day: Measurement,
    forecast: tuple[Measurement, dict],
) -> None:
    forecast_run, forecast_figures = forecast
    generate = f"funnelhouse generate --visitors {VISITORS:,} --days {DAYS} --start-date {start_date}"
    rate = events / load.seconds
    steps = (bare, load, first, second, attribution.measurement, build, one_day, forecast_run)
    peak = max(step.peak_rss_mib for step in steps)
    accuracy = ", ".join(
        f"{model} MASE {figures['mase']:.3f} / WAPE {figures['wape']:.3f}"
        for model, figures in forecast_figures["models"].items()
    )
    rows = "\n".join(
        [
            _row("generate the landing zone (once)", generation, events, None),
            _row("bare DuckDB: read, de-duplicate, type the same event files", bare.seconds, events, bare),
            _row("loader: every landing source into raw (validation, PII, ledger)", load.seconds, events, load),
            _row("whole first run (`funnelhouse run`: Dagster, load, dbt build, tests)", first.seconds, events, first),
            _row("second run, nothing new to load", second.seconds, None, second),
            _row(
                f"attribution alone: {attribution.paths:,} paths into {attribution.credit_rows:,} credit rows",
                attribution.measurement.seconds,
                None,
                attribution.measurement,
            ),
            _row(f"full build over the first {DAYS - 1} days (fresh warehouse)", build.seconds, None, build),
            _row("one-day incremental run (the last day's files landed on it)", one_day.seconds, None, one_day),
            _row(
                "demand forecast, 5,000 products x 365 days, backtest included",
                forecast_run.seconds,
                None,
                forecast_run,
            ),
        ]
    )
    REPORT.write_text(
        f"""# Benchmarks

Measured by `make bench` on {datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, Python {platform.python_version()},
DuckDB memory limit {os.environ.get("FUNNELHOUSE_DUCKDB_MEMORY_LIMIT", "2GB")}.
Landing zone: `{generate}`, {events:,} event lines
(JSONL, gzipped JSONL and Parquet, with duplicates and malformed lines), cached under `{BENCH_DIR}/`.
The last two rows stage the same files by day: every file but the last day's into a fresh warehouse, then
the last day's event files and daily exports, as the daily schedule would find them.

| step | seconds | events/s | peak memory (RSS) |
| --- | ---: | ---: | ---: |
{rows}

- Load rate: **{rate:,.0f} events/s** (target at least 300,000).
- Whole first run / bare DuckDB: **{first.seconds / bare.seconds:.2f}x** (target at most 3x).
- Peak memory of any step: **{peak:,.0f} MiB** (target under 4 GiB).
- Attribution (`dbt run` of {", ".join(ATTRIBUTION_MODELS)}) over **{attribution.paths:,} paths**
  ({attribution.converting_paths:,} converting): **{attribution.measurement.seconds:.1f} s** (target under 60 s for 1M
  paths), dbt start-up included.
- One-day incremental run / full build: **{one_day.seconds / build.seconds:.1%}** (target under 10%).
- Demand forecast of **{forecast_figures["products"]:,} products x {forecast_figures["days"]} days**, rolling-origin
  backtest included: **{forecast_figures["seconds"]:.1f} s** in the fit, {forecast_run.seconds:.1f} s with the
  process start and the synthetic catalog (target under 120 s). Catalog accuracy: {accuracy}.

Peak memory is the largest resident set of the step's processes (dbt's included), read with getrusage.
"""
    )


if __name__ == "__main__":
    main()
