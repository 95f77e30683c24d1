"""The system checks: `migrate`, `run_gateway` and `check` stop with a message naming the
variable, never its value."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection

# Django's model checks open a database connection (they ask it about field support).
pytestmark = pytest.mark.django_db


def run_check() -> str:
    with pytest.raises(SystemCheckError) as failure:
        call_command("check")
    return str(failure.value)


def test_a_cut_off_fernet_key_is_named_with_its_position(settings):
    good, cut = Fernet.generate_key().decode(), Fernet.generate_key().decode()[:-1]
    settings.TOKEN_ENCRYPTION_KEYS = [good, cut]
    message = run_check()
    assert "TOKEN_ENCRYPTION_KEYS: key 2 of 2 is not a Fernet key" in message
    assert cut not in message and good not in message


def test_a_key_of_the_wrong_length_is_refused(settings):
    settings.TOKEN_ENCRYPTION_KEYS = ["c2hvcnQ="]  # valid base64, 5 bytes
    assert "decodes to 5 bytes, not 32" in run_check()


def test_missing_secrets_are_named(settings):
    settings.SECRET_KEY_MISSING = True
    settings.TOKEN_ENCRYPTION_KEYS = []
    message = run_check()
    assert "SECRET_KEY is not set" in message
    assert "TOKEN_ENCRYPTION_KEYS is not set" in message


def test_well_formed_secrets_pass(settings):
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]
    call_command("check")


def test_a_malformed_trusted_proxy_is_named(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5", "proxy.internal"]
    assert "TRUSTED_PROXIES: 'proxy.internal' is not an IP address or network" in run_check()


def test_several_hosts_need_shared_postgresql_and_redis(settings):
    settings.DEPLOYMENT_HOSTS = 2
    settings.REDIS_URL = None
    problems = run_check()
    assert "gateway.E005" in problems and "REDIS_URL is not set" in problems
    # The database this run uses: SQLite is refused for several hosts, PostgreSQL is not.
    assert ("gateway.E006" in problems) == (connection.vendor == "sqlite")


def test_one_host_needs_neither(settings):
    settings.DEPLOYMENT_HOSTS = 1
    settings.REDIS_URL = None
    call_command("check")
