"""What the /mcp benchmarks share: the gateway's environment for a bench run, free ports, starting a
server and waiting for it, and a person with a Spotify grant minted by the emulator."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_CLIENT_ID = "gateway-bench"


def use_bench_environment(workdir: Path, **extra: str) -> None:
    """Settings for this process and the servers it starts: throwaway secrets, a database of the run's
    own (BENCH_DATABASE_URL to use PostgreSQL), quiet logs."""
    from cryptography.fernet import Fernet

    os.environ.update(
        DEBUG="0", SECRET_KEY="bench-only", TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode(), VAR_DIR=str(workdir),
        DATABASE_URL=os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite3'}",
        LOG_LEVEL="WARNING", SPOTIFY_CLIENT_ID=BENCH_CLIENT_ID, DJANGO_SETTINGS_MODULE="config.settings", **extra,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gateway_command(port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
            "--port", str(port), "--lifespan", "on", "--no-access-log", "--log-level", "warning"]


def start(command: list[str], port: int, extra_env: dict | None = None) -> subprocess.Popen:
    """Start a server and wait until it answers on `port`."""
    import httpx

    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(extra_env or {})})
    # Generous: a busy shared machine can take a minute to import Django and the SDK.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
            return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"server on port {port} did not start")


def person_with_grant(emulator, username: str, spotify_user_id: str = "alice", *, with_device: bool = False):
    """A person whose Spotify grant the emulator minted (Django must be set up and migrated);
    `with_device`: a new Spotify user gets a device of its own (the emulator's mint_grants)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from mcpgateway.core.crypto import SecretToken
    from mcpgateway.spotify.models import SpotifyGrant

    emulator.register_client(BENCH_CLIENT_ID, ["http://127.0.0.1:8000/spotify/callback"], mode="extended")
    minted = emulator.mint_grants(BENCH_CLIENT_ID, user_ids=[spotify_user_id], with_device=with_device)[0]
    user = get_user_model().objects.create_user(username=username)
    SpotifyGrant.objects.create(
        user=user, spotify_user_id=spotify_user_id, scopes=minted["scope"],
        access_token=SecretToken.from_plaintext(minted["access_token"]),
        refresh_token=SecretToken.from_plaintext(minted["refresh_token"]),
        access_token_expires_at=timezone.now() + timedelta(seconds=minted["expires_in"]),
    )
    return user
