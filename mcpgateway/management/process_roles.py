"""The gateway's process roles and their command lines, in one place: `manage.py run_gateway`
starts them all on one machine, `manage.py serve <role>` runs one per process (containers, systemd
units: see docs/deployment.md), and the tests start them the same way.

- web: uvicorn serving config.asgi (the dashboard, OAuth, /api and /mcp), WEB_WORKERS processes;
- worker: a Celery worker (token refreshes and housekeeping the beat sends);
- beat: Celery beat, the schedule (config/settings.py CELERY_BEAT_SCHEDULE). Exactly one per
  deployment: two would send every task twice;
- emulator: the Spotify emulator, only without Spotify credentials (the one-machine run, tests).
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from django.conf import settings

ROLES = ("web", "worker", "beat")


def web_command(*, host: str, port: int, workers: int) -> list[str]:
    """The web server's command line. Forwarded headers (X-Forwarded-For, -Proto) are believed only
    from TRUSTED_PROXIES: uvicorn's default believes them from any loopback peer, which would let a
    client on this machine, or anything relaying for one, choose the address that the DCR rate limit
    and the sign-in lockout count (mcpgateway.core.client_address). The ASGI lifespan is on: workers
    write their buffered audit rows when they stop (mcpgateway.core.lifespan)."""
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", host, "--port", str(port),
               "--workers", str(workers), "--lifespan", "on", "--no-server-header"]
    if settings.TRUSTED_PROXIES:
        return command + ["--proxy-headers", "--forwarded-allow-ips", ",".join(settings.TRUSTED_PROXIES)]
    return command + ["--no-proxy-headers"]


def worker_command(*, concurrency: int) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
            "--pool", "threads", "--concurrency", str(concurrency), "--without-gossip", "--without-mingle"]


def beat_command() -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
            "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME]


def emulator_command() -> list[str]:
    emulator = urlsplit(settings.SPOTIFY_EMULATOR_URL)
    return [
        sys.executable, "-m", "mcpgateway.spotify_emulator",
        "--host", emulator.hostname or "127.0.0.1", "--port", str(emulator.port or 8001),
        "--state", str(settings.VAR_DIR / "spotify-emulator.json"),
        "--client-id", settings.SPOTIFY_CLIENT_ID,
        "--redirect-uri", settings.SPOTIFY_REDIRECT_URI,
    ]


def gateway_processes(*, host: str, port: int, web_workers: int, celery_concurrency: int, no_emulator: bool) -> list[tuple[str, list[str]]]:
    """Every process of the one-machine run, by name: the emulator only without Spotify credentials."""
    processes: list[tuple[str, list[str]]] = []
    if settings.SPOTIFY_USE_EMULATOR and not no_emulator:
        processes.append(("spotify-emulator", emulator_command()))
    return processes + [
        ("celery-worker", worker_command(concurrency=celery_concurrency)),
        ("celery-beat", beat_command()),
        ("web", web_command(host=host, port=port, workers=web_workers)),
    ]
