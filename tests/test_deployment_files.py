"""The deployment files (Dockerfile, compose.yaml, deploy/) cannot be built or started on this
machine, so their promises are checked here: every command they run is a real command of the
project that accepts its arguments, every environment name they set is a setting
config/settings.py reads, beat runs once, the image runs as non-root without dev dependencies, and
the proxy's network is the one the gateway trusts."""

from __future__ import annotations

import ast
import ipaddress
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parent.parent
GATEWAY_SERVICES = ("release", "web", "worker", "beat")
# Set in the image for Python and Django themselves, not settings of the gateway.
PROCESS_ENVIRONMENT = {"PATH", "PYTHONUNBUFFERED", "DJANGO_SETTINGS_MODULE"}


def settings_names() -> set[str]:
    """The environment names config/settings.py reads (env, env_int, env_bool, env_list)."""
    tree = ast.parse((ROOT / "config" / "settings.py").read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"env", "env_int", "env_bool", "env_list"}
        and node.args and isinstance(node.args[0], ast.Constant)
    }


def assert_project_command(argv: list[str]) -> None:
    """`python manage.py <command> <arguments>`: a command of the project, and arguments it accepts."""
    assert argv[:2] == ["python", "manage.py"] or argv[0].endswith("/python") and argv[1] == "manage.py", argv
    name, arguments = argv[2], argv[3:]
    assert name in get_commands(), f"{name} is not a management command"
    parser = load_command_class(get_commands()[name], name).create_parser("manage.py", name)
    parser.parse_args(arguments)  # exits (SystemExit) on an argument the command does not take


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_project_commands_with_settings_that_exist(compose):
    names = settings_names()
    for service in GATEWAY_SERVICES:
        definition = compose["services"][service]
        assert_project_command(definition["command"])
        unknown = set(definition["environment"]) - names
        assert not unknown, f"{service} sets {unknown}, which no setting reads"
    roles = {compose["services"][s]["command"][3] for s in ("web", "worker", "beat")}
    assert roles == {"web", "worker", "beat"}


def test_compose_runs_exactly_one_beat_after_the_release(compose):
    beat = compose["services"]["beat"]
    assert beat.get("deploy", {}).get("replicas", 1) == 1 and "scale" not in beat
    for service in ("web", "worker", "beat"):
        assert compose["services"][service]["depends_on"]["release"]["condition"] == "service_completed_successfully"


def test_compose_trusts_only_the_proxys_network(compose):
    trusted = compose["services"]["web"]["environment"]["TRUSTED_PROXIES"]
    subnet = compose["networks"]["gateway"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_network(trusted) == ipaddress.ip_network(subnet)
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    port = compose["services"]["web"]["command"][compose["services"]["web"]["command"].index("--port") + 1]
    assert f"reverse_proxy web:{port}" in caddyfile


def test_the_image_runs_a_project_command_as_non_root_without_dev_dependencies():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in dockerfile
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    user = re.search(r"^USER (\S+)", final_stage, re.M)
    assert user and user.group(1) not in ("root", "0")
    command = json.loads(re.search(r"^CMD (\[.*\])$", final_stage, re.M).group(1))
    assert_project_command(command)
    for assignment in re.findall(r"^ENV (.+)$", final_stage, re.M):
        for name in re.findall(r"(\w+)=", assignment):
            assert name in settings_names() | PROCESS_ENVIRONMENT, name


@pytest.mark.parametrize("unit", sorted(p.name for p in (ROOT / "deploy" / "systemd").glob("*.service")))
def test_systemd_units_run_project_commands(unit):
    text = (ROOT / "deploy" / "systemd" / unit).read_text()
    [exec_start] = re.findall(r"^ExecStart=(.+)$", text, re.M)
    assert_project_command(shlex.split(exec_start))
    assert "EnvironmentFile=/etc/spotify-mcp-gateway/gateway.env" in text and re.search(r"^User=(?!root)", text, re.M)


def test_the_example_environment_file_names_only_settings():
    lines = (ROOT / "deploy" / "gateway.env.example").read_text().splitlines()
    names = {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}
    assert not names - settings_names(), names - settings_names()
    assert {"SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "TOKEN_HASH_PEPPER", "DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL"} <= names
