"""`funnelhouse serve` as the production service: it starts the Dagster daemon and web server, the landing sensor
(or the schedule) starts a run that loads a small shop and publishes its marts, and SIGTERM stops everything it
started, exit 0."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance.ref import InstanceRef
from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteInstigatorOrigin, RemoteRepositoryOrigin
from dagster._core.scheduler.instigation import InstigatorState, InstigatorStatus, InstigatorType

from orchestration.generator import generate_landing_zone
from orchestration.jobs import FUNNELHOUSE_JOB
from orchestration.sensors import LANDING_SENSOR_NAME
from orchestration.service import DAEMON, EXIT_CHILD_DIED, INSTANCE_SETTINGS, WEBSERVER, install_instance_settings
from orchestration.service import serve as run_service
from orchestration.settings import Settings
from tests.conftest import query

FUNNELHOUSE = Path(sys.executable).parent / "funnelhouse"  # the console script, as systemd and Docker start it
RUN_TIMEOUT_SECONDS = 360
STOP_TIMEOUT_SECONDS = 60
_POLL_SECONDS = 2
_STARTED_BY_AUTOMATION = ("dagster/sensor_name", "dagster/schedule_name")
# The test's own paths only: another test of the same process may have left these set.
_NOT_INHERITED = (
    "DAGSTER_",
    "FUNNELHOUSE_LANDING",
    "FUNNELHOUSE_DB",
    "FUNNELHOUSE_SERVING_DB",
    "FUNNELHOUSE_EXPORT_DIR",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _running(groups: set[int]) -> list[int]:
    """The processes of those process groups still running: each child of serve leads its own group, with the
    code server it starts, a run and the run's dbt. A zombie (ended, not reaped yet by its parent) runs no more."""
    listing = subprocess.run(["ps", "-eo", "pid=,pgid=,stat="], capture_output=True, text=True, check=True).stdout
    processes = [line.split() for line in listing.splitlines()]
    return [int(pid) for pid, group, state in processes if int(group) in groups and not state.startswith("Z")]


class Served:
    """One `funnelhouse serve` in a subprocess, its output in a file to show when something goes wrong."""

    def __init__(self, root: Path, landing: Path):
        self.home, self.db, self.log = root / "dagster", root / "warehouse.duckdb", root / "serve.log"
        self.port = _free_port()
        environment = {
            **{name: value for name, value in os.environ.items() if not name.startswith(_NOT_INHERITED)},
            "DAGSTER_HOME": str(self.home),
            "FUNNELHOUSE_SETTLE_SECONDS": "0",  # the sensor takes the files at once, not after a minute
        }
        command = [str(FUNNELHOUSE), "serve", "--landing", str(landing), "--db", str(self.db), "--port", str(self.port)]
        with self.log.open("w") as output:
            self.process = subprocess.Popen(command, env=environment, stdout=output, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def fail(self, why: str) -> None:
        pytest.fail(f"{why}\n--- funnelhouse serve printed ---\n{self.output()[-20_000:]}")

    def children(self) -> dict[str, int]:
        """The pids the banner names, once it is printed."""
        deadline = time.monotonic() + 60
        while not (found := dict(re.findall(r"\((dagster-\w+), pid (\d+)\)", self.output()))):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.fail("serve printed no banner")
            time.sleep(0.5)
        return {name: int(pid) for name, pid in found.items()}

    def wait_for_a_successful_run(self) -> dg.RunRecord:
        with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(self.home))) as instance:
            deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
            while time.monotonic() < deadline:
                records = instance.get_run_records(filters=dg.RunsFilter(job_name=FUNNELHOUSE_JOB))
                if failed := [r for r in records if r.dagster_run.status == dg.DagsterRunStatus.FAILURE]:
                    self.fail(f"run {failed[0].dagster_run.run_id} failed")
                if succeeded := [r for r in records if r.dagster_run.status == dg.DagsterRunStatus.SUCCESS]:
                    return succeeded[0]
                if self.process.poll() is not None:
                    self.fail(f"serve ended with status {self.process.returncode} before a run succeeded")
                time.sleep(_POLL_SECONDS)
        self.fail(f"no run of {FUNNELHOUSE_JOB} succeeded within {RUN_TIMEOUT_SECONDS} s")

    def stop(self) -> int | None:
        """SIGTERM, as systemd and Docker stop it: the exit status, or None when serve outlived the timeout."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            return None


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A two-day shop served until the sensor's run succeeded, then stopped."""
    root = tmp_path_factory.mktemp("served")
    truth = generate_landing_zone(root / "landing", days=2, visitors=60, seed=3, start_date=date(2026, 9, 1))
    service = Served(root, root / "landing")
    children = {}
    try:
        children = service.children()
        run = service.wait_for_a_successful_run()
        with urllib.request.urlopen(f"http://127.0.0.1:{service.port}/server_info", timeout=30) as response:
            server_info = json.load(response)
        status = service.stop()
    finally:
        if service.process.poll() is None:  # the test failed: leave nothing behind
            service.process.kill()
        for pid in _running(set(children.values())):
            os.kill(pid, signal.SIGKILL)
    return {
        "truth": truth,
        "service": service,
        "run": run.dagster_run,
        "server_info": server_info,
        "status": status,
        "children": children,
    }


