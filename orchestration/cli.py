"""The `funnelhouse` command: generate a demo shop, run the pipeline."""

import importlib.util
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import click

from orchestration.backup import DEFAULT_KEEP, DEFAULT_WAIT_SECONDS
from orchestration.settings import SPARK, TARGETS, Settings


def _landing_option(what: str):
    """--landing, as every command that reads the landing zone takes it."""
    return click.option(
        "--landing",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help=f"{what} [env FUNNELHOUSE_LANDING, default data/landing].",
    )


def _db_option(what: str):
    """--db, as every command that opens the warehouse takes it."""
    return click.option(
        "--db",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help=f"{what} [env FUNNELHOUSE_DB, default data/warehouse.duckdb].",
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Funnelhouse: the warehouse for shops that sell through shoppable video, social and their own site.

    Raw tracking events and daily exports land in a landing zone; `funnelhouse run` loads what is new
    into DuckDB and builds every dbt model and test, as the same Dagster job the schedule runs.
    """


@main.command()
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Landing zone folder to write.")
@click.option("--days", type=click.IntRange(min=1), default=60, show_default=True, help="Days of history.")
@click.option(
    "--visitors",
    type=click.IntRange(min=1),
    default=30_000,
    show_default=True,
    help="Distinct visitors; about 10 events each.",
)
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed: same seed, same files.")
@click.option(
    "--start-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="First day of history [default: DAYS days before today, so the history ends yesterday; today is the "
    "UTC date, or that of FUNNELHOUSE_NOW when set].",
)
def generate(out: Path, days: int, visitors: int, seed: int, start_date) -> None:
    """Write a synthetic shop's landing zone and OUT/truth.json, the parameters planted in it."""
    from orchestration.generator import generate_landing_zone

    started = time.monotonic()
    truth = generate_landing_zone(
        out,
        days=days,
        visitors=visitors,
        seed=seed,
        start_date=date.fromordinal(start_date.toordinal()) if start_date else None,
        progress=click.echo,
    )
    events = truth["events"]
    malformed = sum(events["rejected"].values())
    click.echo(
        f"Wrote {events['lines']:,} event lines ({events['valid_unique']:,} valid, {events['duplicates']:,} "
        f"re-delivered, {malformed:,} malformed) to {out} in {time.monotonic() - started:.1f} s; "
        f"truth in {out / 'truth.json'}"
    )


@main.command()
@_landing_option("Landing zone to load")
@_db_option("DuckDB warehouse file")
@click.option(
    "--target",
    type=click.Choice(TARGETS),
    default=None,
    help="Where dbt builds the models: in the DuckDB file, or in a Spark warehouse beside it (README "
    '"Spark"), which reads the raw tables as Parquet [env FUNNELHOUSE_TARGET, default duckdb].',
)
@click.option("--full-refresh", is_flag=True, help="Rebuild every incremental dbt model from raw.")
@click.option(
    "--vars",
    "dbt_vars",
    default="",
    metavar="YAML",
    help="dbt vars to set, e.g. '{reporting_timezone: Europe/Rome}'. Recorded in the warehouse and kept for "
    "every later run; a change of a var that shapes history rebuilds the models in full.",
)
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Seconds to wait for another run that is writing to the warehouse before giving up.",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Re-hash every landed file to find one changed in place. Without it, a file whose size and "
    "modification time are those the ledger recorded is not read again.",
)
def run(
    landing: Path | None,
    db: Path | None,
    target: str | None,
    full_refresh: bool,
    dbt_vars: str,
    wait_seconds: float,
    verify: bool,
) -> None:
    """Load every landing file not loaded yet, then build every model and check, then publish the serving copy
    (on Spark the models are Spark tables, read in place: there is no serving copy).

    Exits 0 only when every file loaded and every asset and every blocking check succeeded.
    """
    from orchestration.build_settings import parse_vars
    from orchestration.loader.salt import SaltError, fingerprint, salt_for
    from orchestration.nothing_new import current_build, readers_build

    started = time.monotonic()
    try:
        settings = Settings.from_env(landing, db, target)
    except ValueError as error:  # FUNNELHOUSE_TARGET names no target
        raise click.ClickException(str(error)) from error
    if not settings.landing_dir.is_dir():
        raise click.ClickException(
            f"landing zone {settings.landing_dir} does not exist: set FUNNELHOUSE_LANDING or pass --landing, "
            "or write a demo one with `funnelhouse generate --out data/landing`"
        )
    if settings.target == SPARK and (missing := _spark_missing()):
        raise click.ClickException(f"the Spark target needs {missing}")
    try:
        parse_vars(dbt_vars)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--vars") from error
    try:
        salt = salt_for(settings.landing_dir)
    except SaltError as missing:
        raise click.ClickException(str(missing)) from missing
    if (
        not (full_refresh or dbt_vars or verify)
        and (
            build := current_build(
                settings.landing_dir,
                settings.db_path,
                readers_build(settings.target, settings.serving_db, settings.spark_dir),
                settle_seconds=settings.settle_for(scheduled=False),
            )
        )
        is not None
    ):
        click.echo(
            f"Nothing new: every file in {settings.landing_dir} is loaded, and no var, seed or code changed since "
            f"build {build}, which {_readers_see(settings)}"
        )
        click.echo(f"Finished in {time.monotonic() - started:.1f} s.")
        return

    # Dagster and dbt are loaded only for a run with something to do.
    from orchestration.pipeline import run_pipeline
    from orchestration.spark_warehouse import spark_schema_folder
    from orchestration.summary import last_load_id
    from orchestration.writer_lock import WarehouseBusy

    click.echo(f"Funnelhouse: loading {settings.landing_dir} into {settings.db_path}")
    if settings.target == SPARK:
        click.echo(f"Building the models on Spark in {settings.spark_dir}")
    click.echo(f"Personal data hashed with the salt of fingerprint {fingerprint(salt)}")
    before = last_load_id(settings.db_path)
    try:
        outcome = run_pipeline(
            settings, full_refresh=full_refresh, dbt_vars=dbt_vars, wait_seconds=wait_seconds, verify=verify
        )
    except (WarehouseBusy, SaltError) as refused:
        raise click.ClickException(str(refused)) from refused
    if settings.db_path.exists():
        try:
            click.echo(_summary(settings, before, outcome.landing))
        except Exception as error:  # a failed first run may not have built staging: say so, keep the real error
            click.echo(f"(no summary: {error})", err=True)
    for warning in outcome.warnings:
        click.echo(f"warning: {warning}")
    if outcome.success and settings.target == SPARK:
        click.echo(f"The public marts as Spark tables (Parquet): {spark_schema_folder(settings.spark_dir, 'marts')}")
    elif outcome.success:
        click.echo(f"Serving copy for analysts and BI tools: {settings.serving_db}")
        click.echo(f"The public marts as Parquet: {settings.export_dir}")
    click.echo(f"Finished in {time.monotonic() - started:.1f} s.")
    if not outcome.success:
        for failure in outcome.failures:
            click.echo(failure, err=True)
        click.echo("The run FAILED: see the lines above, or the run in `make dev`.", err=True)
        sys.exit(1)


