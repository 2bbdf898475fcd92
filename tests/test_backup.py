"""`funnelhouse backup` and `funnelhouse restore`: a warehouse lost or gone on past its backup comes back row for row,
published again, and the next run loads what came after; a run in progress, a damaged backup or another
warehouse's backup is refused with nothing changed; old backups are pruned.

One generated shop is run once; what the warehouse does after its backup (another load and build, an erasure,
a broken file) is written without dbt."""

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner, Result

from orchestration.backup import MANIFEST, complete_backups
from orchestration.build_settings import mark_built, plan_build
from orchestration.cli import main
from orchestration.generator import generate_landing_zone
from orchestration.loader.ledger import file_sha256
from orchestration.nothing_new import current_build
from orchestration.pipeline import run_pipeline
from orchestration.serving import publish_serving_copy, published_build
from orchestration.settings import Settings
from tests.conftest import event, load, query, write_lines

LATER_FILE = "events/2026/09/04/after-the-backup.jsonl"


def _tables(db: Path, schema: str) -> dict[str, list[tuple]]:
    """Every row of every table of a schema, in a stable order."""
    with duckdb.connect(str(db), read_only=True) as con:
        names = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = ? order by 1", [schema]
            ).fetchall()
        ]
        return {name: con.execute(f'select * from {schema}."{name}" order by all').fetchall() for name in names}


def _cli(*args: str, db: Path) -> Result:
    return CliRunner().invoke(main, [*args, "--db", str(db)])


def _go_on_after_the_backup(settings: Settings) -> None:
    """What the warehouse does after its backup, short of dbt: a file loaded, an erasure, a build recorded and
    published. The serving copy then publishes build 2, which the backup never had."""
    write_lines(settings.landing_dir, LATER_FILE, [event("after-1", occurred_at="2026-09-04T08:00:00Z")])
    load(settings.landing_dir, settings.db_path)
    with duckdb.connect(str(settings.db_path)) as con:
        con.execute("insert into raw.erasures values (1, 'a user id', 'request-hash', 0, 0, '{}', now())")
    mark_built(settings.db_path, plan_build(settings.db_path, {}, full_refresh=False))
    publish_serving_copy(settings.db_path, settings.serving_db)


@pytest.fixture(scope="module")
def restored(tmp_path_factory):
    """The shop run once and backed up; the warehouse then went on (build 2 published), and was restored."""
    os.environ.pop("DAGSTER_HOME", None)
    root = tmp_path_factory.mktemp("backup")
    generate_landing_zone(root / "landing", days=3, visitors=300, seed=7, start_date=date(2026, 9, 1))
    settings = Settings(landing_dir=root / "landing", db_path=root / "warehouse" / "warehouse.duckdb", keep_dbt_runs=1)
    outcome = run_pipeline(settings)
    assert outcome.success, outcome.failures
    at_backup = {schema: _tables(settings.db_path, schema) for schema in ("marts", "raw")}
    backed_up = _cli("backup", "--out", str(root / "backups"), db=settings.db_path)
    _go_on_after_the_backup(settings)
    published_before_restore = published_build(settings.serving_db)
    restore = _cli("restore", "--from", str(root / "backups"), db=settings.db_path)
    return {
        "settings": settings,
        "backups": root / "backups",
        "at_backup": at_backup,
        "backed_up": backed_up,
        "published_before_restore": published_before_restore,
        "restore": restore,
    }


def test_a_backup_is_the_warehouse_file_with_a_manifest_that_proves_it(restored):
    (backup,) = complete_backups(restored["backups"])
    manifest = json.loads((backup / MANIFEST).read_text())
    at_backup = restored["at_backup"]

    assert restored["backed_up"].exit_code == 0, restored["backed_up"].output
    assert f"to {backup}" in restored["backed_up"].output
    assert manifest["sha256"] == file_sha256(backup / "warehouse.duckdb")
    assert manifest["bytes"] == (backup / "warehouse.duckdb").stat().st_size
    assert manifest["last_build_id"] == 1
    assert len(manifest["pii_salt_fingerprint"]) == 16
    assert manifest["source"] == str(restored["settings"].db_path)
    assert manifest["funnelhouse_version"] and manifest["duckdb_version"] == duckdb.__version__
    assert manifest["rows"]["marts.fct_sessions"] == len(at_backup["marts"]["fct_sessions"]) > 0
    assert manifest["rows"]["raw.load_ledger"] == len(at_backup["raw"]["load_ledger"])
    assert not [path for path in restored["backups"].iterdir() if path.name.startswith(".")]  # no draft left


def test_a_restore_brings_back_the_warehouse_as_it_was_at_the_backup(restored):
    settings = restored["settings"]
    result = restored["restore"]

    assert result.exit_code == 0, result.output
    assert "sha256 verified" in result.output
    assert {schema: _tables(settings.db_path, schema) for schema in ("marts", "raw")} == restored["at_backup"]
    set_aside = list(settings.db_path.parent.glob("warehouse.duckdb.before-restore-*"))
    assert len(set_aside) == 1 and f"kept as {set_aside[0]}" in result.output
    assert query(set_aside[0], "select max(build_id) from meta.build_settings") == [(2,)]  # the one it replaced


