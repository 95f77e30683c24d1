"""Fixtures for the emulator tests: an in-process app and validating API helpers.

These tests need no Django: they drive the Starlette app directly (TestClient) so
they are fast and deterministic; one test in test_process.py runs the real subprocess.
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mcpgateway.spotify_emulator import create_app
from mcpgateway.spotify_emulator.state import DEFAULT_SCOPES

from .support import CLIENT_ID, REDIRECT, Api, mint


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def app():
    return create_app()


@pytest.fixture
def client(app):
    with TestClient(app, follow_redirects=False) as c:
        r = c.post("/_emulator/clients", json={"client_id": CLIENT_ID, "redirect_uris": [REDIRECT]})
        assert r.status_code == 201, r.text
        yield c


@pytest.fixture
def api_for(client):
    def make(user_id="alice", scopes=DEFAULT_SCOPES) -> Api:
        return Api(client, mint(client, user_id, scopes)["access_token"])
    return make


@pytest.fixture
def alice(api_for) -> Api:
    return api_for("alice")