def _spark_missing() -> str | None:
    """What the Spark target needs and this machine lacks, told before the loads rather than by dbt after them."""
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None:
        return "dbt-spark and pyspark: `make install-spark` (the project's `spark` extra)"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "Java 17 or later: install a JRE (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
    return None


def _readers_see(settings: Settings) -> str:
    if settings.target == SPARK:
        return f"the Spark warehouse holds: {settings.spark_dir}"
    return f"the serving copy publishes: {settings.serving_db}"


def _summary(settings: Settings, before: int, landing: dict[str, list[str]]) -> str:
    """The DuckDB target's summary reads its marts' numbers; the Spark target's, the marts' row counts."""
    from orchestration.summary import format_spark_summary, format_summary, summarise_run, summarise_spark_run

    if settings.target == SPARK:
        return format_spark_summary(summarise_spark_run(settings.db_path, settings.spark_dir, before, landing))
    return format_summary(summarise_run(settings.db_path, before, landing))


@main.command()
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Folder to write (replaced whole).")
@click.option(
    "--serving-db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Serving copy to export [env FUNNELHOUSE_SERVING_DB, default serving.duckdb beside the warehouse].",
)
def export(out: Path, serving_db: Path | None) -> None:
    """Write every public mart to OUT as Parquet (audiences also as CSV), with OUT/manifest.json.

    Reads the serving copy, so it never waits for a run; OUT appears whole or not at all.
    """
    from orchestration.export import ExportError, export_marts

    serving = serving_db.resolve() if serving_db else Settings.from_env().serving_db
    try:
        export = export_marts(serving, out.resolve())
    except ExportError as refused:
        raise click.ClickException(str(refused)) from refused
    width = max(map(len, export.rows))
    for mart, rows in export.rows.items():
        click.echo(f"  {mart:<{width}}  {rows:>12,} rows")
    click.echo(
        f"Exported {len(export.rows)} marts ({sum(export.rows.values()):,} rows) published {export.published_at} "
        f"by run {export.run_id or '(unknown)'} to {export.path}"
    )


