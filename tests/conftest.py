"""Shared fixtures: one Spotify emulator process for the whole run, reset before each test that
uses it, and the gateway's settings pointed at it."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from django.utils import timezone

from accounts.services import personal_access_token_create
from mcpgateway.core.crypto import SecretToken
from mcpgateway.core.scopes import ALL_SCOPES
from mcpgateway.spotify.models import SpotifyGrant

TEST_CLIENT_ID = "gateway-under-test"
TEST_REDIRECT_URI = "http://127.0.0.1:8000/spotify/callback"


def public_client(**defaults):
    """Django's test client addressing the gateway by PUBLIC_BASE_URL's host, as browsers do (pages
    reached through any other host are redirected there first)."""
    from django.conf import settings
    from django.test import Client

    return Client(HTTP_HOST=urlsplit(settings.PUBLIC_BASE_URL).netloc, **defaults)


def pytest_collection_modifyitems(items):
    """schemathesis names its tests after each API operation (`test_x[GET /api/me]`), but under
    pytest 9 their node ids all stay the function's: pytest-xdist schedules by node id and so ran
    one operation of them in all. Each test gets the node id its name says."""
    for item in items:
        expected = f"{item.parent.nodeid}::{item.name}"
        if item.nodeid != expected and item.name.startswith(item.nodeid.rpartition("::")[2] + "["):
            item._id = type(item._id).parse(expected)  # pytest 9's structured node id


@pytest.fixture
def client():
    return public_client()


@pytest.fixture(scope="session")
def emulator_process():
    from mcpgateway.spotify_emulator.testing import EmulatorProcess

    with EmulatorProcess() as emulator:
        yield emulator


@pytest.fixture
def emulator(emulator_process, settings):
    """The emulator, fresh, with the gateway registered as a client and configured to use it."""
    emulator_process.reset()
    emulator_process.clear_faults()
    emulator_process.reset_stats()
    settings.SPOTIFY_USE_EMULATOR = True
    settings.SPOTIFY_CLIENT_ID = TEST_CLIENT_ID
    settings.SPOTIFY_CLIENT_SECRET = None
    settings.SPOTIFY_ACCOUNTS_URL = emulator_process.accounts_url
    settings.SPOTIFY_API_URL = emulator_process.api_url
    settings.SPOTIFY_REDIRECT_URI = TEST_REDIRECT_URI
    emulator_process.register_client(TEST_CLIENT_ID, [TEST_REDIRECT_URI], mode="extended")
    yield emulator_process
    emulator_process.clear_faults()


@pytest.fixture(autouse=True)
def spotify_rate_limits_forgotten():
    """A 429's Retry-After holds this process's Spotify requests (mcpgateway/spotify/transport.py);
    one test's rate limit must not hold the next test's requests."""
    from mcpgateway.spotify import transport

    transport.rate_limit_holds_clear()
    yield
    transport.rate_limit_holds_clear()


@pytest.fixture
def start_gateway():
    """Gateway workers (uvicorn) sharing this test's database (tests/support/processes.py)."""
    from tests.support.processes import GatewayProcesses

    processes = GatewayProcesses()
    yield processes.start
    processes.stop()


@pytest.fixture
def no_heartbeats():
    """No Celery heartbeat in the cache, before the test and after it: one that an earlier test's
    worker or beat left would turn /healthz green before this test's own are up."""
    from django.core.cache import cache

    from mcpgateway.core.heartbeats import ROLES, heartbeat_key

    keys = [heartbeat_key(role) for role in ROLES]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


@pytest.fixture
def person(django_user_model):
    return django_user_model.objects.create_user(username="pat", password="correct horse battery staple")


def make_grant(emulator, user, *, spotify_user_id: str | None = None, expires_in: int = 3600) -> tuple[SpotifyGrant, dict]:
    """A SpotifyGrant holding real emulator tokens, as a finished connection would leave it."""
    kwargs = {"user_ids": [spotify_user_id]} if spotify_user_id else {"count": 1}
    minted = emulator.mint_grants(TEST_CLIENT_ID, **kwargs)[0]
    grant = SpotifyGrant.objects.create(
        user=user,
        spotify_user_id=minted["user_id"],
        display_name=minted.get("display_name", ""),
        scopes=minted.get("scope", ""),
        access_token=SecretToken.from_plaintext(minted["access_token"]),
        refresh_token=SecretToken.from_plaintext(minted["refresh_token"]),
        access_token_expires_at=timezone.now() + timedelta(seconds=expires_in),
    )
    return grant, minted


def make_personal_access_token(user, *, name: str = "test", scopes=ALL_SCOPES) -> str:
    """A personal access token of `user`, as the dashboard creates it; its plaintext."""
    return personal_access_token_create(user=user, name=name, scopes=set(scopes), expires_in_days=None)[1]


def authorize_at_emulator(authorize_url: str, *, agree: bool = True, user_id: str | None = None) -> dict[str, str]:
    """Play the person on the emulator's consent page; return the query of the redirect back."""
    with httpx.Client(follow_redirects=False) as http:
        page = http.get(authorize_url)
        assert page.status_code == 200, page.text
        form = re.search(r"<form[^>]*action=\"([^\"]*)\"[^>]*>(.*?)</form>", page.text, re.S)
        assert form, page.text
        fields = {
            unescape(name): unescape(value)
            for name, value in re.findall(r"<input[^>]*type=\"hidden\"[^>]*name=\"([^\"]+)\"[^>]*value=\"([^\"]*)\"", form.group(2))
        }
        if user_id is None:
            user_id = re.search(r"name=\"user_id\"[^>]*value=\"([^\"]+)\"", form.group(2)).group(1)
        fields["user_id"] = user_id
        button = re.search(r"<button[^>]*id=\"%s\"[^>]*>" % ("agree" if agree else "cancel"), form.group(2)).group(0)
        name = re.search(r"name=\"([^\"]+)\"", button)
        value = re.search(r"value=\"([^\"]*)\"", button)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
        answer = http.post(urljoin(str(page.url), unescape(form.group(1)) or str(page.url)), data=fields)
        assert answer.status_code in (302, 303), answer.text
        location = answer.headers["location"]
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, plus: gateway and Celery processes the tests started may still hold a
    connection for a moment after they exit; PostgreSQL refuses to drop a test database in use, so
    end those sessions first. Only runs that set up the test database come here: a run without
    database tests has none, and the database the settings name need not exist."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def admin_client(client, django_user_model):
    """A signed-in superuser's client on the public host (`client.admin` is the superuser)."""
    admin = django_user_model.objects.create_superuser(username="root", password="x", email="")
    client.force_login(admin)
    client.admin = admin
    return client


@pytest.fixture(autouse=True)
def audit_rows_written_before_the_database_is_reset(_django_db_marker):
    """A tool call's audit row is written by the writer thread up to a second later; resetting a
    test database (TRUNCATE) while that thread writes deadlocks on PostgreSQL. Write them now, before
    pytest-django's teardown (which this fixture's dependency on its marker fixture puts after)."""
    yield
    from mcpgateway.audit.writer import writer

    writer.flush()
