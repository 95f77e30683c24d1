"""``python -m mcpgateway.spotify_emulator``: run the emulator with uvicorn."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from .app import create_app
from .state import ClientError


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m mcpgateway.spotify_emulator", description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8001)
    ap.add_argument("--state", default=None, help="JSON file to load at start and snapshot to")
    ap.add_argument("--no-seed", action="store_true", help="start without the seeded users")
    ap.add_argument("--client-id", default=None, help="register this app at start-up")
    ap.add_argument("--client-secret", default=None)
    ap.add_argument("--redirect-uri", action="append", default=[], help="repeatable")
    ap.add_argument("--mode", default="development", choices=["development", "extended"])
    ap.add_argument("--log-level", default="info")
    args = ap.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    log = logging.getLogger("spotify_emulator")

    clients = []
    if args.client_id:
        if not args.redirect_uri:
            ap.error("--client-id needs at least one --redirect-uri")
        clients.append({"client_id": args.client_id, "client_secret": args.client_secret,
                        "redirect_uris": args.redirect_uri, "mode": args.mode})
    try:
        app = create_app(state_path=args.state, seed=not args.no_seed, clients=clients)
    except ClientError as e:
        ap.error(str(e))
    st = app.state.emulator
    base = f"http://{args.host}:{args.port}"
    log.info("Spotify emulator at %s  (accounts %s/accounts, Web API %s/v1, control %s/_emulator)",
             base, base, base, base)
    log.info("state file: %s", args.state or "(none: in memory only)")
    for c in st.data["clients"].values():
        log.info("client %s (%s) redirect URIs %s allowed users %s", c["client_id"], c["mode"],
                 ", ".join(c["redirect_uris"]), c["allowed_users"] if c["allowed_users"] is not None else "any")
    for u in st.public_users():
        log.info("user %-6s %-14s %-7s devices: %s (active: %s)", u["id"], u["display_name"], u["product"],
                 ", ".join(u["devices"]) or "none", u["active_device"] or "none")
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False,
                # clients keep pooled connections; closing them after uvicorn's 5 s default
                # races with reuse and shows up as "connection reset" under load
                timeout_keep_alive=75)


if __name__ == "__main__":
    main()
