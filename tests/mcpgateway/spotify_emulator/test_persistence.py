"""State snapshots: the out-of-the-box run keeps connections and library changes across
restarts, so snapshots must be written while running (throttled) and at shutdown."""

from __future__ import annotations

import json
import time

from starlette.testclient import TestClient

from mcpgateway.spotify_emulator import create_app

from .support import CLIENT_ID, REDIRECT


def test_snapshot_while_running_and_reload(tmp_path):
    path = tmp_path / "state.json"
    with TestClient(create_app(state_path=str(path))) as c:
        c.post("/_emulator/clients", json={"client_id": CLIENT_ID, "redirect_uris": [REDIRECT]})
        grant = c.post("/_emulator/grants", json={"client_id": CLIENT_ID, "user_ids": ["bob"]}).json()["grants"][0]
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not path.exists():
            time.sleep(0.1)
        assert grant["access_token"] in json.loads(path.read_text())["access_tokens"]
    with TestClient(create_app(state_path=str(path))) as c:
        r = c.get("/v1/me", headers={"Authorization": f"Bearer {grant['access_token']}"})
        assert r.status_code == 200 and r.json()["id"] == "bob"
        assert c.get("/_emulator/clients").json()["clients"][0]["client_id"] == CLIENT_ID
    assert not list(tmp_path.glob(".spotify-emulator-*"))  # no temp files left behind


def test_corrupt_state_file_is_ignored(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{not json")
    with TestClient(create_app(state_path=str(path))) as c:
        assert c.get("/_emulator/health").json()["users"] == 5
