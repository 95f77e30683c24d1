"""Refresh tokens: rotation, our grace window (sequential here, on every database), and ten
simultaneous refreshes against a real server (PostgreSQL: SELECT ... FOR UPDATE)."""

import asyncio
import threading
from datetime import timedelta

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from oauth2_provider.models import RefreshToken

from mcpgateway.core.revocation import bump_revocation_epoch
from mcpgateway.mcp.auth import authenticate_bearer
from tests.mcpgateway.oauth.conftest import refresh, tokens_for

pytestmark = pytest.mark.django_db(transaction=True)


def principal_of(token):
    bump_revocation_epoch()  # verify afresh, not from this process's cache
    return asyncio.run(authenticate_bearer(token))


def test_refresh_rotates_both_tokens(signed_in, oauth_client):
    tokens = tokens_for(signed_in, oauth_client)
    rotated = refresh(signed_in, oauth_client, tokens["refresh_token"]).json()

    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert principal_of(rotated["access_token"]) is not None
    assert principal_of(tokens["access_token"]) is None  # DOT deletes the old access token


def test_inside_the_grace_window_the_same_refresh_token_works_again(signed_in, oauth_client):
    tokens = tokens_for(signed_in, oauth_client)
    first = refresh(signed_in, oauth_client, tokens["refresh_token"])
    second = refresh(signed_in, oauth_client, tokens["refresh_token"])

    assert first.status_code == 200 and second.status_code == 200, second.content
    first, second = first.json(), second.json()
    assert first["access_token"] != second["access_token"]
    # Both pairs work: neither client that refreshed is logged out.
    assert principal_of(first["access_token"]) is not None
    assert principal_of(second["access_token"]) is not None
    assert refresh(signed_in, oauth_client, first["refresh_token"]).status_code == 200
    assert refresh(signed_in, oauth_client, second["refresh_token"]).status_code == 200


def test_a_revoked_refresh_token_gets_no_grace(signed_in, oauth_client):
    tokens = tokens_for(signed_in, oauth_client)
    response = signed_in.post("/oauth/revoke", {"token": tokens["refresh_token"], "token_type_hint": "refresh_token",
                                                "client_id": oauth_client.client_id})
    assert response.status_code == 200
    assert refresh(signed_in, oauth_client, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_the_grace_window_ends(signed_in, oauth_client, settings):
    settings.OAUTH_REFRESH_GRACE_SECONDS = 0
    tokens = tokens_for(signed_in, oauth_client)
    rotated = refresh(signed_in, oauth_client, tokens["refresh_token"]).json()
    replay = refresh(signed_in, oauth_client, tokens["refresh_token"])

    assert replay.json()["error"] == "invalid_grant"
    assert principal_of(rotated["access_token"]) is None


# --- concurrency against a real server ---------------------------------------------------------


@pytest.fixture
def oauth_gateway(start_gateway):
    return start_gateway()


def test_ten_simultaneous_refreshes_inside_the_window_all_get_working_tokens(oauth_gateway, person, oauth_client):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no SELECT ... FOR UPDATE (run with DATABASE_URL=postgres://...)")
    from tests.conftest import public_client
    from tests.mcpgateway.oauth.conftest import connect_spotify

    connect_spotify(person)
    browser = public_client()
    browser.force_login(person)
    tokens = tokens_for(browser, oauth_client)

    results: list[httpx.Response] = []
    start = threading.Barrier(10)

    def refresh_once():
        start.wait()
        results.append(httpx.post(f"{oauth_gateway}/oauth/token", data={
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": oauth_client.client_id,
        }, timeout=30))

    threads = [threading.Thread(target=refresh_once) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status_code for r in results] == [200] * 10, [r.text for r in results if r.status_code != 200]
    issued = [r.json() for r in results]
    assert len({t["access_token"] for t in issued}) == 10
    for pair in issued:
        assert principal_of(pair["access_token"]) is not None
        assert pair["refresh_token"]

    # After the window, the same token once more: the whole family is revoked.
    RefreshToken.objects.filter(revoked__isnull=False).update(revoked=timezone.now() - timedelta(seconds=settings.OAUTH_REFRESH_GRACE_SECONDS + 1))
    late = httpx.post(f"{oauth_gateway}/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": oauth_client.client_id,
    })
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    for pair in issued:
        assert principal_of(pair["access_token"]) is None
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
