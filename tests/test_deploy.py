"""deploy/ stays honest: the env file lists every setting the code reads and nothing else, and the systemd unit,
the Dockerfile and the compose file start `funnelhouse serve` with options it accepts and give it time to stop."""

import json
import re
import shlex

import click
import yaml

from orchestration.cli import main
from orchestration.project_files import REPO_ROOT
from orchestration.service import EXIT_MISCONFIGURED, STOP_TIMEOUT_SECONDS

DEPLOY = REPO_ROOT / "deploy"
# Read by the code, yet no setting of a deployment.
NOT_DEPLOYMENT_SETTINGS = {
    "FUNNELHOUSE_AUTOMATION": "`funnelhouse serve` turns it on for the processes it starts",
    "FUNNELHOUSE_NOW": "pins the product's clock, for tests and replays",
    "FUNNELHOUSE_BENCH_DIR": "`make bench`",
    "FUNNELHOUSE_BENCH_VISITORS": "`make bench`",
    "FUNNELHOUSE_SPARK_DIR": "the pipeline hands it to dbt's profile, beside FUNNELHOUSE_DB",
    "FUNNELHOUSE_RAW_PARQUET": "the pipeline hands it to dbt's profile, beside FUNNELHOUSE_DB",
}
_SETTING = r"(FUNNELHOUSE_[A-Z0-9_]+|DAGSTER_HOME)"


def _settings_read_by_the_code() -> set[str]:
    """Names the Python code holds as a whole string (os.environ, Settings) and dbt reads with env_var()."""
    python = "".join(path.read_text() for path in (REPO_ROOT / "orchestration").rglob("*.py"))
    dbt = "".join(
        path.read_text()
        for path in (REPO_ROOT / "dbt_project").rglob("*")
        if path.suffix in (".yml", ".sql") and "target" not in path.parts
    )
    return set(re.findall(rf"[\"']{_SETTING}[\"']", python)) | set(re.findall(rf"env_var\(\s*'{_SETTING}'", dbt))


def _settings_listed() -> list[str]:
    """Each setting's name; a family of settings by its prefix (FUNNELHOUSE_FRESHNESS_HOURS_<TABLE>=)."""
    return re.findall(rf"^#?\s*{_SETTING}(?:<[A-Z]+>)?=", (DEPLOY / "funnelhouse.env").read_text(), re.MULTILINE)


def _unit() -> dict[str, str]:
    lines = (DEPLOY / "funnelhouse.service").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if re.match(r"^[A-Za-z]+=", line))


def _dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text()


def _compose_service() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["funnelhouse"]


def _parsed(argv: list[str]) -> click.Context:
    """The options `funnelhouse` takes from argv, checked by its own parser (an unknown option raises)."""
    command = main.get_command(click.Context(main), argv[0])
    assert command is not None, f"funnelhouse has no command {argv[0]!r}"
    return command.make_context(argv[0], argv[1:])


def test_the_env_file_lists_every_setting_the_code_reads_and_only_those():
    read, listed = _settings_read_by_the_code(), _settings_listed()

    assert len(listed) == len(set(listed)), "a setting is listed twice"
    assert set(listed) - read == set(), "listed, but read nowhere"
    assert read - set(listed) - NOT_DEPLOYMENT_SETTINGS.keys() == set(), "read, but missing from funnelhouse.env"
    assert NOT_DEPLOYMENT_SETTINGS.keys() <= read, "an exception no longer read: drop it from NOT_DEPLOYMENT_SETTINGS"
    assert "FUNNELHOUSE_PII_SALT" in listed


def test_the_image_sets_only_settings_the_env_file_lists_and_no_secret():
    instructions = _dockerfile().replace("\\\n", " ").splitlines()
    image_env = {name for line in instructions if line.startswith("ENV ") for name in re.findall(r"(\w+)=", line)}
    image_settings = {name for name in image_env if re.fullmatch(_SETTING, name)}

    assert image_settings - set(_settings_listed()) == set()
    assert "FUNNELHOUSE_DB" in image_settings
    assert "FUNNELHOUSE_PII_SALT" not in image_settings


def test_the_systemd_unit_runs_serve_from_its_install_folder_with_options_it_takes():
    unit = _unit()
    argv = shlex.split(unit["ExecStart"])

    assert argv[0] == f"{unit['WorkingDirectory']}/.venv/bin/funnelhouse"
    assert argv[1] == "serve"
    assert _parsed(argv[1:]).params["host"] == "127.0.0.1"
    assert unit["EnvironmentFile"].endswith("/funnelhouse.env")
    assert unit["Restart"] == "on-failure"
    assert unit["RestartPreventExitStatus"] == str(EXIT_MISCONFIGURED)
    assert unit["KillSignal"] == "SIGTERM"
    assert int(unit["TimeoutStopSec"]) > STOP_TIMEOUT_SECONDS


def test_the_container_serves_on_the_port_it_exposes_checks_and_publishes():
    dockerfile = _dockerfile()
    argv = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE).group(1))
    options = _parsed(argv[1:]).params
    exposed = int(re.search(r"^EXPOSE (\d+)$", dockerfile, re.MULTILINE).group(1))
    compose = _compose_service()

    assert argv[:2] == ["funnelhouse", "serve"]
    assert options["host"] == "0.0.0.0"  # inside the container; compose publishes it on the host's loopback
    assert options["port"] == exposed
    assert f"127.0.0.1:{exposed}/server_info" in dockerfile  # the health check
    assert [port.rsplit(":", 1)[1] for port in compose["ports"]] == [str(exposed)]
    assert (DEPLOY / compose["env_file"]).is_file()
    assert compose["build"]["dockerfile"] == "deploy/Dockerfile"
    assert int(compose["stop_grace_period"].removesuffix("s")) > STOP_TIMEOUT_SECONDS
