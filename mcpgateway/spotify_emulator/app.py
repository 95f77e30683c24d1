"""Starlette application factory for the Spotify emulator.

One process serves three prefixes: /accounts (OAuth), /v1 (Web API), /_emulator (control).
State is in memory; with ``state_path`` it is loaded at start and snapshotted (JSON,
atomic rename) at most once a second while dirty, and at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Mount, Route

from . import accounts, control, webapi
from .state import EmulatorState

log = logging.getLogger("spotify_emulator")


async def _snapshot_loop(st: EmulatorState, path: str) -> None:
    while True:
        await asyncio.sleep(1.0)
        if st.dirty:
            st.dirty = False
            text = st.snapshot()  # serialised on the loop, so the copy is consistent
            try:
                await asyncio.to_thread(st.write_snapshot, path, text)
            except OSError as e:
                st.dirty = True
                log.warning("could not write state snapshot %s: %s", path, e)


def create_app(*, state_path: str | None = None, seed: bool = True,
               clients: list[dict] | None = None) -> Starlette:
    """Build the emulator.

    ``clients`` (same keys as ``EmulatorState.register_client``) are registered at start
    and survive ``/_emulator/reset``; ``__main__`` passes ``--client-id`` this way.
    """
    st = EmulatorState(seed=seed, startup_clients=clients)
    if state_path and st.load(state_path):
        log.info("loaded state from %s", state_path)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        task = asyncio.create_task(_snapshot_loop(st, state_path)) if state_path else None
        try:
            yield
        finally:
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                st.write_snapshot(state_path, st.snapshot())

    async def api_not_found(request: Request, exc):
        if request.url.path.startswith("/v1"):
            status = getattr(exc, "status_code", 404)
            msg = "Service not found" if status == 404 else "Method not allowed"
            return webapi.error_response(status, msg)
        if request.url.path.startswith("/accounts") and request.method == "GET":
            return HTMLResponse("<h1>Not found</h1>", status_code=getattr(exc, "status_code", 404))
        return JSONResponse({"error": "not found"}, status_code=getattr(exc, "status_code", 404))

    async def index(request: Request):
        return JSONResponse({"service": "spotify-emulator", "accounts": "/accounts", "api": "/v1",
                             "control": "/_emulator", "users": st.public_users()})

    app = Starlette(
        routes=[
            Route("/", index),
            Mount("/accounts", routes=accounts.routes()),
            Mount("/v1", routes=webapi.routes()),
            Mount("/_emulator", routes=control.routes()),
        ],
        exception_handlers={404: api_not_found, 405: api_not_found},
        lifespan=lifespan,
    )
    app.state.emulator = st
    return app