def test_the_service_starts_a_run_by_itself_that_loads_the_shop_and_publishes_the_marts(served):
    run, service = served["run"], served["service"]
    published_by, sessions = query(
        service.db.with_name("serving.duckdb"),
        "select (select run_id from meta.publication), (select count(*) from marts.fct_sessions)",
    )[0]

    assert any(tag in run.tags for tag in _STARTED_BY_AUTOMATION), run.tags
    assert published_by == run.run_id
    assert sessions == served["truth"]["sessions"]["sessions"]


def test_the_web_server_answers(served):
    assert "dagster_webserver_version" in served["server_info"]


def test_sigterm_stops_the_daemon_the_web_server_and_what_they_started_and_exits_0(served):
    service = served["service"]
    if served["status"] != 0:
        service.fail(f"serve exited with {served['status']} after SIGTERM (None: still running after the timeout)")

    assert set(served["children"]) == {DAEMON, WEBSERVER}
    assert _running(set(served["children"].values())) == []
    assert "SIGTERM received" in service.output()


@pytest.fixture
def signal_handlers():
    """serve() installs its own SIGTERM and SIGINT handlers: pytest gets its own back."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def _serve_stand_ins(tmp_path: Path, monkeypatch, daemon: str) -> tuple[int, str]:
    """serve() with two small Python programs in place of the daemon and the web server (which sleeps)."""
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    monkeypatch.setattr(
        "orchestration.service.dagster_commands",
        lambda host, port: {DAEMON: [sys.executable, "-c", daemon], WEBSERVER: sleeper},
    )
    settings = Settings(landing_dir=tmp_path / "landing", db_path=tmp_path / "warehouse.duckdb")
    settings.landing_dir.mkdir()
    printed = []
    status = run_service(settings, "127.0.0.1", _free_port(), echo=printed.append)
    return status, "\n".join(printed)


def test_when_one_child_ends_on_its_own_the_other_is_stopped_and_the_service_exits_1(
    tmp_path, monkeypatch, signal_handlers
):
    status, output = _serve_stand_ins(tmp_path, monkeypatch, daemon="import sys; sys.exit(3)")

    webserver = int(re.search(rf"\({WEBSERVER}, pid (\d+)\)", output).group(1))
    assert status == EXIT_CHILD_DIED
    assert re.search(rf"{DAEMON} \(pid \d+\) ended on its own with status 3", output)
    assert _running({webserver}) == []


def test_a_sensor_stopped_in_the_ui_of_the_instance_is_named_at_start(tmp_path, monkeypatch, signal_handlers):
    home = tmp_path / "dagster"  # beside the warehouse: the default DAGSTER_HOME
    home.mkdir()
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        repository = RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("orchestration.definitions:defs"), "defs")
        for name in (LANDING_SENSOR_NAME, "rebuild_after_erasure"):
            origin = RemoteInstigatorOrigin(repository, name)
            instance.add_instigator_state(InstigatorState(origin, InstigatorType.SENSOR, InstigatorStatus.STOPPED))

    _, output = _serve_stand_ins(tmp_path, monkeypatch, daemon="import sys; sys.exit(0)")

    warnings = [line for line in output.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {LANDING_SENSOR_NAME} was stopped in the Dagster UI, and this instance remembers it: start it there"
    ]


def test_the_project_instance_settings_are_installed_once_and_a_customised_copy_is_kept(tmp_path):
    home = tmp_path / "dagster"

    first = install_instance_settings(home)
    installed = (home / "dagster.yaml").read_text()
    (home / "dagster.yaml").write_text("# my own comment\n" + installed)
    commented = install_instance_settings(home)
    (home / "dagster.yaml").write_text(installed + "run_monitoring:\n  enabled: true\n")
    customised = install_instance_settings(home)

    assert first is None
    assert installed == INSTANCE_SETTINGS.read_text()
    assert commented is None
    assert "kept as it is" in customised
    assert (home / "dagster.yaml").read_text().endswith("run_monitoring:\n  enabled: true\n")
