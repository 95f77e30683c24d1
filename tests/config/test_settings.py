"""config/settings.py reads ENV_FILE with a real parser; the environment wins over it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from cryptography.fernet import Fernet
from django.conf import settings

READ = "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps([s.SECRET_KEY, s.TOKEN_ENCRYPTION_KEYS]))"


def settings_in_subprocess(tmp_path, **env: str) -> list:
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "TOKEN_ENCRYPTION_KEYS"}}
    environment.update(VAR_DIR=str(tmp_path), **env)
    answer = subprocess.run([sys.executable, "-c", READ], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, check=True)
    return json.loads(answer.stdout)


def test_values_of_the_env_file_are_kept_byte_for_byte(tmp_path):
    key = Fernet.generate_key().decode()
    env_file = tmp_path / "local.env"
    env_file.write_text(f"SECRET_KEY=a=b==c\nTOKEN_ENCRYPTION_KEYS={key}\n")
    assert settings_in_subprocess(tmp_path, ENV_FILE=str(env_file)) == ["a=b==c", [key]]


def test_the_environment_wins_and_an_empty_variable_does_not(tmp_path):
    in_file, in_environment = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    env_file = tmp_path / "local.env"
    env_file.write_text(f"SECRET_KEY=from-file\nTOKEN_ENCRYPTION_KEYS={in_file}\n")
    assert settings_in_subprocess(tmp_path, ENV_FILE=str(env_file), SECRET_KEY="", TOKEN_ENCRYPTION_KEYS=in_environment) == [
        "from-file", [in_environment]]
