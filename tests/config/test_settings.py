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


def test_reading_the_settings_imports_no_app_code_and_writes_nothing(tmp_path):
    var_dir = tmp_path / "not-yet"
    probe = "import sys, config.settings; print(sorted(m for m in sys.modules if m.split('.')[0] in {'mcpgateway', 'accounts', 'tests'}))"
    environment = {**os.environ, "VAR_DIR": str(var_dir)}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    answer = subprocess.run([sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "[]"
    assert not var_dir.exists()


def test_the_beat_schedule_is_whole_in_the_settings():
    from config.celery import app

    assert set(app.conf.beat_schedule) == {
        "refresh-expiring-spotify-grants", "expire-unused-oauth-clients", "purge-closed-mcp-sessions", "purge-old-audit-events",
    }


def mailer_in_subprocess(tmp_path, **env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    environment.update(VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings", **env)
    probe = "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps(s.MAILERS['default']))"
    answer = subprocess.run([sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, check=True)
    return json.loads(answer.stdout)


def test_mail_goes_to_the_console_unless_a_server_is_named(tmp_path):
    assert mailer_in_subprocess(tmp_path) == {"BACKEND": "django.core.mail.backends.console.EmailBackend", "OPTIONS": {}}
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    assert mailer_in_subprocess(tmp_path, EMAIL_URL="smtp://mailer:p%40ss@smtp.example.com:587/?tls=True") == {"BACKEND": smtp, "OPTIONS": {
        "host": "smtp.example.com", "port": 587, "username": "mailer", "password": "p@ss", "use_tls": True, "use_ssl": False, "timeout": 10}}
    assert mailer_in_subprocess(tmp_path, EMAIL_HOST="smtp.example.com", EMAIL_HOST_USER="mailer", EMAIL_HOST_PASSWORD="secret",
                                EMAIL_TIMEOUT_SECONDS="3") == {"BACKEND": smtp, "OPTIONS": {
        "host": "smtp.example.com", "port": 587, "username": "mailer", "password": "secret", "use_tls": True, "timeout": 3}}
