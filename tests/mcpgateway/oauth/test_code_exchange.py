"""One authorization code, exchanged by ten at once against real gateway workers (each request in
its own server thread with its own database connection): at most one gets tokens, the others get
invalid_grant, none a 500. On SQLite and PostgreSQL alike."""

import threading

import httpx
import pytest
from django.conf import settings
from oauth2_provider.models import AccessToken, Grant

from tests.conftest import public_client
from tests.mcpgateway.oauth.conftest import REDIRECT_URI, approve, connect_spotify, pkce_pair

pytestmark = pytest.mark.django_db(transaction=True)
EXCHANGES = 10


def test_ten_simultaneous_exchanges_of_one_code_give_tokens_once(start_gateway, person, oauth_client):
    # Two workers, issuer and resource the same as this process's, where the code is issued.
    workers = [start_gateway(PUBLIC_BASE_URL=settings.PUBLIC_BASE_URL) for _ in range(2)]
    connect_spotify(person)
    browser = public_client()
    browser.force_login(person)
    verifier, challenge = pkce_pair()
    code = approve(browser, oauth_client, challenge)["code"]

    results: list[httpx.Response] = []
    start = threading.Barrier(EXCHANGES)

    def exchange(worker: str) -> None:
        with httpx.Client(timeout=60) as http:
            start.wait()
            results.append(http.post(f"{worker}/oauth/token", data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier,
                "client_id": oauth_client.client_id, "resource": settings.OAUTH_RESOURCE,
            }))

    threads = [threading.Thread(target=exchange, args=(workers[i % 2],)) for i in range(EXCHANGES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(r.status_code for r in results)
    # One exchange wins the code; when a loser's reuse check revokes the winner's tokens before the
    # winner answers, the winner answers invalid_grant too (test below), so none gets tokens.
    assert statuses in ([200] + [400] * (EXCHANGES - 1), [400] * EXCHANGES), [r.text for r in results]
    assert {r.json()["error"] for r in results if r.status_code == 400} == {"invalid_grant"}
    assert not Grant.objects.exists()
    # RFC 6749 §4.1.2: the code was used more than once, so the tokens it gave are revoked; and
    # no loser left tokens of its own behind.
    assert not AccessToken.objects.exists()


def test_a_code_whose_tokens_are_revoked_while_it_is_exchanged_gets_invalid_grant(monkeypatch, client, person, oauth_client):
    """The race above, made certain: the tokens vanish between their creation and DOT reading them
    back (a concurrent reuse revoked them). Before: a 500 from AccessToken.DoesNotExist."""
    from oauth2_provider.views.base import TokenView

    from tests.mcpgateway.oauth.conftest import exchange

    create_token_response = TokenView.create_token_response

    def revoked_meanwhile(self, request):
        answer = create_token_response(self, request)
        AccessToken.objects.all().delete()
        return answer

    monkeypatch.setattr(TokenView, "create_token_response", revoked_meanwhile)
    connect_spotify(person)
    client.force_login(person)
    verifier, challenge = pkce_pair()
    code = approve(client, oauth_client, challenge)["code"]
    response = exchange(client, oauth_client, code, verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant", response.content
