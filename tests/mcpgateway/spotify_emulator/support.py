"""Helpers shared by the emulator tests: token minting, a validating API caller, OAuth steps."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

from mcpgateway.spotify_emulator.state import DEFAULT_SCOPES

from .spotify_openapi import validate

CLIENT_ID = "test-client"
REDIRECT = "http://127.0.0.1:8765/callback"


def mint(client, user_id="alice", scopes=DEFAULT_SCOPES, client_id=CLIENT_ID) -> dict:
    r = client.post("/_emulator/grants", json={"client_id": client_id, "user_ids": [user_id],
                                               "scopes": list(scopes)})
    assert r.status_code == 201, r.text
    return r.json()["grants"][0]


class Api:
    """Calls /v1 with a bearer token and validates every response against the OpenAPI file."""

    def __init__(self, client, token: str):
        self.client, self.token = client, token

    def call(self, method: str, path: str, **kw):
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        r = self.client.request(method, "/v1" + path, headers=headers, **kw)
        validate(method, r.request.url, r)
        return r

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def put(self, path, **kw):
        return self.call("PUT", path, **kw)

    def post(self, path, **kw):
        return self.call("POST", path, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


def state(client, user_id="alice") -> dict:
    r = client.get(f"/_emulator/users/{user_id}/state")
    assert r.status_code == 200
    return r.json()


# ------------------------------------------------------------------ OAuth helpers
def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(challenge: str, **over) -> dict:
    p = {"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT, "state": "xyz",
         "scope": "user-read-private user-read-playback-state", "code_challenge_method": "S256",
         "code_challenge": challenge}
    p.update(over)
    return {k: v for k, v in p.items() if v is not None}


def consent(client, challenge: str, user_id: str = "alice", action: str = "agree", **over):
    """Render the consent page and submit it; returns the POST response."""
    page = client.get("/accounts/authorize", params=authorize_params(challenge, **over))
    assert page.status_code == 200, page.text
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
    return client.post("/accounts/authorize", data={"nonce": nonce, "user_id": user_id, "action": action})


def redirect_params(resp) -> dict:
    assert resp.status_code in (302, 303), (resp.status_code, resp.text)
    loc = resp.headers["location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(loc).query).items()} | {"_base": loc.split("?")[0]}


def get_code(client, challenge: str, user_id: str = "alice", **over) -> str:
    return redirect_params(consent(client, challenge, user_id, **over))["code"]


def token_request(client, **form):
    return client.post("/accounts/api/token", data=form)


def full_login(client, user_id="alice", **over) -> dict:
    verifier, challenge = pkce()
    code = get_code(client, challenge, user_id, **over)
    r = token_request(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                      client_id=CLIENT_ID, code_verifier=verifier)
    assert r.status_code == 200, r.text
    return r.json()