def test_the_restored_warehouse_is_published_and_the_next_run_is_a_real_one(restored):
    settings = restored["settings"]

    assert restored["published_before_restore"] == 2
    assert published_build(settings.serving_db) == 1  # the serving copy no longer shows what the restore undid
    assert _tables(settings.serving_db, "marts") == restored["at_backup"]["marts"]
    # The file loaded after the backup is not in the restored ledger: the next run loads it and builds.
    assert current_build(settings.landing_dir, settings.db_path, 1, settle_seconds=0) is None
    assert "published again from the restored warehouse: the serving copy" in restored["restore"].output


def test_a_restore_warns_of_erasures_made_after_the_backup(restored):
    output = restored["restore"].output

    assert "1 erasure(s) recorded after this backup are not in it" in output
    assert "funnelhouse forget" in output


def test_a_lost_warehouse_is_restored_whole(restored):
    settings = restored["settings"]
    settings.db_path.write_bytes(b"not a database any more")

    result = _cli("restore", "--from", str(restored["backups"]), db=settings.db_path)

    assert result.exit_code == 0, result.output
    assert _tables(settings.db_path, "marts") == restored["at_backup"]["marts"]


def test_a_backup_taken_after_a_failed_build_is_restored_without_a_serving_copy(restored, tmp_path):
    """Its marts may be half-built: no reader is shown them, and the next run must build (not "nothing new")."""
    settings = Settings(landing_dir=restored["settings"].landing_dir, db_path=tmp_path / "warehouse.duckdb")
    shutil.copy2(restored["settings"].db_path, settings.db_path)
    publish_serving_copy(settings.db_path, settings.serving_db)
    plan_build(settings.db_path, {"cart_recovery_delay_hours": 2}, full_refresh=False)  # a build that never finished
    assert _cli("backup", "--out", str(tmp_path / "backups"), db=settings.db_path).exit_code == 0

    result = _cli("restore", "--from", str(tmp_path / "backups"), db=settings.db_path)

    assert result.exit_code == 0, result.output
    assert "serving copy removed: the backup's newest build had not finished" in result.output
    assert not settings.serving_db.exists()  # with no published build, the next run cannot be "nothing new"


def _held_writer_lock(db: Path) -> subprocess.Popen:
    """Another process holding the pipeline's writer lock, as a run does."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from pathlib import Path; from orchestration.writer_lock import writer_lock\n"
            f"with writer_lock(Path({str(db)!r})):\n    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[1],
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_while_a_run_holds_the_warehouse_restore_is_refused_and_backup_waits_then_gives_up(restored, tmp_path):
    db = restored["settings"].db_path
    before = file_sha256(db)
    holder = _held_writer_lock(db)
    try:
        restore = _cli("restore", "--from", str(restored["backups"]), db=db)
        backup = _cli("backup", "--out", str(tmp_path / "more"), "--wait", "1", db=db)
    finally:
        holder.kill()
        holder.wait()

    assert restore.exit_code == backup.exit_code == 1
    assert f"pid {holder.pid}" in restore.output and "being written by another run" in restore.output
    assert "after waiting 1 s" in backup.output
    assert file_sha256(db) == before
    assert complete_backups(tmp_path / "more") == [] and list((tmp_path / "more").iterdir()) == []


def test_a_damaged_backup_is_refused_and_the_warehouse_left_alone(restored, tmp_path):
    db = restored["settings"].db_path
    (backup,) = complete_backups(restored["backups"])
    damaged = tmp_path / backup.name
    shutil.copytree(backup, damaged)
    with (damaged / "warehouse.duckdb").open("r+b") as file:
        file.seek(100_000)
        file.write(b"\0damaged\0")
    before = file_sha256(db)

    result = _cli("restore", "--from", str(damaged), db=db)

    assert result.exit_code == 1
    assert "does not match its manifest (sha256 differs)" in result.output
    assert file_sha256(db) == before
    assert not list(db.parent.glob(".warehouse.duckdb.*"))  # no draft left beside the warehouse


def test_a_backup_of_another_warehouse_is_refused(restored, tmp_path):
    result = _cli("restore", "--from", str(restored["backups"]), db=tmp_path / "other.duckdb")

    assert result.exit_code == 1
    assert "a backup of a warehouse named warehouse.duckdb, not other.duckdb" in result.output
    assert not (tmp_path / "other.duckdb").exists()


def _made(backup: Result) -> Path:
    """The folder a backup names on its first line: "Backed up ... to FOLDER"."""
    return Path(backup.output.splitlines()[0].rsplit(" to ", 1)[1])


def test_backups_beyond_keep_are_pruned_newest_kept_and_dead_drafts_removed(restored, tmp_path):
    db = restored["settings"].db_path
    out = tmp_path / "backups"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    abandoned = out / f".20260101T000000.000Z.{dead.stdout.strip()}.partial"
    abandoned.mkdir()

    made = [_cli("backup", "--out", str(out), "--keep", "2", db=db) for _ in range(3)]

    assert [result.exit_code for result in made] == [0, 0, 0]
    assert complete_backups(out) == [_made(made[1]), _made(made[2])]
    assert sorted(os.listdir(out)) == [_made(made[1]).name, _made(made[2]).name]  # the draft went too
    assert f"removed {_made(made[0]).name}" in made[2].output


def test_the_spark_target_is_refused(restored, tmp_path):
    result = CliRunner().invoke(
        main,
        ["backup", "--out", str(tmp_path), "--db", str(restored["settings"].db_path)],
        env={"FUNNELHOUSE_TARGET": "spark"},
    )

    assert result.exit_code == 1
    assert "covers the DuckDB target only" in result.output
