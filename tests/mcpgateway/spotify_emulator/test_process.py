"""The real subprocess, as the gateway's own test suite and the benchmark use it: starts on a
free port, answers the control helpers, registers command-line clients, and keeps its
state across a restart when given a state file."""

from __future__ import annotations

import httpx

from mcpgateway.spotify_emulator.testing import EmulatorControl, EmulatorProcess

REDIRECT = "http://127.0.0.1:8000/spotify/callback"


def test_emulator_process_round_trip(tmp_path):
    path = tmp_path / "emu.json"
    with EmulatorProcess(state_path=path, client_id="cli-app", redirect_uris=[REDIRECT]) as emu:
        assert emu.api_url == emu.base_url + "/v1" and emu.accounts_url == emu.base_url + "/accounts"
        assert emu.base_url.startswith("http://127.0.0.1:")
        grant = emu.mint_grants("cli-app", user_ids=["alice"])[0]
        assert grant["user_id"] == "alice" and grant["scope"] and grant["expires_in"] == 3600
        h = {"Authorization": f"Bearer {grant['access_token']}"}
        track = httpx.get(emu.api_url + "/me/tracks?limit=1", headers=h).json()["items"][0]["track"]["uri"]
        assert httpx.delete(emu.api_url + f"/me/library?uris={track}", headers=h).status_code == 200
        emu.set_faults(fail_next=1, fail_scope="api")
        assert httpx.get(emu.api_url + "/me", headers=h).status_code == 503
        emu.clear_faults()
        assert emu.stats()["api_requests"]["by_status"]["503"] == 1
        emu.advance_clock(10)
        assert track.split(":")[-1] not in emu.user_state("alice")["library"]["tracks"]
        # a second control object against the running process sees the same state
        other = EmulatorControl(emu.base_url)
        assert other.health()["status"] == "ok"
        other.close()
    assert path.exists()
    with EmulatorProcess(state_path=path) as emu:
        h = {"Authorization": f"Bearer {grant['access_token']}"}
        assert httpx.get(emu.api_url + "/me", headers=h).json()["id"] == "alice"  # token survived
        assert track.split(":")[-1] not in emu.user_state("alice")["library"]["tracks"]
        emu.reset()  # back to seed, but the command-line client of *this* run would survive
        assert httpx.get(emu.api_url + "/me", headers=h).status_code == 401


def test_minted_bench_users_get_a_device_when_asked(emulator):
    from tests.conftest import TEST_CLIENT_ID

    emulator.mint_grants(TEST_CLIENT_ID, user_ids=["bench-plain"])
    grant = emulator.mint_grants(TEST_CLIENT_ID, user_ids=["bench-equipped"], with_device=True)[0]

    assert emulator.user_state("bench-plain")["devices"] == []
    [device] = emulator.user_state("bench-equipped")["devices"]
    assert device["is_active"] is False and emulator.user_state("bench-equipped")["playback"]["device_id"] is None
    # It plays there once asked to.
    h = {"Authorization": f"Bearer {grant['access_token']}"}
    track = httpx.get(f"{emulator.api_url}/search?q=a&type=track&limit=1", headers=h).json()["tracks"]["items"][0]["uri"]
    assert httpx.put(f"{emulator.api_url}/me/player/play?device_id={device['id']}", json={"uris": [track]}, headers=h).status_code in (202, 204)
    assert emulator.user_state("bench-equipped")["playback"]["is_playing"] is True
