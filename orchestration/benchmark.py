"""`make bench`: how the cost of a run grows with the data, at about 1M, 3M and 10M event lines over 90 days.

At each scale, against a floor (DuckDB alone on the same event files: its typed JSON reader, de-duplicate,
sessionize, a daily funnel): the loader alone, the whole first run, a run with nothing new, and a full build
over 88 days followed by the one-day incremental run of the next day (with the first hour after it, which
turns the date) and the run of the hour after that; with peak memory and where the time goes (dbt's
run_results.json, Dagster's steps, the loader's phases). At the largest scale also the attribution models
alone and the demand forecast of 5,000 products x 365 days.

Each measured step runs in its own process so its peak memory (max RSS) is its own. Figures go to
BENCHMARKS.md (above its history); each scale's landing zone is cached under data/bench/<scale>/.

FUNNELHOUSE_BENCH_VISITORS (one scale of that many visitors) and FUNNELHOUSE_BENCH_DIR make a small smoke
run possible; a bench dir other than data/bench gets its report inside it, so a smoke run never overwrites
the real figures.
"""

import gzip
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
from orchestration.warehouse import builds_folder

DEFAULT_BENCH_DIR = Path("data/bench")
BENCH_DIR = Path(os.environ.get("FUNNELHOUSE_BENCH_DIR", DEFAULT_BENCH_DIR))
# About 10.8 event lines per visitor, however many days the visits spread over.
SCALES = (
    {f"{int(os.environ['FUNNELHOUSE_BENCH_VISITORS']):,} visitors": int(os.environ["FUNNELHOUSE_BENCH_VISITORS"])}
    if "FUNNELHOUSE_BENCH_VISITORS" in os.environ
    else {"1M": 100_000, "3M": 300_000, "10M": 1_000_000}
)
DAYS = 90
REPORT = Path("BENCHMARKS.md") if BENCH_DIR.resolve() == DEFAULT_BENCH_DIR.resolve() else BENCH_DIR / "BENCHMARKS.md"
# The report replaces everything above this line of BENCHMARKS.md; the history below it is kept.
HISTORY_MARKER = "<!-- figures of earlier issues, by hand, below -->"
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


def _event_files(landing: Path) -> tuple[list[str], list[str]]:
    events = landing / "events"
    text = sorted(str(p) for pattern in ("**/*.jsonl", "**/*.jsonl.gz") for p in events.glob(pattern))
    return text, sorted(str(p) for p in events.glob("**/*.parquet"))


def _floor_sql(landing: Path, db: Path) -> str:
    """The floor: the same event files through nothing of ours. DuckDB's typed JSON reader (lines it cannot
    type are skipped, where the loader judges and keeps them), one row per re-delivered event, sessions by a
    30-minute gap, and a daily funnel of sessions, product views, carts and purchases. It types the fields
    the funnel reads and drops re-deliveries with a DISTINCT, which DuckDB spills to disk: a window over
    every contract field, or an arg_min grouping, ran out of its 2 GB at 10M lines."""
    text_files, parquet_files = _event_files(landing)
    return f"""
import duckdb
con = duckdb.connect({str(db)!r})
con.execute("set memory_limit = '2GB'")
con.execute("set enable_progress_bar = false")
# Row order means nothing to these tables; keeping it holds the DISTINCT's output in memory.
con.execute("set preserve_insertion_order = false")
con.execute('''
create table events as
with delivered as (
    select event_id, event_name, try_cast(occurred_at as timestamptz) as occurred_at, anonymous_id, user_id
    from read_json({text_files!r}, format = 'newline_delimited', ignore_errors = true,
        columns = {{'event_id': 'VARCHAR', 'event_name': 'VARCHAR', 'occurred_at': 'VARCHAR',
                   'anonymous_id': 'VARCHAR', 'user_id': 'VARCHAR'}})
    union all
    select event_id, event_name, try_cast(occurred_at as timestamptz), anonymous_id, user_id
    from read_parquet({parquet_files!r}, union_by_name = true)
)
select distinct event_id, event_name, occurred_at, anonymous_id, user_id
from delivered
where event_id is not null and anonymous_id is not null and occurred_at is not null
''')
con.execute('''
create table sessions as
with gaps as (
    select *, coalesce(occurred_at - lag(occurred_at) over (partition by anonymous_id order by occurred_at)
        > interval 30 minute, true) as starts_session
    from events
),
numbered as (
    select *, sum(cast(starts_session as integer)) over (partition by anonymous_id order by occurred_at
        rows unbounded preceding) as session_number
    from gaps
)
select anonymous_id, session_number, min(occurred_at) as started_at,
    bool_or(event_name = 'view_item') as viewed_item, bool_or(event_name = 'add_to_cart') as added_to_cart,
    bool_or(event_name = 'purchase') as purchased
from numbered group by all
''')
con.execute('''
create table funnel_daily as
select cast(started_at as date) as day, count(*) as sessions, count(*) filter (where viewed_item) as viewed,
    count(*) filter (where added_to_cart) as carted, count(*) filter (where purchased) as purchased
from sessions group by all
''')
"""


