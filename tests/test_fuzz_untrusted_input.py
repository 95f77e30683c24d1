"""Fuzzing what anyone can send: the OAuth endpoints, client registration, /mcp (both eras), the
dashboard's token form and the REST API, against a real uvicorn worker. Whatever arrives (NUL characters, lone
surrogates, bytes that are not UTF-8, JSON nested 50,000 deep, huge values, wrong types), the answer
is never a 5xx, and the worker logs no traceback (checked when the module's worker stops).

Hypothesis with a fixed seed (`derandomize`): every run, on SQLite and PostgreSQL alike, sends the
same requests, so a failure reproduces. FUZZ_EXAMPLES (default 60) sets the examples per test:
bench/fuzz.py raises it for the >= 10,000-case run.
"""

from __future__ import annotations

import base64
import json
import os
import re
from urllib.parse import quote, quote_from_bytes

import httpx
import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import make_personal_access_token
from tests.mcpgateway.oauth.conftest import REDIRECT_URI, connect_spotify, make_client
from tests.support.processes import GatewayProcesses

pytestmark = pytest.mark.django_db(transaction=True)

MIB = 1024 * 1024
# No shrinking: a failing request is reported as generated (the seed is fixed, so it reproduces), and
# shrinking one over HTTP could take minutes.
fuzz = settings(
    derandomize=True, database=None, deadline=None, max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")), phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- what anyone can send ---------------------------------------------------------------------------

NASTY_TEXT = ["\x00", "a\x00b", "\ud800", "x\udfffy", "%00", "\u202e", "\ufeff", "💥", "", " ", "\r\n", "null", "[]",
              "' OR 1=1 --", "x" * 5000, "http://127.0.0.1:43210/callback\x00", "https://\x00/"]
any_character = st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr), st.just("\x00"))
text = st.one_of(st.sampled_from(NASTY_TEXT), st.text(any_character, max_size=40))
# Form and query values as bytes: UTF-8 (lone surrogates written as the invalid bytes they would be),
# or any bytes at all.
raw_value = st.one_of(text.map(lambda value: value.encode("utf-8", "surrogatepass")), st.binary(max_size=40))
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=10**30), st.floats(allow_nan=False, allow_infinity=False), text)
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=12)
deep_json = st.sampled_from([100, 1_000, 50_000]).map(lambda depth: "[" * depth + "]" * depth)
huge_value = st.sampled_from([64 * 1024, 2 * MIB, 5 * MIB]).map(lambda size: b"x" * size)


def fuzzed_form(names: list[str], *, huge: bool = True):
    """The pairs of a form (or of a query string: not `huge`, URLs have limits of their own): each of
    `names` once, its value fuzzed or None (the test puts in a valid one), then a few strangers."""
    known = st.fixed_dictionaries({name: st.one_of(st.none(), raw_value) for name in names}).map(lambda fields: list(fields.items()))
    stranger = st.tuples(st.one_of(raw_value, raw_value, st.sampled_from(names)), st.one_of(raw_value, raw_value, raw_value, huge_value) if huge else raw_value)
    return st.tuples(known, st.lists(stranger, max_size=3)).map(lambda both: both[0] + both[1])