@main.command()
@click.option("--user-id", "user_ids", multiple=True, help="The shop's customer id (repeatable).")
@click.option("--anonymous-id", "anonymous_ids", multiple=True, help="A device or browser id (repeatable).")
@click.option("--email", "emails", multiple=True, help="An e-mail address the person signed up with (repeatable).")
@click.option("--landing", type=click.Path(path_type=Path), help="Landing zone [FUNNELHOUSE_LANDING].")
@click.option("--db", type=click.Path(path_type=Path), help="Warehouse file [FUNNELHOUSE_DB].")
def forget(
    user_ids: tuple[str, ...],
    anonymous_ids: tuple[str, ...],
    emails: tuple[str, ...],
    landing: Path | None,
    db: Path | None,
) -> None:
    """Erase a person (GDPR article 17) from every table and the serving copy, then rebuild what changed.

    Their devices go with them; later deliveries of their events are dropped. Nothing printed names them.
    """
    from orchestration.erasure import ErasureRequest, NobodyToForget
    from orchestration.erasure import forget as erase
    from orchestration.loader.pii import Pseudonymiser
    from orchestration.loader.salt import SaltError, salt_for
    from orchestration.pipeline import run_pipeline
    from orchestration.writer_lock import WarehouseBusy, writer_lock

    request = ErasureRequest(user_ids, anonymous_ids, emails)
    if not request.describe():
        raise click.UsageError("name the person: --user-id, --anonymous-id or --email")
    settings = Settings.from_env(landing, db)
    if settings.target == SPARK:
        raise click.ClickException(
            "forget is not available on the Spark target yet: it would remove the person from the loader's "
            "DuckDB file only, and the Spark tables would keep them"
        )
    if not settings.db_path.exists():
        raise click.ClickException(f"no warehouse at {settings.db_path}: set FUNNELHOUSE_DB or pass --db")
    try:
        with writer_lock(settings.db_path):
            pseudonymiser = Pseudonymiser(salt_for(settings.landing_dir), settings.phone_regions)
            erasure = erase(settings.db_path, request, pseudonymiser)
            click.echo(
                f"Erasure {erasure.erasure_id} ({request.describe()}): {erasure.events:,} events of "
                f"{erasure.devices:,} devices, {erasure.total_rows:,} rows removed:"
            )
            for table, rows in sorted(erasure.rows_removed.items()):
                click.echo(f"  {table:<45} {rows:>10,}")
            click.echo("Rebuilding what the erasure changed and republishing the serving copy ...")
            outcome = run_pipeline(settings)
    except (WarehouseBusy, SaltError, NobodyToForget) as refused:
        raise click.ClickException(str(refused)) from refused
    if not outcome.success:
        for failure in outcome.failures:
            click.echo(failure, err=True)
        click.echo("The erasure is done; the rebuild FAILED and is retried by the next run.", err=True)
        sys.exit(1)
    click.echo(f"Done: the person is gone from {settings.db_path} and {settings.serving_db}.")