def _today() -> date:
    """The loader's today: the bench's landing zone must be wholly in its past."""
    return clock.today()


@dataclass(frozen=True)
class Scale:
    label: str
    visitors: int

    @property
    def dir(self) -> Path:
        return BENCH_DIR / self.label.replace(",", "").replace(" ", "-")

    @property
    def landing(self) -> Path:
        return self.dir / "landing"


def _cached_landing_fits(scale: Scale) -> bool:
    """Of the scale's size and wholly in the past: the loader rejects events dated over a day after the load."""
    truth = scale.landing / "truth.json"
    if not truth.exists():
        return False
    parameters = json.loads(truth.read_text())["parameters"]
    same_size = (parameters["days"], parameters["visitors"]) == (DAYS, scale.visitors)
    return same_size and date.fromisoformat(parameters["end_date"]) < _today()


def _ensure_landing(scale: Scale) -> float:
    """Generate the scale's landing zone once; the time its generation took."""
    generation = scale.dir / "generation.json"
    if not _cached_landing_fits(scale):
        shutil.rmtree(scale.landing, ignore_errors=True)
        started = time.monotonic()
        subprocess.run(
            [
                FUNNELHOUSE,
                "generate",
                "--out",
                str(scale.landing),
                "--visitors",
                str(scale.visitors),
                "--days",
                str(DAYS),
                "--start-date",
                (_today() - timedelta(days=DAYS)).isoformat(),  # ends yesterday: every event is in the past
            ],
            check=True,
        )
        generation.write_text(json.dumps({"seconds": time.monotonic() - started}))
    return json.loads(generation.read_text())["seconds"]


def _fresh(db: Path) -> Path:
    for path in (db, db.with_suffix(".duckdb.wal")):
        path.unlink(missing_ok=True)
    return db


def _run(landing: Path, db: Path) -> Measurement:
    return _measure([FUNNELHOUSE, "run", "--landing", str(landing), "--db", str(db)])


@dataclass(frozen=True)
class NodeTiming:
    name: str  # "model.<name>" or "test.<name>"
    seconds: float


def _last_build_results(db: Path) -> dict:
    """run_results.json of the warehouse's newest dbt build."""
    results = max(builds_folder(db).glob("*/run_results.json"), key=lambda path: path.stat().st_mtime)
    return json.loads(results.read_text())


def _node_timings(results: dict) -> list[NodeTiming]:
    """Every model's and test's time in a dbt build, slowest first."""
    timings = [
        NodeTiming(f"{node['unique_id'].split('.')[0]}.{node['unique_id'].split('.')[2]}", node["execution_time"])
        for node in results["results"]
    ]
    return sorted(timings, key=lambda timing: -timing.seconds)


# The bench's runs keep their history in an instance of their own, so each run's steps can be timed.
DAGSTER_HOME = BENCH_DIR / "dagster_home"