def encode_form(pairs, valid: dict[str, str]) -> bytes:
    def raw(value: str | bytes) -> str:
        return quote_from_bytes(value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass"))

    filled = [(name, valid.get(name) if value is None else value) for name, value in pairs]
    return "&".join(f"{raw(name)}={raw(value)}" for name, value in filled if value is not None).encode()


def json_body(structure):
    """JSON text (written as clients write it: lone surrogates as \\ud800 escapes), deeply nested
    JSON, or bytes that are not JSON at all."""
    return st.one_of(
        structure.map(lambda value: json.dumps(value).encode()),
        structure.map(lambda value: json.dumps(value).encode()),
        deep_json.map(str.encode),
        st.binary(max_size=100),
    )


def assert_no_server_error(response: httpx.Response) -> None:
    request = response.request
    assert response.status_code < 500, (request.method, str(request.url)[:200], request.content[:200], response.status_code, response.text[:500])


# --- the gateway and who is asking ------------------------------------------------------------------


@pytest.fixture(scope="module")
def gateway(django_db_setup, django_db_blocker):
    processes = GatewayProcesses()
    # Every registration should reach django-oauth-toolkit, not the rate limit.
    yield processes.start(OAUTH_DCR_RATE_LIMIT_PER_HOUR="1000000")
    processes.stop()


@pytest.fixture
def http(gateway):
    with httpx.Client(base_url=gateway, timeout=30) as client:
        yield client


@pytest.fixture
def person(django_user_model):
    person = django_user_model.objects.create_user(username="robin", password="a long and unusual password")
    connect_spotify(person)
    return person


@pytest.fixture
def signed_in_http(gateway, person):
    """An httpx client with the person's session cookie and the dashboard's CSRF token."""
    browser = Client()
    browser.force_login(person)
    cookie = browser.cookies[django_settings.SESSION_COOKIE_NAME].value
    with httpx.Client(base_url=gateway, timeout=30, cookies={django_settings.SESSION_COOKIE_NAME: cookie}) as client:
        dashboard = client.get("/")
        assert dashboard.status_code == 200, dashboard.text[:300]
        client.csrf_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', dashboard.text).group(1)
        yield client


@pytest.fixture
def oauth_client(db):
    return make_client()


# --- OAuth ------------------------------------------------------------------------------------------

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def valid_oauth_fields(gateway: str, oauth_client) -> dict[str, str]:
    """Well-formed values of every OAuth parameter, so the fuzzed one is what the endpoint judges."""
    return {
        "grant_type": "authorization_code", "code": "some-code", "redirect_uri": REDIRECT_URI, "client_id": oauth_client.client_id,
        "code_verifier": "v" * 43, "refresh_token": "some-refresh-token", "resource": f"{gateway}/mcp",
        "scope": "spotify:read", "token": "some-token", "token_type_hint": "access_token", "response_type": "code",
        "state": "s-123", "code_challenge": "c" * 43, "code_challenge_method": "S256",
    }


@fuzz
@given(form=fuzzed_form(["grant_type", "code", "redirect_uri", "client_id", "client_secret", "code_verifier", "refresh_token", "resource", "scope"]),
       grant=st.sampled_from(["authorization_code", "refresh_token"]), basic=st.none() | raw_value)
def test_the_token_endpoint(gateway, http, oauth_client, form, grant, basic):
    headers = dict(FORM)
    if basic is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(basic + b":" + basic).decode()
    body = encode_form(form, {**valid_oauth_fields(gateway, oauth_client), "grant_type": grant})
    assert_no_server_error(http.post("/oauth/token", content=body, headers=headers))


@fuzz
@given(form=fuzzed_form(["token", "token_type_hint", "client_id", "client_secret"]))
def test_the_revocation_endpoint(gateway, http, oauth_client, form):
    assert_no_server_error(http.post("/oauth/revoke", content=encode_form(form, valid_oauth_fields(gateway, oauth_client)), headers=FORM))


@fuzz
@given(query=fuzzed_form(["response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "resource", "scope"], huge=False))
def test_the_authorization_endpoint_signed_in(gateway, signed_in_http, oauth_client, query):
    assert_no_server_error(signed_in_http.get("/oauth/authorize?" + encode_form(query, valid_oauth_fields(gateway, oauth_client)).decode()))


registration_metadata = st.fixed_dictionaries(
    {},
    optional={
        "client_name": json_value, "redirect_uris": st.one_of(json_value, st.lists(text, max_size=3), st.just([REDIRECT_URI])),
        "grant_types": st.one_of(json_value, st.just(["authorization_code", "refresh_token"])),
        "token_endpoint_auth_method": st.one_of(json_value, st.sampled_from(["none", "client_secret_basic"])),
        "scope": json_value, "jwks": json_value,
    },
)


@pytest.fixture
def registration_count_reset():
    # The registrations made here count against this address's rate limit in the shared cache.
    yield
    cache.clear()


@fuzz
@given(body=json_body(registration_metadata), update=st.booleans(), client_id=text)
def test_client_registration(http, registration_count_reset, body, update, client_id):
    headers = {"Content-Type": "application/json"}
    if update:
        path = "/oauth/register/" + quote_from_bytes(client_id.encode("utf-8", "surrogatepass"))
        response = http.put(path, content=body, headers={**headers, "Authorization": "Bearer not-a-registration-token"})
    else:
        response = http.post("/oauth/register", content=body, headers=headers)
    assert_no_server_error(response)


# --- /mcp ---------------------------------------------------------------------------------------------

MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
client_info = st.one_of(json_value, st.fixed_dictionaries({"name": st.one_of(text, json_value), "version": st.one_of(text, json_value)}))
legacy_message = st.fixed_dictionaries({
    "jsonrpc": st.one_of(st.just("2.0"), json_value), "id": st.one_of(st.integers(), text, json_value),
    "method": st.one_of(st.just("initialize"), text),
    "params": st.one_of(json_value, st.fixed_dictionaries({"protocolVersion": st.one_of(st.just("2025-11-25"), json_value),
                                                           "capabilities": json_value, "clientInfo": client_info})),
})
modern_message = st.fixed_dictionaries({
    "jsonrpc": st.just("2.0"), "id": st.one_of(st.integers(), text), "method": st.sampled_from(["tools/list", "server/discover", "ping"]),
    "params": st.fixed_dictionaries({"_meta": st.one_of(json_value, st.fixed_dictionaries({
        "io.modelcontextprotocol/protocolVersion": st.one_of(st.just("2026-07-28"), json_value),
        "io.modelcontextprotocol/clientInfo": client_info,
    }))}),
})


@pytest.fixture
def bearer(person) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_personal_access_token(person)}"}


@fuzz
@given(body=st.one_of(json_body(legacy_message), huge_value), modern=json_body(modern_message), method=text)
def test_mcp_in_both_eras(http, bearer, body, modern, method):
    assert_no_server_error(http.post("/mcp", content=body, headers={**MCP_HEADERS, **bearer}))
    routing = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "".join(c for c in method if " " < c < "\x7f") or "ping"}
    assert_no_server_error(http.post("/mcp", content=modern, headers={**MCP_HEADERS, **bearer, **routing}))


# --- the dashboard's token form -----------------------------------------------------------------------


@fuzz
@given(name=text, scopes=st.lists(st.one_of(text, st.sampled_from(["spotify:read", "spotify:playback"])), max_size=3),
       expires_in=st.one_of(text, st.sampled_from(["30", "never"])))
def test_the_token_form(signed_in_http, name, scopes, expires_in):
    form = [("csrfmiddlewaretoken", signed_in_http.csrf_token), ("name", name), ("expires_in", expires_in), *(("scopes", s) for s in scopes)]
    body = encode_form(form, {})
    assert_no_server_error(signed_in_http.post("/tokens/create", content=body, headers={**FORM, "Referer": str(signed_in_http.base_url)}))


# --- the REST API ---------------------------------------------------------------------------------------

API_LISTS = ["/api/clients", "/api/tokens", "/api/consents", "/api/admin/people", "/api/admin/grants", "/api/admin/clients",
             "/api/activity", "/api/admin/activity", "/api/admin/invitations"]
# DELETE /api/tokens/{id} is left out: a fuzzed id could be the caller's own token (tests/mcpgateway/api covers it).
API_ROW_ACTIONS = [("DELETE", "/api/consents/{}"), ("POST", "/api/clients/{}/revoke"), ("POST", "/api/admin/people/{}/deactivate"),
                   ("POST", "/api/admin/grants/{}/refresh"), ("POST", "/api/admin/grants/{}/disconnect"), ("POST", "/api/admin/clients/{}/revoke"),
                   ("POST", "/api/admin/invitations/{}/revoke")]
token_request = st.fixed_dictionaries({
    "name": st.one_of(text, json_value),
    "scopes": st.one_of(st.lists(st.one_of(text, st.sampled_from(["spotify:read", "api"])), max_size=3), json_value),
    "expires_in_days": st.one_of(st.none(), st.integers(), st.integers(min_value=10**30), json_value),
})

invitation_request = st.fixed_dictionaries({
    "role": st.one_of(st.sampled_from(["member", "admin"]), json_value),
    "expires_in_days": st.one_of(st.integers(), st.integers(min_value=10**30), json_value),
    "allowed_email_domains": st.one_of(st.lists(st.one_of(text, st.just("example.com")), max_size=3), json_value),
    "note": st.one_of(text, json_value),
})


@pytest.fixture
def api_bearer(django_user_model) -> dict[str, str]:
    """A team admin's token with the api scope: every endpoint, the admin's included, is reachable."""
    admin = django_user_model.objects.create_user(username="ada", password="x", is_staff=True)
    return {"Authorization": f"Bearer {make_personal_access_token(admin, name='api', scopes={'api'})}"}


@fuzz
@given(body=json_body(token_request), invitation=json_body(invitation_request), query=fuzzed_form(["page", "page_size", "active", "role", "status", "person", "kind", "outcome",
                                                        "since", "until"], huge=False),
       path=st.sampled_from(API_LISTS), action=st.sampled_from(API_ROW_ACTIONS),
       row_id=st.one_of(text, st.integers().map(str), st.integers(min_value=10**18).map(str)))
def test_the_rest_api(http, person, api_bearer, body, invitation, query, path, action, row_id):
    assert_no_server_error(http.post("/api/tokens", content=body, headers={"Content-Type": "application/json", **api_bearer}))
    assert_no_server_error(http.post("/api/admin/invitations", content=invitation, headers={"Content-Type": "application/json", **api_bearer}))
    assert_no_server_error(http.get(f"{path}?{encode_form(query, {}).decode()}", headers=api_bearer))
    method, template = action
    assert_no_server_error(http.request(method, template.format(quote(row_id.encode("utf-8", "surrogatepass"), safe="")), headers=api_bearer))


# Header values as a client can put them on the wire: visible ASCII and obs-text bytes (HTTP has no
# way to carry NUL or a line break in a header, and h11 refuses to send them).
header_value = st.one_of(
    text.map(lambda value: value.encode("utf-8", "surrogatepass")), st.binary(max_size=60),
).map(lambda raw: bytes(b for b in raw if 0x21 <= b <= 0x7E or b >= 0x80) or b"x")
# Numbers no JSON parser should be trusted with: beyond float range, beyond Python's 4,300-digit
# integer conversion limit, NaN spelled as JavaScript does.
huge_number_body = st.sampled_from(["1e999999", "-1e999999", "9" * 5000, "-" + "9" * 100_000, "NaN", "Infinity", "1" + "0" * 4301 + ".5"]).map(
    lambda number: ('{"jsonrpc": "2.0", "id": %s, "method": "tools/call", "params": {"name": "search", "arguments": {"limit": %s}}}' % (number, number)).encode()
)
CONTENT_TYPES = ["application/json", "application/json; charset=utf-16", "application/json; charset=latin-1", "text/plain", "multipart/form-data; boundary=x",
                 "application/x-www-form-urlencoded", "application/json-rpc", "", "*/*", "application/json; charset=\x7f"]
ACCEPTS = ["application/json, text/event-stream", "application/json", "text/event-stream", "*/*", "", "text/html"]
PROTOCOL_VERSIONS = ["2025-11-25", "2026-07-28", "2025-06-18", "2024-11-05", "", "9999-99-99", "2026-07-28, 2025-11-25"]


@pytest.fixture
def legacy_session_id(http, bearer) -> str:
    """A live 2025-11-25 session of the person's token, so fuzzed requests reach past the session check."""
    initialize = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
                  "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}}
    response = http.post("/mcp", json=initialize, headers={**MCP_HEADERS, **bearer})
    assert response.status_code == 200, response.text[:300]
    return response.headers["mcp-session-id"]


@fuzz
@given(
    body=st.one_of(json_body(legacy_message), json_body(modern_message), huge_number_body),
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-32", "latin-1", "utf-8-sig"]),
    content_type=st.one_of(st.sampled_from(CONTENT_TYPES), header_value), accept=st.one_of(st.sampled_from(ACCEPTS), header_value),
    version=st.one_of(st.none(), st.sampled_from(PROTOCOL_VERSIONS), header_value), session=st.sampled_from(["none", "live", "fuzzed"]),
    fuzzed_session=header_value, mcp_method=st.one_of(st.none(), st.sampled_from(["tools/call", "tools/list", "initialize", "ping"]), header_value),
    mcp_name=st.one_of(st.none(), st.just("search"), header_value), verb=st.sampled_from(["POST", "POST", "POST", "GET", "DELETE", "PUT"]),
)
def test_mcp_headers_content_types_and_encodings(http, bearer, legacy_session_id, body, encoding, content_type, accept, version, session, fuzzed_session,
                                               mcp_method, mcp_name, verb):
    """Both eras' headers (Mcp-Session-Id live or made up, MCP-Protocol-Version, Mcp-Method, Mcp-Name),
    wrong content types and charsets, bodies re-encoded (or not decodable), and numbers too big to parse."""
    try:
        content = body.decode("utf-8").encode(encoding, "surrogatepass")
    except (UnicodeDecodeError, UnicodeEncodeError):
        content = body
    headers = {**bearer, "Content-Type": content_type, "Accept": accept}
    optional = {"MCP-Protocol-Version": version, "Mcp-Method": mcp_method, "Mcp-Name": mcp_name,
                "Mcp-Session-Id": {"none": None, "live": legacy_session_id, "fuzzed": fuzzed_session}[session]}
    headers.update({name: value for name, value in optional.items() if value is not None})
    assert_no_server_error(http.request(verb, "/mcp", content=content if verb != "GET" else None, headers=headers))
