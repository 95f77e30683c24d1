"""The accounts service (mounted at /accounts): consent page and token endpoint.

Mirrors accounts.spotify.com in 2026: PKCE S256 only, exact redirect-URI matching,
loopback IP literals but never ``localhost``, development-mode allowlists, rotating
single-use refresh tokens that a refresh response may nevertheless omit.
"""

from __future__ import annotations

import base64
import html
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .state import EDGE_FAILURE_PAGE, KNOWN_SCOPES, EmulatorState, OAuthError, redirect_uri_problem

CHALLENGE_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,sans-serif;background:#121212;color:#fff;display:flex;justify-content:center;padding:2rem}}
main{{background:#181818;border-radius:8px;padding:2rem;max-width:32rem;width:100%}}
h1{{font-size:1.4rem}} .muted{{color:#b3b3b3}} ul{{padding-left:1.2rem}}
label{{display:block;padding:.5rem;margin:.3rem 0;border:1px solid #333;border-radius:4px;cursor:pointer}}
button{{border:0;border-radius:500px;padding:.7rem 2rem;font-weight:bold;margin-right:.5rem;cursor:pointer}}
#agree{{background:#1ed760;color:#000}} #cancel{{background:#333;color:#fff}}
.error{{color:#f15e6c}}
</style></head><body><main>{body}</main></body></html>"""


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=html.escape(title), body=body), status_code=status)


def error_page(message: str, status: int = 400) -> HTMLResponse:
    return page("Error - Spotify Emulator",
                f'<h1 class="error">Something went wrong</h1><p id="error-message">{html.escape(message)}</p>', status)


def with_query(uri: str, params: dict) -> str:
    parts = urlsplit(uri)
    q = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(q)))


def _redirect(uri: str, params: dict) -> RedirectResponse:
    return RedirectResponse(with_query(uri, params), status_code=302)


async def authorize_get(request: Request) -> Response:
    st: EmulatorState = request.app.state.emulator
    st.stats.authorize["page_requests"] += 1
    if await st.faults.apply("authorize", st.stats):
        return error_page("Spotify is temporarily unavailable.", 503)
    q = request.query_params
    client = st.data["clients"].get(q.get("client_id", ""))
    if client is None:
        st.stats.authorize["errors"] += 1
        return error_page("INVALID_CLIENT: Invalid client")
    redirect_uri = q.get("redirect_uri", "")
    # Never redirect to an unverified URI: errors about the client or URI stay on our page.
    if not redirect_uri:
        return error_page("INVALID_CLIENT: Missing redirect URI")
    problem = redirect_uri_problem(redirect_uri)
    if problem:
        st.stats.authorize["errors"] += 1
        return error_page(f"INVALID_CLIENT: Insecure redirect URI ({problem})")
    if redirect_uri not in client["redirect_uris"]:
        st.stats.authorize["errors"] += 1
        return error_page("INVALID_CLIENT: Invalid redirect URI")
    state = q.get("state")

    def back(error: str) -> Response:
        st.stats.authorize["errors"] += 1
        return _redirect(redirect_uri, {"error": error, "state": state})

    if q.get("response_type") != "code":
        return back("invalid_request")
    challenge, method = q.get("code_challenge"), q.get("code_challenge_method")
    if not challenge or not CHALLENGE_RE.match(challenge) or method != "S256":
        return back("invalid_request")
    scopes = [s for s in re.split(r"[ +]", q.get("scope", "")) if s]
    if any(s not in KNOWN_SCOPES for s in scopes):
        return back("invalid_scope")
    nonce = st.create_pending({"client_id": client["client_id"], "redirect_uri": redirect_uri, "state": state,
                               "scope": " ".join(dict.fromkeys(scopes)), "code_challenge": challenge})
    st.dirty = True
    users = [u for u in st.data["users"].values() if not u.get("bulk")]
    options = "".join(
        f'<label for="user-{html.escape(u["id"])}"><input type="radio" name="user_id" id="user-{html.escape(u["id"])}" '
        f'value="{html.escape(u["id"])}"{" checked" if i == 0 else ""}> '
        f'{html.escape(u["display_name"])} ({"Premium" if u["product"] == "premium" else "Free"})</label>'
        for i, u in enumerate(users))
    scope_list = "".join(f"<li>{html.escape(s)}</li>" for s in scopes) or "<li>Basic profile information</li>"
    body = f"""<h1>Connect <span id="client-name">{html.escape(client['name'])}</span> to Spotify</h1>
<p class="muted">Spotify emulator: choose which test account agrees.</p>
<form method="post" action="{request.url.path}" id="authorize-form">
<input type="hidden" name="nonce" value="{nonce}">
<fieldset style="border:0;padding:0"><legend>Log in as</legend>{options}</fieldset>
<p>This app will be able to:</p><ul id="scopes">{scope_list}</ul>
<button type="submit" name="action" value="agree" id="agree">Agree</button>
<button type="submit" name="action" value="cancel" id="cancel">Cancel</button>
</form>"""
    return page("Authorize - Spotify Emulator", body)


async def authorize_post(request: Request) -> Response:
    st: EmulatorState = request.app.state.emulator
    form = dict(parse_qsl((await request.body()).decode(errors="replace"), keep_blank_values=True))
    pending = st.data["pending"].get(form.get("nonce", ""))
    if pending is None or pending["expires_at"] < st.now():
        st.stats.authorize["errors"] += 1
        return error_page("This authorization request has expired or is invalid. Start again from the app.")
    if form.get("action") == "cancel":
        del st.data["pending"][form["nonce"]]
        st.stats.authorize["denied"] += 1
        st.dirty = True
        return _redirect(pending["redirect_uri"], {"error": "access_denied", "state": pending["state"]})
    if form.get("action") != "agree":
        return error_page("Unknown action")
    user = st.data["users"].get(form.get("user_id", ""))
    if user is None:
        return error_page("Choose an account.")
    client = st.data["clients"].get(pending["client_id"])
    if client is None:
        return error_page("INVALID_CLIENT: Invalid client")
    if client["mode"] == "development" and user["id"] not in client["allowed_users"]:
        # kept pending, so the person can go back and pick an allowlisted account
        st.stats.authorize["errors"] += 1
        return error_page(
            f"{user['display_name']} is not registered for this app. Apps in development mode can only be used "
            f"by up to 5 users added in the Developer Dashboard (User Management).", 403)
    del st.data["pending"][form["nonce"]]
    code = st.issue_code(client["client_id"], pending["redirect_uri"], pending["code_challenge"], user["id"],
                         pending["scope"])
    st.stats.authorize["approved"] += 1
    return _redirect(pending["redirect_uri"], {"code": code, "state": pending["state"]})


def oauth_error(e: OAuthError) -> JSONResponse:
    return JSONResponse({"error": e.error, "error_description": e.description}, status_code=e.status)


async def token(request: Request) -> Response:
    st: EmulatorState = request.app.state.emulator
    raw = (await request.body()).decode(errors="replace")
    form = dict(parse_qsl(raw, keep_blank_values=True))
    grant_type = form.get("grant_type")
    client_id, secret, basic = form.get("client_id"), form.get("client_secret"), False
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            cid, _, sec = base64.b64decode(auth[6:]).decode().partition(":")
            client_id, secret, basic = cid, sec, True
        except (ValueError, UnicodeDecodeError):
            st.stats.record_token(grant_type, None, "invalid_client")
            return oauth_error(OAuthError("invalid_client", "Invalid client", 401))

    fault = await st.faults.apply("token", st.stats)
    if fault == "rate_limited":
        st.stats.record_token(grant_type, client_id, "rate_limited")
        return JSONResponse({"error": "rate_limited", "error_description": "Too many requests"}, status_code=429,
                            headers={"Retry-After": str(st.faults.values["retry_after"])})
    if fault == "fail":
        status = int(st.faults.values["fail_status"])
        st.stats.record_token(grant_type, client_id, f"server_error_{status}")
        if st.faults.values["fail_body"] == "html":
            return HTMLResponse(EDGE_FAILURE_PAGE, status_code=status)
        return JSONResponse({"error": "server_error", "error_description": "Service unavailable"}, status_code=status)

    grant_id = user_id = None
    try:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            raise OAuthError("invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        st.check_client(client_id, secret, basic)
        if grant_type == "authorization_code":
            out, grant_id = st.exchange_code(client_id, form.get("code"), form.get("redirect_uri"),
                                             form.get("code_verifier"))
        elif grant_type == "refresh_token":
            if not form.get("refresh_token"):
                raise OAuthError("invalid_request", "refresh_token must be supplied")
            out, grant_id = st.refresh(client_id, form.get("refresh_token"))
        elif not grant_type:
            raise OAuthError("unsupported_grant_type", "grant_type parameter is missing")
        else:
            raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
        user_id = st.data["grants"][grant_id]["user_id"]
        outcome = "success"
        resp: Response = JSONResponse(out, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
    except OAuthError as e:
        # attribute failures to a family when we can, so tests see every attempt
        rt = form.get("refresh_token") or ""
        grant_id = st.data["refresh_tokens"].get(rt) or st.data["revoked_refresh_tokens"].get(rt)
        if grant_id and grant_id in st.data["grants"]:
            user_id = st.data["grants"][grant_id]["user_id"]
        outcome = e.error
        resp = oauth_error(e)
    st.dirty = True
    st.stats.record_token(grant_type, client_id, outcome, grant_id, user_id)
    return resp


def routes() -> list[Route]:
    return [
        Route("/authorize", authorize_get, methods=["GET"]),
        Route("/authorize", authorize_post, methods=["POST"]),
        Route("/api/token", token, methods=["POST"]),
    ]
