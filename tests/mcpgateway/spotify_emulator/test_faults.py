"""Fault switches and concurrency: the gateway's retry, timeout and single-flight logic is
tested against these, so each switch must do exactly what it says, and latency must
never serialise requests (a slow token endpoint must not block the event loop).
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from .spotify_openapi import check_error
from .support import CLIENT_ID, mint


@pytest.fixture
def aclient(app):
    async def make():
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu")
    return make


def refresh(client, rt):
    return client.post("/accounts/api/token", data={"grant_type": "refresh_token", "refresh_token": rt,
                                                    "client_id": CLIENT_ID})


def test_fail_next_counts_down_per_scope(client):
    g = mint(client)
    h = {"Authorization": f"Bearer {g['access_token']}"}
    client.post("/_emulator/faults", json={"fail_next": 2, "fail_status": 502, "fail_scope": "api"})
    assert refresh(client, g["refresh_token"]).status_code == 200  # token scope untouched
    for _ in range(2):
        check_error(client.get("/v1/me", headers=h), 502)
    assert client.get("/v1/me", headers=h).status_code == 200
    client.post("/_emulator/faults", json={"fail_next": 1, "fail_status": 503, "fail_scope": "token"})
    r = refresh(client, "whatever")
    assert r.status_code == 503 and r.json()["error"] == "server_error"
    assert client.get("/_emulator/stats").json()["token_requests"]["by_outcome"]["server_error_503"] == 1


def test_fail_body_html_sends_a_page_instead_of_json(client):
    g = mint(client)
    h = {"Authorization": f"Bearer {g['access_token']}"}
    client.post("/_emulator/faults", json={"fail_next": 1, "fail_status": 502, "fail_scope": "api", "fail_body": "html"})
    r = client.get("/v1/me", headers=h)
    assert r.status_code == 502 and r.headers["content-type"].startswith("text/html") and r.text.startswith("<html>")
    client.post("/_emulator/faults", json={"fail_next": 1, "fail_status": 200, "fail_scope": "token"})
    r = refresh(client, g["refresh_token"])
    assert r.status_code == 200 and r.text.startswith("<html>")  # an unreadable "success"
    assert refresh(client, g["refresh_token"]).status_code == 200  # the fault did not consume the token
    assert client.post("/_emulator/faults", json={"fail_body": "xml"}).status_code == 400


def test_rate_limit_with_retry_after(client):
    g = mint(client)
    h = {"Authorization": f"Bearer {g['access_token']}"}
    client.post("/_emulator/faults", json={"rate_limit_next": 1, "retry_after": 7})
    r = client.get("/v1/me", headers=h)
    assert r.headers["retry-after"] == "7"
    check_error(r, 429, reason="QUOTA_EXCEEDED")
    assert client.get("/v1/me", headers=h).status_code == 200
    client.post("/_emulator/faults", json={"rate_limit_next": 1, "fail_scope": "token"})
    r = refresh(client, g["refresh_token"])
    assert r.status_code == 429 and r.headers["retry-after"] == "7"
    assert refresh(client, g["refresh_token"]).status_code == 200  # the 429 did not consume it


def test_hang_then_answer(client):
    g = mint(client)
    client.post("/_emulator/faults", json={"hang_next": 1, "hang_seconds": 0.3, "fail_scope": "token"})
    t = time.perf_counter()
    assert refresh(client, g["refresh_token"]).status_code == 200
    assert time.perf_counter() - t >= 0.3
    t = time.perf_counter()
    client.get("/v1/me", headers={"Authorization": f"Bearer {g['access_token']}"})
    assert time.perf_counter() - t < 0.25


def test_clear_and_unknown_faults(client):
    assert client.post("/_emulator/faults", json={"nonsense": 1}).status_code == 400
    client.post("/_emulator/faults", json={"fail_next": 5, "latency_ms": 10})
    cleared = client.delete("/_emulator/faults").json()
    assert cleared["fail_next"] == 0 and cleared["latency_ms"] == 0 and cleared["omit_refresh_token"] == "every_nth"


@pytest.mark.anyio
async def test_latency_does_not_serialise(app, client, aclient):
    grants = client.post("/_emulator/grants", json={"client_id": CLIENT_ID, "count": 20}).json()["grants"]
    client.post("/_emulator/faults", json={"token_latency_ms": 200, "api_latency_ms": 100})
    async with await aclient() as c:
        t = time.perf_counter()
        rs = await asyncio.gather(*[
            c.post("/accounts/api/token", data={"grant_type": "refresh_token", "refresh_token": g["refresh_token"],
                                                "client_id": CLIENT_ID}) for g in grants])
        took = time.perf_counter() - t
        assert all(r.status_code == 200 for r in rs)
        assert 0.2 <= took < 1.5, took  # 20 x 200 ms would be 4 s if serialised
        t = time.perf_counter()
        r = await c.get("/v1/me", headers={"Authorization": f"Bearer {grants[0]['access_token']}"})
        assert r.status_code == 200 and 0.1 <= time.perf_counter() - t < 0.19  # api latency only
        t = time.perf_counter()
        assert (await c.get("/_emulator/health")).status_code == 200
        assert time.perf_counter() - t < 0.1  # control API never delayed


@pytest.mark.anyio
async def test_bulk_mint_and_concurrent_refreshes(client, aclient):
    t = time.perf_counter()
    r = client.post("/_emulator/grants", json={"client_id": CLIENT_ID, "count": 5000})
    assert r.status_code == 201 and time.perf_counter() - t < 5
    grants = r.json()["grants"]
    assert len({g["user_id"] for g in grants}) == 5000 and len({g["refresh_token"] for g in grants}) == 5000
    again = client.post("/_emulator/grants", json={"client_id": CLIENT_ID, "count": 2}).json()["grants"]
    assert not {g["user_id"] for g in again} & {g["user_id"] for g in grants}  # batches get fresh users
    client.delete("/_emulator/stats")
    client.post("/_emulator/faults", json={"token_latency_ms": 50, "omit_refresh_token": "never"})
    sem = asyncio.Semaphore(50)
    async with await aclient() as c:
        async def one(g):
            async with sem:
                return await c.post("/accounts/api/token", data={
                    "grant_type": "refresh_token", "refresh_token": g["refresh_token"], "client_id": CLIENT_ID})
        t = time.perf_counter()
        rs = await asyncio.gather(*[one(g) for g in grants[:1000]])
        took = time.perf_counter() - t
    assert all(x.status_code == 200 for x in rs)
    assert took < 6, took  # ideal is 1000/50 x 50 ms = 1 s
    stats = client.get("/_emulator/stats").json()["token_requests"]
    assert stats["refresh_token"] == {"success": 1000} and len(stats["by_grant"]) == 1000
