"""The web server as `run_gateway` starts it (its own uvicorn command line, access log on): forwarded
headers count only from TRUSTED_PROXIES, and the access log never records a query string."""

from __future__ import annotations

import re
from types import SimpleNamespace

import httpx
import pytest
from django.core.cache import cache

from mcpgateway.management.process_roles import web_command
from tests.mcpgateway.oauth.conftest import REDIRECT_URI
from tests.support.processes import GatewayProcesses, free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def web_server(settings):
    """start(**env) runs one web worker with run_gateway's command line for TRUSTED_PROXIES=env's;
    stop() ends it and returns its output."""
    processes = GatewayProcesses()

    def start(*, TRUSTED_PROXIES: str = "", **env: str) -> str:
        settings.TRUSTED_PROXIES = [entry for entry in TRUSTED_PROXIES.split(",") if entry]
        settings.LOG_FORMAT = "plain"  # uvicorn's log config file (web_command) follows it
        port = free_port()
        command = web_command(host="127.0.0.1", port=port, workers=1)
        # Plain lines, to compare with uvicorn's access line as text (JSON escapes its quotes).
        return processes.start(port, command=command, TRUSTED_PROXIES=TRUSTED_PROXIES, **{"LOG_FORMAT": "plain", **env})

    cache.clear()  # the workers share this cache: no registration counted by an earlier test
    yield SimpleNamespace(start=start, stop=lambda: "\n".join(processes.stop()))
    processes.stop()


def register(base: str, forwarded_for: str) -> int:
    body = {"redirect_uris": [REDIRECT_URI], "client_name": "Some assistant", "token_endpoint_auth_method": "none"}
    return httpx.post(f"{base}/oauth/register", json=body, headers={"X-Forwarded-For": forwarded_for}).status_code


def test_without_trusted_proxies_a_forwarded_address_does_not_reset_the_registration_limit(web_server):
    assert "--no-proxy-headers" in web_command(host="127.0.0.1", port=8000, workers=1)
    base = web_server.start(OAUTH_DCR_RATE_LIMIT_PER_HOUR="3")

    statuses = [register(base, f"198.51.100.{n}") for n in range(30)]

    assert statuses == [201] * 3 + [429] * 27


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_the_one_counted(web_server):
    base = web_server.start(TRUSTED_PROXIES="127.0.0.1", OAUTH_DCR_RATE_LIMIT_PER_HOUR="2")
    command = web_command(host="127.0.0.1", port=8000, workers=1)
    assert command[-3:] == ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]

    assert [register(base, "203.0.113.7") for _ in range(3)] == [201, 201, 429]
    # What the client itself put before the proxy's entry is not believed: the proxy saw 203.0.113.7.
    assert register(base, "192.0.2.1, 203.0.113.7") == 429
    assert register(base, "203.0.113.8") == 201


def sign_in(http: httpx.Client, username: str, password: str) -> None:
    page = http.get("/accounts/login/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = http.post("/accounts/login/", data={"csrfmiddlewaretoken": csrf, "username": username, "password": password},
                       follow_redirects=False)
    assert answer.status_code == 302, answer.text


def test_the_access_log_keeps_paths_but_never_query_strings(web_server, django_user_model):
    django_user_model.objects.create_user(username="robin", password="a long and unusual password")
    base = web_server.start()
    authorize = {"response_type": "code", "client_id": "some-client", "redirect_uri": REDIRECT_URI,
                 "code_challenge": "CHALLENGESECRET789", "code_challenge_method": "S256", "state": "STATESECRET012"}

    with httpx.Client(base_url=base, follow_redirects=True) as anonymous:
        # Signed out: the secrets travel on inside the sign-in page's ?next= as well.
        anonymous.get("/spotify/callback", params={"code": "SECRETCODE123", "state": "SECRETSTATE456"})
        anonymous.get("/oauth/authorize", params=authorize)
    with httpx.Client(base_url=base, follow_redirects=True) as person:
        sign_in(person, "robin", "a long and unusual password")
        assert person.get("/spotify/callback", params={"code": "SECRETCODE123", "state": "SECRETSTATE456"}).status_code < 500
        assert person.get("/oauth/authorize", params=authorize).status_code < 500
    output = web_server.stop()

    assert '"GET /spotify/callback HTTP/1.1" 302' in output
    assert '"GET /oauth/authorize HTTP/1.1"' in output
    assert '"GET /accounts/login/ HTTP/1.1" 200' in output
    for secret in ("SECRETCODE123", "SECRETSTATE456", "CHALLENGESECRET789", "STATESECRET012"):
        assert secret not in output, output


def test_the_access_log_never_records_an_invitation_or_reset_link(web_server, django_user_model):
    from accounts.services import invitation_create

    admin = django_user_model.objects.create_superuser(username="root", password="x", email="")
    _, token = invitation_create(created_by=admin, role="member")
    base = web_server.start()
    with httpx.Client(base_url=base, follow_redirects=True) as anonymous:
        assert anonymous.get(f"/accounts/invitation/{token}").status_code == 200
        assert anonymous.get("/accounts/reset/MQ/RESETSECRET-123abc/").status_code == 200
    output = web_server.stop()

    assert '"GET /accounts/invitation/… HTTP/1.1" 200' in output
    assert '"GET /accounts/reset/MQ/…/ HTTP/1.1" 200' in output
    assert token not in output and "RESETSECRET" not in output, output