@main.command()
@_landing_option("Landing zone")
@_db_option("DuckDB warehouse file")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON, for a monitor.")
def status(landing: Path | None, db: Path | None, as_json: bool) -> None:
    """The warehouse's state at a glance: the last build, the newest loads per source, landing files not loaded,
    quarantined files, the last loads' rejected shares, file sizes; and each finding with what to do.

    Exits 0 when nothing needs attention, 1 when something does, 2 when it cannot tell (no warehouse). Never
    waits for a run: while one writes the warehouse, it reads the serving copy.
    """
    from orchestration.status import EXIT_CANNOT_TELL, check_status, format_status

    try:
        settings = Settings.from_env(landing, db)
    except ValueError as error:  # FUNNELHOUSE_TARGET names no target, or a threshold is not a number
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_CANNOT_TELL)  # not 1: a monitor must not take a broken setting for a finding
    found = check_status(settings)
    click.echo(found.to_json() if as_json else format_status(found))
    sys.exit(found.exit_code)


@main.command()
@_landing_option("Landing zone the sensor watches and the runs load")
@_db_option("DuckDB warehouse file")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the Dagster UI listens on.")
@click.option("--port", type=click.IntRange(1, 65535), default=3000, show_default=True, help="Port of the Dagster UI.")
def serve(landing: Path | None, db: Path | None, host: str, port: int) -> None:
    """Run Funnelhouse as a service: the Dagster daemon, with the hourly schedule and the landing sensor on and
    one run at a time, and the Dagster UI, until SIGTERM or Ctrl-C.

    Dagster keeps its runs in DAGSTER_HOME [default: dagster/ beside the warehouse]. Exits 0 after a requested
    stop, 1 when the daemon or the UI ended on its own (so systemd or Docker restarts the service), 2 when the
    settings do not allow a start.
    """
    from orchestration.loader.salt import SaltError, salt_for
    from orchestration.service import EXIT_MISCONFIGURED
    from orchestration.service import serve as run_service

    try:
        settings = Settings.from_env(landing, db)
        salt_for(settings.landing_dir)  # every run would fail without it: say so now, not in each run's log
    except (ValueError, SaltError) as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_MISCONFIGURED)
    sys.exit(run_service(settings, host, port, echo=lambda line: click.echo(line)))


def _duckdb_target(command: str, db: Path | None) -> Settings:
    """Settings for backup and restore, which cover the DuckDB target's warehouse file."""
    try:
        settings = Settings.from_env(db=db)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    if settings.target == SPARK:
        raise click.ClickException(
            f"{command} covers the DuckDB target only: on the Spark target the models are Spark tables in "
            f"{settings.spark_dir}, which a copy of {settings.db_path} does not hold"
        )
    return settings


def _build_named(manifest: dict) -> str:
    build = manifest["last_build_id"]
    return f"build {build}" if build is not None else "no finished build"


@main.command()
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Backups folder.")
@_db_option("DuckDB warehouse file")
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    default=DEFAULT_KEEP,
    show_default=True,
    help="Newest backups to keep; older ones are removed.",
)
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=DEFAULT_WAIT_SECONDS,
    show_default=True,
    help="Seconds to wait for a run that is writing to the warehouse to finish.",
)
def backup(out: Path, db: Path | None, keep: int, wait_seconds: float) -> None:
    """Copy the warehouse, between two runs, to OUT/<UTC time>/ with a manifest (sha256, row counts, build).

    The copy is taken under the pipeline's writer lock, so never in the middle of a run; the serving copy and
    the export are not copied: a restore publishes them again from the warehouse.
    """
    from orchestration.backup import BackupError, backup_warehouse
    from orchestration.writer_lock import WarehouseBusy

    settings = _duckdb_target("backup", db)
    try:
        made = backup_warehouse(settings.db_path, out.resolve(), keep=keep, wait_seconds=wait_seconds)
    except (WarehouseBusy, BackupError) as refused:
        raise click.ClickException(str(refused)) from refused
    manifest = made.manifest
    click.echo(
        f"Backed up {settings.db_path} ({manifest['bytes'] / 1e6:,.1f} MB, {len(manifest['rows'])} tables, "
        f"{_build_named(manifest)}) to {made.folder}"
    )
    click.echo(f"  sha256 {manifest['sha256']}; PII salt fingerprint {manifest['pii_salt_fingerprint']}")
    for folder in made.pruned:
        click.echo(f"  removed {folder.name}")


