"""`funnelhouse serve`: the production service. The Dagster daemon (the hourly schedule, the landing sensor, the
run queue) and the Dagster web server run as this process's children, with the schedule and sensor on.

One process supervises both, so a service manager (systemd, Docker) sees one service: a stop is passed on to
both, and when either dies on its own the other is stopped and the service exits non-zero, to be restarted whole
rather than left with a UI whose schedule never fires, or a daemon nobody can watch.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from orchestration.project_files import REPO_ROOT
from orchestration.settings import Settings

WORKSPACE = REPO_ROOT / "workspace.yaml"
INSTANCE_SETTINGS = REPO_ROOT / "dagster.yaml"
DAEMON = "dagster-daemon"
WEBSERVER = "dagster-webserver"
# The daemon and the web server get this long to finish after a stop before they are killed. The systemd unit's
# and the compose file's stop timeouts are longer (tests/test_deploy.py), so they never kill the service first.
STOP_TIMEOUT_SECONDS = 30
# How often the supervisor looks whether a child ended; a stop is seen within the same second.
_POLL_SECONDS = 1
_GROUP_POLL_SECONDS = 0.2
_PROCESSES = Path("/proc")
# Exit status when the service cannot start as configured: restarting it would fail the same way (the systemd
# unit's RestartPreventExitStatus). Click's usage errors exit with the same status.
EXIT_MISCONFIGURED = 2
EXIT_CHILD_DIED = 1


@dataclass(frozen=True)
class Child:
    name: str
    process: subprocess.Popen


def install_instance_settings(dagster_home: Path) -> str | None:
    """Put the project's dagster.yaml (one run at a time) into DAGSTER_HOME when it holds none.

    One with other settings is kept, since a person may have tuned it (storage, retention, telemetry); the line
    returned says so. Comments do not count."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    installed = dagster_home / INSTANCE_SETTINGS.name
    if not installed.exists():
        shutil.copyfile(INSTANCE_SETTINGS, installed)
    elif yaml.safe_load(installed.read_text()) != yaml.safe_load(INSTANCE_SETTINGS.read_text()):
        return f"{installed} sets other than the project's {INSTANCE_SETTINGS}: kept as it is"
    return None


def stopped_in_the_ui(dagster_home: Path) -> list[str]:
    """The schedule and sensor a person stopped in the Dagster UI of this instance: the instance remembers that
    over their default, so they stay stopped under `serve` too."""
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef
    from dagster._core.scheduler.instigation import InstigatorStatus

    from orchestration.schedules import HOURLY_SCHEDULE_NAME
    from orchestration.sensors import LANDING_SENSOR_NAME

    with DagsterInstance.from_ref(InstanceRef.from_dir(str(dagster_home))) as instance:
        stopped = instance.all_instigator_state(instigator_statuses={InstigatorStatus.STOPPED})
    return sorted({state.name for state in stopped} & {HOURLY_SCHEDULE_NAME, LANDING_SENSOR_NAME})


def service_environment(settings: Settings) -> dict[str, str]:
    """The environment of the daemon and the web server, and so of the code servers and runs they start.

    Each of those builds Settings.from_env() again, in the repository's folder: every path is absolute so they
    find the warehouse this process resolved, and automation is on so the schedule and sensor start running."""
    return {
        **os.environ,
        "FUNNELHOUSE_AUTOMATION": "on",
        "DAGSTER_HOME": str(settings.dagster_home),
        "FUNNELHOUSE_LANDING": str(settings.landing_dir),
        "FUNNELHOUSE_DB": str(settings.db_path),
        "FUNNELHOUSE_SERVING_DB": str(settings.serving_db),
        "FUNNELHOUSE_EXPORT_DIR": str(settings.export_dir),
    }


def dagster_commands(host: str, port: int) -> dict[str, list[str]]:
    """The daemon and the web server installed beside this Python: an inactive venv puts neither on PATH."""
    bin_dir = Path(sys.executable).parent
    return {
        DAEMON: [str(bin_dir / DAEMON), "run", "-w", str(WORKSPACE)],
        WEBSERVER: [str(bin_dir / WEBSERVER), "-w", str(WORKSPACE), "-h", host, "-p", str(port)],
    }


def ui_url(host: str, port: int) -> str:
    if host in ("0.0.0.0", "::"):  # every interface: this machine's own name is the one a person can open
        return f"http://localhost:{port} (listening on every interface)"
    return f"http://{host}:{port}"