def _last_run_steps() -> dict[str, float]:
    """Wall seconds of each step of the newest Dagster run, in the order they ran (Dagster's step stats)."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        [run] = instance.get_runs(limit=1)
        stats = sorted(instance.get_run_step_stats(run.run_id), key=lambda step: step.start_time)
    return {step.step_key: step.end_time - step.start_time for step in stats}


@dataclass(frozen=True)
class Timed:
    """A run: its steps, its dbt build's own wall time, and where that build spent its time."""

    measurement: Measurement
    steps: dict[str, float]
    dbt_seconds: float
    nodes: list[NodeTiming]


def _timed_run(landing: Path, db: Path) -> Timed:
    measurement = _run(landing, db)
    results = _last_build_results(db)
    # elapsed_time: dbt's wall time from its start-up to its last node.
    return Timed(measurement, _last_run_steps(), results["elapsed_time"], _node_timings(results))


def _of_day(landing: Path, path: Path, *days: date) -> bool:
    """Event files sit in a folder per day and daily exports carry the day in their name; the catalog has no day."""
    relative = path.relative_to(landing).as_posix()
    return any(
        relative.startswith(f"events/{day:%Y/%m/%d}/") or relative.endswith(f"_{day.isoformat()}.csv") for day in days
    )


def _stage(landing: Path, staged: Path, files: list[Path]) -> None:
    """Hard links: the loader reads and hashes them as landed files, and staging copies nothing."""
    for file in files:
        target = staged / file.relative_to(landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.hardlink_to(file)


def _event_lines(path: Path) -> list[bytes]:
    with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as lines:
        return lines.readlines()


def _write_event_lines(path: Path, lines: list[bytes]) -> None:
    with gzip.open(path, "wb") if path.suffix == ".gz" else path.open("wb") as out:
        out.writelines(lines)


def _event_count(path: Path) -> int:
    if path.suffix == ".parquet":
        return duckdb.sql(f"select count(*) from read_parquet('{path}')").fetchone()[0]
    return len(_event_lines(path))


def _event_line_range(path: Path, out: Path, first: int, count: int) -> None:
    """`count` of the file's lines (rows) from line `first` on into `out`, in the file's own format."""
    if path.suffix == ".parquet":
        duckdb.sql(
            f"copy (select * exclude (file_row_number) from read_parquet('{path}', file_row_number = true) "
            f"where file_row_number >= {first} and file_row_number < {first + count} order by file_row_number) "
            f"to '{out}' (format parquet)"
        )
    else:
        _write_event_lines(out, _event_lines(path)[first : first + count])


def _first_hours(landing: Path, day_files: list[Path], held_back: Path, hours: int) -> list[Path]:
    """A file per hour of the day's first `hours` hours of events, as the hourly runs after midnight find them.

    A day's event files are cut in time order, so each 1/24 of its lines from the head of its first file is
    an hour's worth (nights are quiet, so it spans more than an hour of the clock)."""
    event_files = [file for file in day_files if file.relative_to(landing).parts[0] == "events"]
    first = event_files[0]
    hour_lines = min(sum(_event_count(file) for file in event_files) // 24, _event_count(first) // hours)
    stem, dot, formats = first.name.partition(".")
    held_back.mkdir(parents=True, exist_ok=True)
    files = []
    for hour in range(hours):
        file = held_back / f"{stem}-hour-{hour + 1}{dot}{formats}"
        _event_line_range(first, file, hour * hour_lines, hour_lines)
        files.append(file)
    return files


@dataclass(frozen=True)
class IncrementalRuns:
    build: Timed  # every day but the last two, into a fresh warehouse
    one_day: Timed  # the next day and the first hour after it: the run that turns the date, daily refits and all
    next_hour: Timed  # the hour after, as every later hourly run of a day finds it


def _incremental_runs(scale: Scale, last_day: date) -> IncrementalRuns:
    """A warehouse built from every day but the last two; then the day before the last landing on it with the
    last day's first hour, which turns the warehouse clock's date; then the last day's second hour."""
    landing, staged, held_back = scale.landing, scale.dir / "staged", scale.dir / "held_back"
    one_day = last_day - timedelta(days=1)
    files = sorted(path for folder in LANDING_FOLDERS for path in (landing / folder).rglob("*") if path.is_file())
    for folder in (staged, held_back):
        shutil.rmtree(folder, ignore_errors=True)
    db = _fresh(scale.dir / "incremental.duckdb")
    _stage(landing, staged, [file for file in files if not _of_day(landing, file, one_day, last_day)])
    build = _timed_run(staged, db)
    print(f"bench {scale.label}: full build over {DAYS - 2} days {build.measurement.seconds:.1f} s", flush=True)
    first_hour, second_hour = _first_hours(
        landing, [file for file in files if _of_day(landing, file, last_day)], held_back, hours=2
    )
    last_day_events = staged / "events" / f"{last_day:%Y/%m/%d}"
    _stage(landing, staged, [file for file in files if _of_day(landing, file, one_day)])
    _stage(held_back, last_day_events, [first_hour])
    day = _timed_run(staged, db)
    print(f"bench {scale.label}: one-day incremental run {day.measurement.seconds:.1f} s", flush=True)
    _stage(held_back, last_day_events, [second_hour])
    next_hour = _timed_run(staged, db)
    print(f"bench {scale.label}: next hour's run {next_hour.measurement.seconds:.1f} s", flush=True)
    return IncrementalRuns(build, day, next_hour)


@dataclass(frozen=True)
class LoaderRun:
    measurement: Measurement
    phases: dict[str, float]  # seconds per phase of the loader, summed over its tables


_LOAD_WITH_PHASES = """
import json, sys
from pathlib import Path
from orchestration.loader.load import load_landing_sources

phases = {}
for report in load_landing_sources(Path(sys.argv[1]), Path(sys.argv[2])):
    for phase, seconds in report.seconds_by_phase.items():
        phases[phase] = phases.get(phase, 0) + seconds
Path(sys.argv[3]).write_text(json.dumps(phases))
"""


def _loader_alone(scale: Scale) -> LoaderRun:
    """Every landing source into a fresh warehouse, with the seconds of each of the loader's phases."""
    phases = scale.dir / "loader_phases.json"
    db = _fresh(scale.dir / "load.duckdb")
    measurement = _measure([sys.executable, "-c", _LOAD_WITH_PHASES, str(scale.landing), str(db), str(phases)])
    return LoaderRun(measurement, json.loads(phases.read_text()))


@dataclass(frozen=True)
class ScaleFigures:
    scale: Scale
    events: int
    generation: float
    floor: Measurement
    load: LoaderRun
    first: Timed
    nothing_new: Measurement
    incremental: IncrementalRuns

    @property
    def build(self) -> Timed:
        return self.incremental.build

    @property
    def one_day(self) -> Timed:
        return self.incremental.one_day

    @property
    def next_hour(self) -> Timed:
        return self.incremental.next_hour

    @property
    def peak_rss_mib(self) -> float:
        timed = (self.first, self.build, self.one_day, self.next_hour)
        steps = [self.floor, self.load.measurement, self.nothing_new, *(t.measurement for t in timed)]
        return max(step.peak_rss_mib for step in steps)


def _bench_scale(scale: Scale) -> ScaleFigures:
    scale.dir.mkdir(parents=True, exist_ok=True)
    generation = _ensure_landing(scale)
    truth = json.loads((scale.landing / "truth.json").read_text())
    events = truth["events"]["lines"]
    print(f"bench {scale.label}: {events:,} event lines in {scale.landing}", flush=True)
    floor = _measure(_python(_floor_sql(scale.landing, _fresh(scale.dir / "floor.duckdb"))))
    print(f"bench {scale.label}: floor {floor.seconds:.1f} s", flush=True)
    load = _loader_alone(scale)
    print(f"bench {scale.label}: load {load.measurement.seconds:.1f} s", flush=True)
    first = _timed_run(scale.landing, _fresh(scale.dir / "run.duckdb"))
    print(f"bench {scale.label}: first run {first.measurement.seconds:.1f} s", flush=True)
    nothing_new = _run(scale.landing, scale.dir / "run.duckdb")
    print(f"bench {scale.label}: run with nothing new {nothing_new.seconds:.1f} s", flush=True)
    incremental = _incremental_runs(scale, date.fromisoformat(truth["parameters"]["end_date"]))
    return ScaleFigures(scale, events, generation, floor, load, first, nothing_new, incremental)


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
    shutil.rmtree(DAGSTER_HOME, ignore_errors=True)
    DAGSTER_HOME.mkdir(parents=True)
    os.environ["DAGSTER_HOME"] = str(DAGSTER_HOME.resolve())
    figures = [_bench_scale(Scale(label, visitors)) for label, visitors in SCALES.items()]
    largest = figures[-1]
    attribution = _attribution_rebuild(largest.scale.dir / "run.duckdb")
    print(f"bench: attribution over {attribution.paths:,} paths {attribution.measurement.seconds:.1f} s", flush=True)
    forecast = _forecast_bench()
    print(f"bench: forecast {forecast[1]['products']:,} products {forecast[1]['seconds']:.1f} s", flush=True)
    _write_report(figures, attribution, forecast)
    print(REPORT.read_text().split(HISTORY_MARKER)[0])


def _figure_rows(figures: list[ScaleFigures]) -> str:
    """One row per figure, one column per scale, and the issue's target."""

    def row(name: str, pick, form: str = "{:,.1f}", target: str = "") -> str:
        return f"| {name} | " + " | ".join(form.format(pick(f)) for f in figures) + f" | {target} |"

    def seconds(f: ScaleFigures, step: str) -> float:
        measured = getattr(f, step)
        return getattr(measured, "measurement", measured).seconds

    return "\n".join(
        [
            row("event lines", lambda f: f.events, "{:,}"),
            row(
                "floor: DuckDB alone (typed JSON reader, de-duplicate, sessionize, daily funnel), s",
                lambda f: seconds(f, "floor"),
            ),
            row("loader alone: every landing source into raw, s", lambda f: seconds(f, "load")),
            row("load rate, events/s", lambda f: f.events / seconds(f, "load"), "{:,.0f}", "at least 300,000 at 10M"),
            row(
                "whole first run (`funnelhouse run`: Dagster, load, dbt build and tests, publish), s",
                lambda f: seconds(f, "first"),
            ),
            row(
                "whole first run / floor",
                lambda f: seconds(f, "first") / seconds(f, "floor"),
                "{:.2f}x",
                "within 4x at 10M, on the way to 3x",
            ),
            row("a run with nothing new, s", lambda f: seconds(f, "nothing_new"), target="seconds"),
            row(f"full build over the first {DAYS - 2} days, s", lambda f: seconds(f, "build")),
            row("one-day incremental run (the next day's files, the date turns), s", lambda f: seconds(f, "one_day")),
            row(
                "one-day incremental run / full build",
                lambda f: seconds(f, "one_day") / seconds(f, "build"),
                "{:.1%}",
                "under 10% at 3M and 10M",
            ),
            row("next hour's run (an hour of events, same date), s", lambda f: seconds(f, "next_hour")),
            row("next hour's run / full build", lambda f: seconds(f, "next_hour") / seconds(f, "build"), "{:.1%}"),
            row("peak memory of any step (RSS), MiB", lambda f: f.peak_rss_mib, "{:,.0f}", "under 4 GiB at 10M"),
            row("generating the landing zone (once), s", lambda f: f.generation),
        ]
    )


def _where_dbt_spends(timed: Timed, top: int = 8) -> str:
    steps = ", ".join(f"`{step}` {seconds:.1f} s" for step, seconds in timed.steps.items())
    outside = timed.measurement.seconds - sum(timed.steps.values())
    models = sum(n.seconds for n in timed.nodes if not n.name.startswith("test."))
    tests = sum(n.seconds for n in timed.nodes if n.name.startswith("test."))
    slowest = ", ".join(f"`{n.name}` {n.seconds:.1f} s" for n in timed.nodes[:top])
    return (
        f"{timed.measurement.seconds:.1f} s in all. Steps: {steps}; outside them (process and Dagster start, "
        f"the run summary) {outside:.1f} s. dbt's build took {timed.dbt_seconds:.1f} s from its start-up on: "
        f"{models:.1f} s of models and seeds and {tests:.1f} s of tests, summed over dbt's threads. "
        f"Slowest: {slowest}."
    )


def _where_time_goes(largest: ScaleFigures) -> str:
    phases = ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in largest.load.phases.items())
    return "\n".join(
        [
            f"- Loader alone ({largest.load.measurement.seconds:.1f} s, process start included): {phases}.",
            f"- Whole first run: {_where_dbt_spends(largest.first)}",
            f"- Full build over {DAYS - 2} days: {_where_dbt_spends(largest.build)}",
            f"- One-day incremental run: {_where_dbt_spends(largest.one_day)}",
            f"- Next hour's run: {_where_dbt_spends(largest.next_hour)}",
        ]
    )


def _write_report(
    figures: list[ScaleFigures], attribution: AttributionRebuild, forecast: tuple[Measurement, dict]
) -> None:
    forecast_run, forecast_figures = forecast
    largest = figures[-1]
    generated = ", ".join(
        f"{f.scale.label}: `funnelhouse generate --visitors {f.scale.visitors:,} --days {DAYS}`" for f in figures
    )
    accuracy = ", ".join(
        f"{model} MASE {values['mase']:.3f} / WAPE {values['wape']:.3f}"
        for model, values in forecast_figures["models"].items()
    )
    history = (
        REPORT.read_text().split(HISTORY_MARKER, 1)[1]
        if REPORT.exists() and HISTORY_MARKER in REPORT.read_text()
        else "\n"
    )
    REPORT.write_text(
        f"""# Benchmarks

Measured by `make bench` on {datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, Python {platform.python_version()},
DuckDB memory limit {os.environ.get("FUNNELHOUSE_DUCKDB_MEMORY_LIMIT", "2GB")}, in one run.
Landing zones of 90 days ending yesterday ({generated}): JSONL, gzipped JSONL and Parquet event files with
duplicates and malformed lines, and the daily exports; cached under `{BENCH_DIR}/<scale>/`.
The incremental rows stage the same files by day: every file of the first 88 days into a fresh warehouse;
then the 89th day's event files and daily exports with the first hour of the 90th day's events (the first
1/24 of its lines, cut from its first file), which turns the warehouse clock's date, as the first run after
midnight finds it; then the 90th day's second hour, as every later hourly run of a day finds it. The daily
refits (demand forecast, CLV) run in the one-day run and are kept in the next hour's.

| figure | {" | ".join(f.scale.label for f in figures)} | target |
| --- | {" | ".join("---:" for _ in figures)} | --- |
{_figure_rows(figures)}

Peak memory is the largest resident set of a step's processes (dbt's included), read with getrusage.

## Where the time goes at {largest.scale.label}

{_where_time_goes(largest)}

## Attribution and the demand forecast at {largest.scale.label}

- Attribution alone (`dbt run` of {", ".join(ATTRIBUTION_MODELS)}, dbt start-up included) over
  **{attribution.paths:,} paths** ({attribution.converting_paths:,} converting) into {attribution.credit_rows:,}
  credit rows: **{attribution.measurement.seconds:.1f} s**, peak {attribution.measurement.peak_rss_mib:,.0f} MiB
  (target under 60 s for 1M paths).
- Demand forecast of **{forecast_figures["products"]:,} products x {forecast_figures["days"]} days**, rolling-origin
  backtest included: **{forecast_figures["seconds"]:.1f} s** in the fit, {forecast_run.seconds:.1f} s with the
  process start and the synthetic catalog (target under 120 s). Catalog accuracy: {accuracy}.

{HISTORY_MARKER}{history}"""
    )


if __name__ == "__main__":
    main()
