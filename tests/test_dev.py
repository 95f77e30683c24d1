"""`./dev`, the README's entry point, in a copy of the repository: its generated secrets reach the
gateway intact, the environment wins over var/local.env without breaking anything, and the
installed environment is kept from one command to the next."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from tests.journey.quickstart import clean_copy

pytestmark = pytest.mark.slow


@pytest.fixture
def checkout(tmp_path) -> Path:
    """The tracked files in a folder of their own, sharing this run's installed environment."""
    copy = tmp_path / "gateway"
    clean_copy(Path(settings.BASE_DIR), copy)
    # The locked environment is what `./dev` would install; link it rather than install it again.
    shutil.rmtree(copy / ".cache", ignore_errors=True)
    (copy / ".venv").symlink_to(Path(settings.BASE_DIR) / ".venv")
    (copy / ".cache").symlink_to(Path(settings.BASE_DIR) / ".cache")
    return copy


def dev(checkout: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "VAR_DIR", "DJANGO_SETTINGS_MODULE", "ENV_FILE"}}
    environment.update(env)
    return subprocess.run(["bash", "dev", *args], cwd=checkout, env=environment, capture_output=True, text=True, timeout=300)


SHOW_KEYS = ["manage", "shell", "-c", "from django.conf import settings; print('KEYS=' + ','.join(settings.TOKEN_ENCRYPTION_KEYS))"]


def test_the_generated_key_reaches_the_gateway_byte_for_byte(checkout):
    answer = dev(checkout, *SHOW_KEYS)
    assert answer.returncode == 0, answer.stderr
    stored = dict(line.split("=", 1) for line in (checkout / "var/local.env").read_text().splitlines() if line)
    assert stored["TOKEN_ENCRYPTION_KEYS"].endswith("=")
    assert f"KEYS={stored['TOKEN_ENCRYPTION_KEYS']}\n" in answer.stdout
    Fernet(stored["TOKEN_ENCRYPTION_KEYS"])  # a usable key, as generated


def test_a_key_set_in_the_environment_wins_over_the_file(checkout):
    key = Fernet.generate_key().decode()
    answer = dev(checkout, *SHOW_KEYS, TOKEN_ENCRYPTION_KEYS=key)
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert f"KEYS={key}\n" in answer.stdout


def test_a_mangled_key_stops_the_gateway_with_a_message_naming_it(checkout):
    cut = Fernet.generate_key().decode()[:-1]  # what bash's `read` used to make of it
    answer = dev(checkout, "manage", "check", TOKEN_ENCRYPTION_KEYS=cut)
    assert answer.returncode != 0
    assert "TOKEN_ENCRYPTION_KEYS: key 1 of 1 is not a Fernet key" in answer.stderr
    assert cut not in answer.stdout + answer.stderr  # the message never shows the value
    assert "Traceback" not in answer.stderr


def test_a_launcher_script_for_python_does_not_rebuild_the_environment(tmp_path):
    """pyenv's shims: the python3.12 on PATH is a script. `./dev` handed uv the script's path, uv
    took .venv for another interpreter's and rebuilt it at every command (8 s, and a shared .venv
    pulled from under whatever ran from it)."""
    copy = tmp_path / "gateway"
    clean_copy(Path(settings.BASE_DIR), copy)
    shutil.rmtree(copy / ".cache", ignore_errors=True)
    (copy / ".cache").symlink_to(Path(settings.BASE_DIR) / ".cache")  # uv itself, not the project's environment
    shims = tmp_path / "shims"
    shims.mkdir()
    shim = shims / "python3.12"
    shim.write_text(f'#!/bin/sh\nexec "{os.path.realpath(sys._base_executable)}" "$@"\n')
    shim.chmod(0o755)
    path = f"{shims}{os.pathsep}{os.environ['PATH']}"

    first = dev(copy, "manage", "check", PATH=path)
    assert first.returncode == 0, first.stderr
    kept = copy / ".venv" / "kept-between-commands"
    kept.touch()
    second = dev(copy, "manage", "check", PATH=path)
    assert second.returncode == 0, second.stderr
    assert kept.exists(), "the second ./dev command rebuilt .venv"
