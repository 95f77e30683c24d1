"""Control API (/_emulator/...): lets tests and benchmarks steer the emulator.

Never subject to fault injection, so a test can always clear what it set.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .state import ClientError, EmulatorState


def _st(request: Request) -> EmulatorState:
    return request.app.state.emulator


async def _body(request: Request) -> dict:
    raw = await request.body()
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ClientError("body must be a JSON object")
    return data


def _bad(e: Exception) -> JSONResponse:
    return JSONResponse({"error": str(e)}, status_code=400)


async def health(request: Request) -> Response:
    st = _st(request)
    return JSONResponse({"status": "ok", "now": st.now(), "users": len(st.data["users"]),
                         "clients": len(st.data["clients"])})


async def faults(request: Request) -> Response:
    st = _st(request)
    if request.method == "DELETE":
        st.faults.clear()
    elif request.method == "POST":
        try:
            st.faults.update(await _body(request))
        except (ClientError, ValueError) as e:
            return _bad(e)
    return JSONResponse(st.faults.values)


async def reset(request: Request) -> Response:
    st = _st(request)
    st.reset()
    return JSONResponse({"status": "reset", "users": len(st.data["users"])})


async def stats(request: Request) -> Response:
    st = _st(request)
    if request.method == "DELETE":
        st.stats.reset()
    return JSONResponse(st.stats.as_dict())


async def clients(request: Request) -> Response:
    st = _st(request)
    if request.method == "GET":
        return JSONResponse({"clients": list(st.data["clients"].values())})
    try:
        body = await _body(request)
        c = st.register_client(
            client_id=body.get("client_id"), redirect_uris=body.get("redirect_uris") or [],
            client_secret=body.get("client_secret"), mode=body.get("mode", "development"),
            allowed_users=body.get("allowed_users"), name=body.get("name"))
    except (ClientError, ValueError) as e:
        return _bad(e)
    return JSONResponse(c, status_code=201)


async def grants(request: Request) -> Response:
    st = _st(request)
    try:
        body = await _body(request)
        count = body.get("count")
        out = st.mint_grants(body.get("client_id"), int(count) if count is not None else None,
                             body.get("user_ids"), body.get("scopes"), with_device=bool(body.get("with_device")))
    except (ClientError, ValueError, TypeError) as e:
        return _bad(e)
    return JSONResponse({"grants": out}, status_code=201)


async def grant_revoke(request: Request) -> Response:
    if not _st(request).revoke_grant(request.path_params["grant_id"]):
        return JSONResponse({"error": "unknown grant"}, status_code=404)
    return JSONResponse({"revoked": request.path_params["grant_id"]})


async def clock(request: Request) -> Response:
    st = _st(request)
    if request.method == "POST":
        try:
            st.advance_clock(float((await _body(request)).get("advance_seconds", 0)))
        except (ValueError, TypeError) as e:
            return _bad(e)
    return JSONResponse({"now": st.now(), "offset_seconds": st.data["clock_offset"]})


async def users(request: Request) -> Response:
    return JSONResponse({"users": _st(request).public_users()})


async def user_state(request: Request) -> Response:
    s = _st(request).user_state(request.path_params["user_id"])
    if s is None:
        return JSONResponse({"error": "unknown user"}, status_code=404)
    return JSONResponse(s)


def routes() -> list[Route]:
    return [
        Route("/health", health, methods=["GET"]),
        Route("/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/reset", reset, methods=["POST"]),
        Route("/stats", stats, methods=["GET", "DELETE"]),
        Route("/clients", clients, methods=["GET", "POST"]),
        Route("/grants", grants, methods=["POST"]),
        Route("/grants/{grant_id}", grant_revoke, methods=["DELETE"]),
        Route("/clock", clock, methods=["GET", "POST"]),
        Route("/users", users, methods=["GET"]),
        Route("/users/{user_id}/state", user_state, methods=["GET"]),
    ]
