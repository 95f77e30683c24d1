"""PostgreSQL restarted under load: while it is down every request that needs it is answered 503 in
its own format (a page for a browser, JSON for the REST API, a JSON-RPC error for /mcp), never a 500
or a traceback; what needs no database (a warm /mcp call) keeps working; once it is back the same
gateway process serves everything again, without a restart.

The cluster is the test's own (tests/support/private_services.py), so it runs whatever database
the rest of the suite uses."""

import json
import threading
import time
from collections import Counter

import httpx
import pytest
from django.db import OperationalError

from tests.conftest import public_client
from tests.mcpgateway.mcp.conftest import MODERN_META, POST_HEADERS, bearer, reply_of, rpc
from tests.support.private_services import PrivatePostgres, manage


def refuse_queries(monkeypatch) -> None:
    """Every query fails as when PostgreSQL has gone away."""
    from django.db.backends.utils import CursorWrapper

    def gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(CursorWrapper, "execute", gone)
    monkeypatch.setattr(CursorWrapper, "executemany", gone)


@pytest.mark.django_db
def test_a_page_is_a_503_page_without_a_traceback(monkeypatch, caplog, django_user_model):
    browser = public_client(raise_request_exception=False)
    browser.force_login(django_user_model.objects.create_user(username="pat", password="x" * 20))
    refuse_queries(monkeypatch)

    response = browser.get("/")

    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "cannot reach its database" in response.content.decode()
    assert not [r for r in caplog.records if r.exc_info], "logged with a traceback"
    assert any("Database unreachable" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_the_api_answers_a_json_503(monkeypatch, caplog):
    refuse_queries(monkeypatch)

    response = public_client(raise_request_exception=False).get("/api/me", HTTP_AUTHORIZATION="Bearer smgp_whatever")

    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "database is unreachable" in response.json()["detail"]
    assert not [r for r in caplog.records if r.exc_info], "logged with a traceback"


def test_other_errors_stay_500(rf):
    from mcpgateway.core.database_outage import server_error

    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(rf.get("/"))
    assert response.status_code == 500


PEOPLE = """
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from accounts.services import personal_access_token_create
from mcpgateway.core.scopes import ALL_SCOPES
user = get_user_model().objects.create_user(username="pat", password="x" * 20)
tokens = [personal_access_token_create(user=user, name=f"t{i}", scopes=set(ALL_SCOPES) | {"api"}, expires_in_days=None)[1] for i in range(3)]
session = SessionStore()
session.update({"_auth_user_id": str(user.pk), "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                "_auth_user_hash": user.get_session_auth_hash()})
session.create()
print(json.dumps({"tokens": tokens, "session": session.session_key}))
"""


@pytest.fixture
def private_postgres():
    pg = PrivatePostgres()
    try:
        pg.start()
        pg.create_database()
        manage(pg.url, "migrate", "--no-input", "-v", "0")
        yield pg
    finally:
        pg.close()


def identity_call(http: httpx.Client, base: str, token: str) -> httpx.Response:
    params = {"name": "get_gateway_identity", "arguments": {}, "_meta": MODERN_META}
    headers = {**POST_HEADERS, **bearer(token), "MCP-Protocol-Version": MODERN_META["io.modelcontextprotocol/protocolVersion"],
               "Mcp-Method": "tools/call", "Mcp-Name": "get_gateway_identity"}
    return http.post(f"{base}/mcp", json=rpc("tools/call", params), headers=headers)


def check_answer(kind: str, response: httpx.Response) -> str:
    """'ok' or 'unavailable'; anything else fails the test."""
    if response.status_code == 200:
        return "ok"
    assert response.status_code == 503, (kind, response.status_code, response.text[:500])
    assert response.headers.get("retry-after"), kind
    if kind == "page":
        assert response.headers["content-type"].startswith("text/html") and "database" in response.text.lower(), response.text[:500]
    elif kind == "api":
        assert "database" in response.json()["detail"].lower()
    else:
        error = reply_of(response)["error"]
        assert error["code"] < 0 and "database" in error["message"].lower(), error
    return "unavailable"


@pytest.mark.slow
def test_a_database_restart_gives_clean_503s_and_the_gateway_recovers_by_itself(private_postgres, start_gateway):
    people = json.loads(manage(private_postgres.url, "shell", "-c", "import json\n" + PEOPLE).strip().splitlines()[-1])
    warm, cold, api_token = people["tokens"]
    base = start_gateway(DATABASE_URL=private_postgres.url, DB_CONN_MAX_AGE="60")

    requests = {
        "page": lambda http: http.get(f"{base}/", headers={"Cookie": f"sessionid={people['session']}"}),
        "api": lambda http: http.get(f"{base}/api/me", headers=bearer(api_token)),
        "mcp": lambda http: identity_call(http, base, warm),
    }
    outcomes: dict[str, Counter] = {kind: Counter() for kind in requests}
    phase = ["before"]
    stop = threading.Event()
    failures: list[BaseException] = []

    def load(kind):
        with httpx.Client(timeout=20) as http:
            while not stop.is_set():
                try:
                    outcomes[kind][(phase[0], check_answer(kind, requests[kind](http)))] += 1
                except BaseException as exc:  # noqa: BLE001 - reported by the test
                    failures.append(exc)
                    return
                time.sleep(0.02)

    with httpx.Client(timeout=20) as http:
        for kind, send in requests.items():
            assert check_answer(kind, send(http)) == "ok", kind
    threads = [threading.Thread(target=load, args=(kind,), daemon=True) for kind in requests for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        private_postgres.stop()
        phase[0] = "down"
        time.sleep(2)
        with httpx.Client(timeout=20) as http:
            # A token this worker never saw must be looked up: refused cleanly, not let in.
            assert check_answer("mcp", identity_call(http, base, cold)) == "unavailable"
            health = http.get(f"{base}/healthz")
            assert health.status_code == 503 and not health.json()["checks"]["database"]["ok"]
        private_postgres.start()
        phase[0] = "back"
        recovered_at = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with httpx.Client(timeout=20) as http:
                answers = [check_answer(kind, send(http)) for kind, send in requests.items()]
                answers.append(check_answer("mcp", identity_call(http, base, cold)))
            if set(answers) == {"ok"}:
                recovered_at = time.monotonic()
                break
            time.sleep(0.2)
        phase[0] = "after"
        time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert not failures, failures
    assert recovered_at is not None, outcomes
    for kind in ("page", "api"):
        assert outcomes[kind][("down", "unavailable")] > 0, outcomes  # the outage was felt ...
    assert outcomes["mcp"][("down", "ok")] > 0, outcomes  # ... except by a warm /mcp call, which needs no database
    for kind in requests:
        assert outcomes[kind][("after", "ok")] > 0 and not outcomes[kind][("after", "unavailable")], outcomes
