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

import json
import os
import shutil
import socket
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
               "--workers", str(workers), "--lifespan", "on", "--no-server-header", "--log-config", uvicorn_log_config()]
    if settings.TRUSTED_PROXIES:
        return command + ["--proxy-headers", "--forwarded-allow-ips", ",".join(settings.TRUSTED_PROXIES)]
    return command + ["--no-proxy-headers"]


def uvicorn_log_config() -> str:
    """A logging config file for uvicorn (--log-config): settings.LOGGING (LOG_FORMAT, request ids)
    with uvicorn's own loggers added, so its supervisor's lines and every worker's access lines come
    in the gateway's one format. Written under VAR_DIR at each start: it follows the settings."""
    console = {**settings.LOGGING["handlers"]["console"], "formatter": settings.LOG_FORMAT}
    config = {**settings.LOGGING, "handlers": {**settings.LOGGING["handlers"], "console": console}, "loggers": {
        **settings.LOGGING["loggers"],
        "uvicorn": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    }}
    path = settings.VAR_DIR / "uvicorn-logging.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=1))
    return str(path)


def role_environment(role: str) -> dict[str, str]:
    """What a process role needs in its environment: its metrics folder (prometheus-client's
    multiprocess mode, mcpgateway.core.metrics), `<role>-<host>-<pid>` under METRICS_DIR with the pid
    of the process that stays for the role's life (`serve` execs into it; `run_gateway` is the parent
    of its roles): process ids name the files inside, so two containers sharing VAR_DIR, or two web
    roles of one machine, never share a folder. At the start, the folder is emptied and the folders
    this host left behind (their process gone) are removed; Prometheus reads the counters that
    restart as a reset, as it does for any restarted process."""
    host = socket.gethostname()
    settings.METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for old in settings.METRICS_DIR.glob(f"*-{host}-*"):
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    folder = settings.METRICS_DIR / f"{role}-{host}-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return {"PROMETHEUS_MULTIPROC_DIR": str(folder)}


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _celery() -> list[str]:
    """Celery's command; with JSON logs, without the start-up banner it prints (not a log line)."""
    quiet = ["--quiet"] if settings.LOG_FORMAT == "json" else []
    return [sys.executable, "-m", "celery", "-A", "config", *quiet]


def worker_command(*, concurrency: int) -> list[str]:
    return [*_celery(), "worker", "--loglevel", "INFO",
            "--pool", "threads", "--concurrency", str(concurrency), "--without-gossip", "--without-mingle"]


def beat_command() -> list[str]:
    return [*_celery(), "beat", "--loglevel", "INFO",
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
