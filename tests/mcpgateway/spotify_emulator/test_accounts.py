"""Accounts service: the OAuth rules the gateway must cope with in 2026.

Each test pins one rule Spotify enforces (PKCE S256, single-use codes, exact redirect
URIs, loopback-not-localhost, rotating refresh tokens that may be omitted, 6-month
refresh-token lifetime, 5-user development mode) so the gateway's client is tested
against the real behaviour, not an idealised one.
"""

from __future__ import annotations

import base64
import re

from .support import CLIENT_ID, REDIRECT, authorize_params, consent, full_login, get_code, pkce, redirect_params, token_request


def test_consent_page_lists_seeded_users_with_stable_ids(client):
    _, challenge = pkce()
    page = client.get("/accounts/authorize", params=authorize_params(challenge))
    assert page.status_code == 200
    assert 'id="agree"' in page.text and 'id="cancel"' in page.text
    radios = re.findall(r'<input type="radio" name="user_id"[^>]*>', page.text)
    assert len(radios) == 5 and "checked" in radios[0]
    assert "Alice Example (Premium)" in page.text and "Carol Example (Free)" in page.text


def test_full_code_flow_returns_spotify_token_shape(client):
    tok = full_login(client)
    assert set(tok) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert tok["token_type"] == "Bearer" and tok["expires_in"] == 3600
    assert tok["scope"] == "user-read-private user-read-playback-state"
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {tok['access_token']}"})
    assert me.json()["id"] == "alice"


def test_state_is_echoed_and_cancel_gives_access_denied(client):
    _, challenge = pkce()
    q = redirect_params(consent(client, challenge, action="cancel"))
    assert q == {"error": "access_denied", "state": "xyz", "_base": REDIRECT}


def test_wrong_verifier_is_invalid_grant(client):
    verifier, challenge = pkce()
    code = get_code(client, challenge)
    other, _ = pkce()
    r = token_request(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                      client_id=CLIENT_ID, code_verifier=other)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    assert "error_description" in r.json()
    # a failed exchange burns the code: the right verifier no longer helps
    r = token_request(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                      client_id=CLIENT_ID, code_verifier=verifier)
    assert r.json()["error"] == "invalid_grant"


def test_code_is_single_use(client):
    verifier, challenge = pkce()
    code = get_code(client, challenge)
    form = dict(grant_type="authorization_code", code=code, redirect_uri=REDIRECT, client_id=CLIENT_ID,
                code_verifier=verifier)
    assert token_request(client, **form).status_code == 200
    r = token_request(client, **form)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_code_expires_after_ten_minutes(client):
    verifier, challenge = pkce()
    code = get_code(client, challenge)
    client.post("/_emulator/clock", json={"advance_seconds": 601})
    r = token_request(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                      client_id=CLIENT_ID, code_verifier=verifier)
    assert r.json()["error"] == "invalid_grant"


def test_token_redirect_uri_must_equal_authorize_one(client):
    verifier, challenge = pkce()
    code = get_code(client, challenge)
    r = token_request(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT + "/",
                      client_id=CLIENT_ID, code_verifier=verifier)
    assert r.json()["error"] == "invalid_grant"


def test_authorize_redirect_uri_exact_match_and_never_redirects(client):
    _, challenge = pkce()
    for bad in (REDIRECT + "/", REDIRECT + "?x=1", "http://127.0.0.1:8766/callback", "https://evil.example/cb"):
        r = client.get("/accounts/authorize", params=authorize_params(challenge, redirect_uri=bad))
        assert r.status_code == 400 and "location" not in r.headers, bad
    r = client.get("/accounts/authorize", params=authorize_params(challenge, client_id="nope"))
    assert r.status_code == 400 and "Invalid client" in r.text


def test_localhost_refused_loopback_ips_accepted(client):
    bad = client.post("/_emulator/clients", json={"client_id": "x", "redirect_uris": ["http://localhost:8000/cb"]})
    assert bad.status_code == 400 and "localhost" in bad.text
    assert client.post("/_emulator/clients", json={"client_id": "x", "redirect_uris": ["http://example.com/cb"]}).status_code == 400
    ok = client.post("/_emulator/clients", json={"client_id": "y", "redirect_uris": [
        "http://127.0.0.1:9000/cb", "http://[::1]:9000/cb", "https://gw.example.com/cb"]})
    assert ok.status_code == 201
    _, challenge = pkce()
    r = client.get("/accounts/authorize", params=authorize_params(challenge, redirect_uri="http://localhost:8765/callback"))
    assert r.status_code == 400 and "location" not in r.headers
    r = client.get("/accounts/authorize", params=authorize_params(challenge, client_id="y",
                                                                  redirect_uri="http://[::1]:9000/cb"))
    assert r.status_code == 200


def test_bad_params_redirect_with_error_and_state(client):
    _, challenge = pkce()
    cases = [({"response_type": "token"}, "invalid_request"),
             ({"code_challenge": None}, "invalid_request"),
             ({"code_challenge": "short"}, "invalid_request"),
             ({"code_challenge_method": "plain"}, "invalid_request"),
             ({"scope": "user-read-private not-a-scope"}, "invalid_scope")]
    for over, error in cases:
        r = client.get("/accounts/authorize", params=authorize_params(challenge, **over))
        q = redirect_params(r)
        assert (q["error"], q["state"], q["_base"]) == (error, "xyz", REDIRECT), over