def serve(settings: Settings, host: str, port: int, echo: Callable[[str], None]) -> int:
    """Start the daemon and the web server, print what runs where, then wait for a stop or a child's end.

    Returns the exit status: 0 after a requested stop (SIGTERM, SIGINT), EXIT_CHILD_DIED when a child ended
    on its own."""
    # A new instance remembers nothing, and reading it would only create its storage before the daemon does.
    is_new_instance = not (settings.dagster_home.is_dir() and any(settings.dagster_home.iterdir()))
    if note := install_instance_settings(settings.dagster_home):
        echo(note)
    stopped = [] if is_new_instance else stopped_in_the_ui(settings.dagster_home)
    requested: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda received, _frame: requested.append(received))
    environment = service_environment(settings)
    # Each child in its own process group: a Ctrl-C in a terminal reaches this process alone, which passes it on
    # once, as systemd and Docker do with their stop signal.
    children = [
        Child(name, subprocess.Popen(command, env=environment, cwd=REPO_ROOT, process_group=0))
        for name, command in dagster_commands(host, port).items()
    ]
    for line in _started(settings, host, port, children, stopped):
        echo(line)
    ended = _wait_for_stop_or_end(children, requested)
    if ended is None:
        echo(f"{signal.Signals(requested[0]).name} received: stopping the {DAEMON} and the {WEBSERVER}")
    else:
        echo(
            f"{ended.name} (pid {ended.process.pid}) ended on its own with status {ended.process.returncode}: "
            f"stopping the rest; exit {EXIT_CHILD_DIED} so the service manager restarts the service"
        )
    _stop(children, requested[0] if requested else signal.SIGTERM, echo)
    return 0 if ended is None else EXIT_CHILD_DIED


def _started(settings: Settings, host: str, port: int, children: list[Child], stopped: list[str]) -> list[str]:
    pid = {child.name: child.process.pid for child in children}
    lines = [
        f"Funnelhouse is serving (pid {os.getpid()}); stop it with Ctrl-C or SIGTERM",
        f"  Dagster UI      {ui_url(host, port)}  ({WEBSERVER}, pid {pid[WEBSERVER]})",
        f"  automation      the hourly schedule and the landing sensor are on, one run at a time "
        f"({DAEMON}, pid {pid[DAEMON]})",
        f"  landing zone    {settings.landing_dir}",
        f"  warehouse       {settings.db_path}",
        f"  serving copy    {settings.serving_db}",
        f"  DAGSTER_HOME    {settings.dagster_home}  (run history, schedule and sensor state, logs)",
    ]
    lines += [
        f"warning: {name} was stopped in the Dagster UI, and this instance remembers it: start it there"
        for name in stopped
    ]
    if not settings.landing_dir.is_dir():
        lines.append(
            f"warning: no landing zone at {settings.landing_dir} yet: the sensor starts a run once files land there"
        )
    return lines


def _wait_for_stop_or_end(children: list[Child], requested: list[int]) -> Child | None:
    """None once a stop was requested, else the first child that ended."""
    while not requested:
        for child in children:
            if child.process.poll() is not None:
                return child
        time.sleep(_POLL_SECONDS)
    return None


def _stop(children: list[Child], signum: int, echo: Callable[[str], None]) -> None:
    """Signal each child's whole process group: the child, the code server it started, and a run in progress
    with its dbt, which would otherwise outlive the service until its manager killed them, and leave a run that
    Dagster believes still started (the schedule and sensor would wait on it for ever). Wait until every group
    is empty, and kill what is left after STOP_TIMEOUT_SECONDS."""
    for child in children:
        _signal_group(child, signum)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for child in children:
        if not _ended_with_its_group(child, deadline):
            echo(
                f"{child.name} (pid {child.process.pid}) or a process it started still ran after "
                f"{STOP_TIMEOUT_SECONDS} s: killed"
            )
            _signal_group(child, signal.SIGKILL)
            child.process.wait()
    echo("Stopped.")


def _signal_group(child: Child, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is empty already
        os.killpg(child.process.pid, signum)


def _ended_with_its_group(child: Child, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if child.process.poll() is not None and not _group_alive(child.process.pid):
            return True
        time.sleep(_GROUP_POLL_SECONDS)
    return False


def _group_alive(group: int) -> bool:
    """Whether a process of the group still runs. Zombies do not count: where nothing reaps orphans (a container
    started without an init), the daemon's code server would otherwise keep its group looking alive for ever."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    if not _PROCESSES.is_dir():  # no /proc (macOS): the group has a process, perhaps a zombie
        return True
    return any(_runs_in(stat, group) for stat in _PROCESSES.glob("[0-9]*/stat"))


def _runs_in(stat: Path, group: int) -> bool:
    try:
        text = stat.read_text()
    except OSError:  # the process ended meanwhile
        return False
    state, _parent, process_group = text[text.rindex(")") + 2 :].split()[:3]  # after "pid (command) "
    return int(process_group) == group and state != "Z"
