"""Spotify's accounts service (mcpgateway/spotify/accounts.py) against the emulator: the authorize
URL with PKCE, the code exchange, refresh, and what its failures become."""

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest

from mcpgateway.spotify import transport
from mcpgateway.spotify.accounts import SPOTIFY_SCOPES, authorize_url, exchange_code, pkce_pair, refresh_tokens
from mcpgateway.spotify.transport import SpotifyGrantRevoked, SpotifyRateLimited, SpotifyRequestRejected, SpotifyUnavailable
from tests.conftest import TEST_CLIENT_ID, TEST_REDIRECT_URI, authorize_at_emulator
from tests.support.emulator import refresh_requests


def test_pkce_pair_is_s256_of_a_long_verifier():
    pair = pkce_pair()
    assert 43 <= len(pair.verifier) <= 128  # RFC 7636 §4.1
    assert pair.challenge == base64.urlsafe_b64encode(hashlib.sha256(pair.verifier.encode()).digest()).rstrip(b"=").decode()
    assert pkce_pair().verifier != pair.verifier


def test_authorize_url_asks_for_every_scope_with_pkce(emulator):
    url = authorize_url(state="s" * 43, code_challenge="c" * 43)
    assert url.startswith(f"{emulator.accounts_url}/authorize?")
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    assert query == {
        "client_id": TEST_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": TEST_REDIRECT_URI,
        "state": "s" * 43,
        "scope": " ".join(SPOTIFY_SCOPES),
        "code_challenge_method": "S256",
        "code_challenge": "c" * 43,
    }
    assert parse_qs(urlsplit(authorize_url(state="s", code_challenge="c", show_dialog=True)).query)["show_dialog"] == ["true"]


def connect_at_emulator() -> tuple[str, str]:
    """(code, verifier) of a person who agreed on the emulator's consent page."""
    pair = pkce_pair()
    answer = authorize_at_emulator(authorize_url(state="state-" + "x" * 40, code_challenge=pair.challenge), user_id="alice")
    return answer["code"], pair.verifier


def test_exchange_code_gets_tokens_that_never_show_in_repr(emulator):
    code, verifier = connect_at_emulator()
    tokens = exchange_code(code=code, code_verifier=verifier)
    assert tokens.access_token and tokens.refresh_token and tokens.expires_in == 3600
    assert set(SPOTIFY_SCOPES) <= set(tokens.scope.split())
    assert tokens.access_token not in repr(tokens) and tokens.refresh_token not in repr(tokens)


def test_a_code_works_once_and_only_with_its_verifier(emulator):
    code, verifier = connect_at_emulator()
    with pytest.raises(SpotifyGrantRevoked, match="code_verifier was incorrect"):
        exchange_code(code=code, code_verifier=pkce_pair().verifier)
    with pytest.raises(SpotifyGrantRevoked):  # burnt by the failed attempt
        exchange_code(code=code, code_verifier=verifier)


def test_refresh_rotates_the_refresh_token(emulator):
    emulator.set_faults(omit_refresh_token="never")
    minted = emulator.mint_grants(TEST_CLIENT_ID, user_ids=["alice"])[0]
    tokens = refresh_tokens(refresh_token=minted["refresh_token"])
    assert tokens.refresh_token and tokens.refresh_token != minted["refresh_token"]
    assert tokens.access_token != minted["access_token"]
    with pytest.raises(SpotifyGrantRevoked) as raised:  # the old one is used up
        refresh_tokens(refresh_token=minted["refresh_token"])
    assert raised.value.message.startswith("Spotify refused the grant: ") and raised.value.reason == "invalid_grant"
    assert refresh_requests(emulator) == {"success": 1, "invalid_grant": 1}


def test_a_refresh_answer_without_a_refresh_token_says_so(emulator):
    emulator.set_faults(omit_refresh_token="always")
    minted = emulator.mint_grants(TEST_CLIENT_ID, user_ids=["alice"])[0]
    assert refresh_tokens(refresh_token=minted["refresh_token"]).refresh_token is None


def test_a_confidential_client_authenticates_with_http_basic(emulator, settings):
    emulator.register_client("confidential-gateway", [TEST_REDIRECT_URI], client_secret="s3cret", mode="extended")
    minted = emulator.mint_grants("confidential-gateway", user_ids=["alice"])[0]
    settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET = "confidential-gateway", "s3cret"
    assert refresh_tokens(refresh_token=minted["refresh_token"]).access_token
    settings.SPOTIFY_CLIENT_SECRET = "wrong"
    with pytest.raises(SpotifyRequestRejected) as raised:
        refresh_tokens(refresh_token=minted["refresh_token"])
    assert raised.value.status == 401 and raised.value.reason == "invalid_client"
    assert "wrong" not in raised.value.message


def test_token_endpoint_failures_become_the_transport_exceptions(emulator, settings):
    minted = emulator.mint_grants(TEST_CLIENT_ID, user_ids=["alice"])[0]
    emulator.set_faults(rate_limit_next=1, retry_after=4, fail_scope="token")
    with pytest.raises(SpotifyRateLimited) as limited:
        refresh_tokens(refresh_token=minted["refresh_token"])
    assert limited.value.retry_after == 4.0
    # Until Retry-After has passed, the process asks nothing more of the accounts service.
    with pytest.raises(SpotifyRateLimited) as held:
        refresh_tokens(refresh_token=minted["refresh_token"])
    assert 3 < held.value.retry_after <= 4.0
    assert emulator.stats()["token_requests"]["total"] == 1
    transport.rate_limit_holds_clear()
    emulator.set_faults(fail_next=1, fail_status=502)
    with pytest.raises(SpotifyUnavailable, match=r"accounts service failed \(HTTP 502\)"):
        refresh_tokens(refresh_token=minted["refresh_token"])
    emulator.set_faults(fail_next=1, fail_status=200, fail_body="html")
    with pytest.raises(SpotifyUnavailable, match="accounts service sent an unreadable answer"):
        refresh_tokens(refresh_token=minted["refresh_token"])
    settings.SPOTIFY_HTTP_TIMEOUT_SECONDS = 0.3
    emulator.set_faults(hang_next=1, hang_seconds=2)
    with pytest.raises(SpotifyUnavailable, match="accounts service did not answer in time"):
        refresh_tokens(refresh_token=minted["refresh_token"])