def test_refresh_rotates_and_old_token_is_revoked(client):
    client.post("/_emulator/faults", json={"omit_refresh_token": "never"})
    tok = full_login(client)
    r = token_request(client, grant_type="refresh_token", refresh_token=tok["refresh_token"], client_id=CLIENT_ID)
    new = r.json()
    assert r.status_code == 200 and new["refresh_token"] != tok["refresh_token"]
    again = token_request(client, grant_type="refresh_token", refresh_token=tok["refresh_token"], client_id=CLIENT_ID)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "Refresh token revoked"}
    # old access tokens stay valid until they expire
    for t in (tok, new):
        assert client.get("/v1/me", headers={"Authorization": f"Bearer {t['access_token']}"}).status_code == 200


def test_omitted_refresh_token_keeps_old_one_valid(client):
    client.post("/_emulator/faults", json={"omit_refresh_token": "always"})
    tok = full_login(client)
    for _ in range(3):
        r = token_request(client, grant_type="refresh_token", refresh_token=tok["refresh_token"], client_id=CLIENT_ID)
        assert r.status_code == 200 and "refresh_token" not in r.json()


def test_default_omits_every_third_refresh(client):
    tok = full_login(client)
    rt, omitted = tok["refresh_token"], []
    for _ in range(6):
        body = token_request(client, grant_type="refresh_token", refresh_token=rt, client_id=CLIENT_ID).json()
        omitted.append("refresh_token" not in body)
        rt = body.get("refresh_token", rt)
    assert omitted == [False, False, True, False, False, True]


def test_refresh_token_dies_six_months_after_consent(client):
    client.post("/_emulator/faults", json={"omit_refresh_token": "never"})
    tok = full_login(client)
    rt = tok["refresh_token"]
    for _ in range(3):  # rotation over 5 months must not extend the lifetime
        client.post("/_emulator/clock", json={"advance_seconds": 50 * 86400})
        r = token_request(client, grant_type="refresh_token", refresh_token=rt, client_id=CLIENT_ID)
        assert r.status_code == 200
        rt = r.json()["refresh_token"]
    client.post("/_emulator/clock", json={"advance_seconds": 33 * 86400})  # 183 days in total
    r = token_request(client, grant_type="refresh_token", refresh_token=rt, client_id=CLIENT_ID)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_access_token_expires_after_an_hour(client):
    tok = full_login(client)
    client.post("/_emulator/clock", json={"advance_seconds": 3601})
    r = client.get("/v1/me", headers={"Authorization": f"Bearer {tok['access_token']}"})
    assert r.status_code == 401 and r.json()["error"]["message"] == "The access token expired"


def test_client_authentication(client):
    client.post("/_emulator/clients", json={"client_id": "conf", "client_secret": "s3cret",
                                            "redirect_uris": [REDIRECT]})
    verifier, challenge = pkce()
    code = get_code(client, challenge, client_id="conf")
    basic = base64.b64encode(b"conf:wrong").decode()
    r = client.post("/accounts/api/token", headers={"Authorization": f"Basic {basic}"},
                    data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                          "code_verifier": verifier})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    basic = base64.b64encode(b"conf:s3cret").decode()
    r = client.post("/accounts/api/token", headers={"Authorization": f"Basic {basic}"},
                    data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                          "code_verifier": verifier})
    assert r.status_code == 200
    r = token_request(client, grant_type="refresh_token", refresh_token=r.json()["refresh_token"], client_id="nobody")
    assert r.status_code == 400 and r.json()["error"] == "invalid_client"
    r = token_request(client, grant_type="client_credentials", client_id=CLIENT_ID)
    assert r.json()["error"] == "unsupported_grant_type"


def test_development_mode_allowlist(client):
    r = client.post("/_emulator/clients", json={"client_id": "dev", "redirect_uris": [REDIRECT],
                                                "allowed_users": ["alice", "bob"]})
    assert r.status_code == 201
    _, challenge = pkce()
    denied = consent(client, challenge, user_id="carol", client_id="dev")
    assert denied.status_code == 403 and "not registered" in denied.text
    assert "code" in redirect_params(consent(client, challenge, user_id="bob", client_id="dev"))
    six = ["alice", "bob", "carol", "dave", "erin", "frank"]
    r = client.post("/_emulator/clients", json={"client_id": "dev2", "redirect_uris": [REDIRECT], "allowed_users": six})
    assert r.status_code == 400 and "at most 5" in r.text
    r = client.post("/_emulator/clients", json={"client_id": "ext", "redirect_uris": [REDIRECT], "mode": "extended"})
    assert r.status_code == 201
    assert "code" in redirect_params(consent(client, challenge, user_id="carol", client_id="ext"))


def test_token_stats_count_every_request(client):
    client.delete("/_emulator/stats")
    tok = full_login(client)
    token_request(client, grant_type="refresh_token", refresh_token=tok["refresh_token"], client_id=CLIENT_ID)
    token_request(client, grant_type="refresh_token", refresh_token=tok["refresh_token"], client_id=CLIENT_ID)
    t = client.get("/_emulator/stats").json()["token_requests"]
    assert t["total"] == 3
    assert t["by_grant_type"] == {"authorization_code": 1, "refresh_token": 2}
    assert t["by_outcome"] == {"success": 2, "invalid_grant": 1}
    assert t["by_user"] == {"alice": 3} and list(t["by_grant"].values()) == [3]
    assert t["by_client"] == {CLIENT_ID: 3}
