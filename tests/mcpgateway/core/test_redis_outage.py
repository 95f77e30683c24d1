"""Redis stopped and started again under the gateway (a private redis-server, never the shared one).

Redis holds the revocation epoch, the cache, the channel layer and Celery's broker; the database
is the source of truth. While Redis is down pages and /mcp keep working, a revocation is enforced
at the next request on every worker, and after Redis is back (with its snapshot: the epoch it had)
no worker trusts what it cached before the revocation. The Celery worker and beat pick up again
by themselves once their broker is back."""

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from django.conf import settings

from accounts.models import PersonalAccessToken
from mcpgateway.core.revocation import bump_revocation_epoch, current_revocation_epoch_sync
from tests.conftest import make_grant, make_personal_access_token
from tests.mcpgateway.mcp.conftest import MODERN_META, POST_HEADERS, bearer, rpc
from tests.support.private_services import PrivateRedis
from tests.support.processes import gateway_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    try:
        server.start()
        yield server
    finally:
        server.close()


def identity_call(base: str, token: str) -> httpx.Response:
    params = {"name": "get_gateway_identity", "arguments": {}, "_meta": MODERN_META}
    headers = {**POST_HEADERS, **bearer(token), "MCP-Protocol-Version": MODERN_META["io.modelcontextprotocol/protocolVersion"],
               "Mcp-Method": "tools/call", "Mcp-Name": "get_gateway_identity"}
    return httpx.post(f"{base}/mcp", json=rpc("tools/call", params), headers=headers, timeout=20)


def test_a_revocation_while_redis_is_down_holds_on_every_worker_after_it_returns(private_redis, start_gateway, person):
    first = start_gateway(REDIS_URL=private_redis.url, CELERY_BROKER_URL=private_redis.url)
    second = start_gateway(REDIS_URL=private_redis.url, CELERY_BROKER_URL=private_redis.url, PUBLIC_BASE_URL=first)
    token = make_personal_access_token(person, name="assistant")
    admin_token = make_personal_access_token(person, name="script", scopes={"api"})
    for worker in (first, second):  # both workers verify the token once and cache it
        assert identity_call(worker, token).status_code == 200

    private_redis.stop()
    assert httpx.get(f"{first}/accounts/login/").status_code == 200  # pages need no Redis
    assert identity_call(first, token).status_code == 200
    token_id = PersonalAccessToken.objects.get(user=person, name="assistant").pk
    revoked = httpx.delete(f"{first}/api/tokens/{token_id}", headers=bearer(admin_token), timeout=20)
    assert revoked.status_code == 200, revoked.text
    assert identity_call(first, token).status_code == 401  # read from the database, the source of truth

    private_redis.start()  # with the epoch it had before the revocation
    # The second worker served nothing while Redis was down: its cache still holds the token,
    # under an epoch Redis gives again. The revocation must hold there too.
    assert identity_call(second, token).status_code == 401
    assert identity_call(first, token).status_code == 401
    assert identity_call(second, admin_token).status_code in (401, 403)  # an api token has no Spotify tool


def test_a_bump_redis_could_not_take_is_paid_when_it_returns(private_redis, settings):
    """A worker that never saw the outage (a split between Redis and the revoking process only, or
    a Redis restarted from its snapshot) reads the epoch Redis has: it must move once Redis is back."""
    settings.REDIS_URL = private_redis.url
    bump_revocation_epoch()
    before = current_revocation_epoch_sync()
    private_redis.stop()
    bump_revocation_epoch()  # a revocation committed meanwhile: logged, never raised
    private_redis.start()
    deadline = time.monotonic() + 5
    while current_revocation_epoch_sync() == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert current_revocation_epoch_sync() != before


def test_celery_worker_and_beat_resume_when_redis_returns(private_redis, emulator, person, tmp_path):
    env = gateway_env(VAR_DIR=str(tmp_path), REDIS_URL=private_redis.url, CELERY_BROKER_URL=private_redis.url,
                      SPOTIFY_REFRESH_INTERVAL_SECONDS="1", HEARTBEAT_INTERVAL_SECONDS="1")
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    logs = {name: open(tmp_path / f"{name}.log", "w+") for name in ("worker", "beat")}
    worker = subprocess.Popen(celery + ["worker", "--pool", "threads", "--concurrency", "2", "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
                              cwd=settings.BASE_DIR, env=env, stdout=logs["worker"], stderr=subprocess.STDOUT, start_new_session=True)
    beat = subprocess.Popen(celery + ["beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")],
                            cwd=settings.BASE_DIR, env=env, stdout=logs["beat"], stderr=subprocess.STDOUT, start_new_session=True)

    def refreshed(grant, within: float) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            grant.refresh_from_db()
            if grant.last_refreshed_at:
                return True
            assert worker.poll() is None and beat.poll() is None, "a Celery process died"
            time.sleep(0.3)
        return False

    try:
        before, _ = make_grant(emulator, person, expires_in=30)
        assert refreshed(before, 40), "the sweep never ran"

        private_redis.stop()
        time.sleep(4)  # several beat ticks and worker polls against a broker that is gone
        assert worker.poll() is None and beat.poll() is None, "a Celery process died with Redis"
        private_redis.start()

        other = type(person).objects.create_user(username="sam", password="another long password")
        after, _ = make_grant(emulator, other, expires_in=30)
        assert refreshed(after, 40), "the sweep did not resume after Redis came back"
    finally:
        for proc in (beat, worker):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in (beat, worker):
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        for log in logs.values():
            log.close()