@main.command()
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    required=True,
    help="A backups folder (its newest backup is restored) or one backup, OUT/<UTC time>.",
)
@_db_option("DuckDB warehouse file to replace")
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Seconds to wait for a run that is writing to the warehouse to finish before giving up.",
)
def restore(source: Path, db: Path | None, wait_seconds: float) -> None:
    """Put a backup in place of the warehouse, after checking its sha256, and republish the serving copy.

    Refused while a run holds the warehouse (unless --wait lets it finish). The replaced warehouse is kept as
    <db>.before-restore-<UTC time>. The next `funnelhouse run` loads the landing files that arrived since the
    backup.
    """
    from orchestration.backup import BackupError, restore_warehouse
    from orchestration.loader.salt import SALT_VARIABLE, fingerprint
    from orchestration.writer_lock import WarehouseBusy

    settings = _duckdb_target("restore", db)
    try:
        restored = restore_warehouse(
            source.resolve(), settings.db_path, settings.serving_db, settings.export_dir, wait_seconds=wait_seconds
        )
    except (WarehouseBusy, BackupError) as refused:
        raise click.ClickException(str(refused)) from refused
    manifest = restored.manifest
    click.echo(
        f"Restored {settings.db_path} from {restored.backup} (taken {manifest['created_at']}, "
        f"{_build_named(manifest)}; sha256 verified)"
    )
    if restored.set_aside:
        click.echo(f"  the replaced warehouse is kept as {restored.set_aside}: delete it once you are satisfied")
    if restored.republished:
        export = f", and the Parquet export in {settings.export_dir}" if settings.export_dir.exists() else ""
        click.echo(f"  published again from the restored warehouse: the serving copy {settings.serving_db}{export}")
    else:
        click.echo(
            f"  serving copy removed: the backup's newest build had not finished, so its marts may be half-built; "
            f"`funnelhouse run` builds and publishes them ({settings.serving_db})"
        )
    if restored.erasures_lost:
        click.echo(
            f"warning: {restored.erasures_lost} erasure(s) recorded after this backup are not in it: those people "
            f"are back. Run `funnelhouse forget` again for each (raw.erasures in {restored.set_aside} lists them).",
            err=True,
        )
    salt = os.environ.get(SALT_VARIABLE)
    if salt and manifest["pii_salt_fingerprint"] not in (None, fingerprint(salt)):
        click.echo(
            f"warning: the backup was hashed with the salt of fingerprint {manifest['pii_salt_fingerprint']}, "
            f"and {SALT_VARIABLE} has {fingerprint(salt)}: runs will refuse it until the salt is set back.",
            err=True,
        )
    click.echo("Next: `funnelhouse run` loads the landing files that arrived since the backup and builds.")


@main.command("prune-history")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Days of finished runs to keep [env FUNNELHOUSE_HISTORY_DAYS, default 30].",
)
@click.option("--dry-run", is_flag=True, help="Say what would be deleted, and delete nothing.")
def prune_history_command(days: int | None, dry_run: bool) -> None:
    """Delete Dagster's runs that finished more than DAYS days ago, with their event logs and the stdout and stderr
    their steps printed, from DAGSTER_HOME [default data/dagster beside the warehouse].

    Runs queued or in progress are never touched. Under `dagster dev` the daily_housekeeping schedule does the
    same; this is for `make run` from cron.
    """
    import dagster as dg

    from orchestration.housekeeping import prune_history

    try:
        settings = Settings.from_env()
    except ValueError as error:  # FUNNELHOUSE_HISTORY_DAYS is not a whole number of days
        raise click.ClickException(str(error)) from error
    home = settings.dagster_home
    if not home.is_dir():
        raise click.ClickException(f"no Dagster instance at {home}: set DAGSTER_HOME to the one `make run` uses")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        report = prune_history(instance, keep_days=days or settings.history_days, dry_run=dry_run)
    click.echo(f"Dagster's history in {home}:")
    click.echo(f"  {report.describe()}")
