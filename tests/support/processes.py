"""Running gateway code in other processes against the test database."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from django.conf import settings
from django.db import connection

# The test suite's settings (pytest's too): the product's plus test-only endpoints.
TEST_SETTINGS_MODULE = "config.settings_test"


def test_database_url(name: str | None = None) -> str:
    """A DATABASE_URL for the database this test run uses (the test database, not the real one), or
    for the PostgreSQL database `name` on the same server, as the same user."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{os.path.abspath(db['NAME'])}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}{port}/{name or db['NAME']}"


def gateway_env(**extra: str) -> dict[str, str]:
    """Environment for a gateway process that shares this test's database and Spotify settings."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=TEST_SETTINGS_MODULE,
        DATABASE_URL=test_database_url(),
        SPOTIFY_CLIENT_ID=settings.SPOTIFY_CLIENT_ID,
        SPOTIFY_ACCOUNTS_URL=settings.SPOTIFY_ACCOUNTS_URL,
        SPOTIFY_API_URL=settings.SPOTIFY_API_URL,
        SPOTIFY_REDIRECT_URI=settings.SPOTIFY_REDIRECT_URI,
        TOKEN_ENCRYPTION_KEYS=",".join(settings.TOKEN_ENCRYPTION_KEYS),
        SECRET_KEY=settings.SECRET_KEY,
    )
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GatewayProcesses:
    """Gateway worker processes (uvicorn) on free ports, sharing this test run's database."""

    def __init__(self):
        self.processes: list[subprocess.Popen] = []
        self.readers: dict[subprocess.Popen, tuple[threading.Thread, list[str]]] = {}

    def start(self, port: int | None = None, *, command: list[str] | None = None, **extra: str) -> str:
        """A worker on `port`; `command` replaces the default uvicorn command line (it must listen on `port`)."""
        port = port or free_port()
        base = f"http://127.0.0.1:{port}"
        env = gateway_env(
            PUBLIC_BASE_URL=extra.pop("PUBLIC_BASE_URL", base),
            # The revocation epoch file lives here: this test process and the workers share it.
            VAR_DIR=str(settings.VAR_DIR),
            **extra,
        )
        server = subprocess.Popen(
            command or [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
                        "--lifespan", "on", "--no-access-log"],
            cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.processes.append(server)
        # Read the worker's output as it comes: a worker that logs more than a pipe holds (64 KiB:
        # a fuzzing run's thousands of 4xx warnings) would otherwise block in its next log call.
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(server.stdout), daemon=True)
        reader.start()
        self.readers[server] = (reader, lines)
        # Generous: several workers importing Django at once take over 30 s on a busy 2-core machine
        # (a worker that dies is noticed at once, by poll() below).
        deadline = time.monotonic() + 120
        while True:
            try:
                # Up and at its database; a lone web worker has no Celery heartbeats, so 503 is fine here.
                health = httpx.get(f"{base}/healthz")
                if health.status_code in (200, 503) and health.json()["checks"]["database"]["ok"]:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                output = self._output(server) if server.poll() is not None else ""
                raise AssertionError(f"the gateway did not start:\n{output}")
            time.sleep(0.1)
        return base

    def _output(self, server: subprocess.Popen) -> str:
        reader, lines = self.readers[server]
        reader.join(timeout=10)
        return "".join(lines)

    def stop(self) -> list[str]:
        """Stop every worker; their combined output (stdout and stderr), one string each."""
        for server in self.processes:
            server.terminate()
        for server in self.processes:
            server.wait(timeout=10)
        outputs = [self._output(server) for server in self.processes]
        self.processes.clear()
        self.readers.clear()
        for output in outputs:
            # A traceback in a worker is a bug even when the client got a proper answer.
            assert "Traceback" not in output, output
        return outputs


def install_npm_tools(directory, *packages: str) -> str:
    """Install pinned npm packages and a Node 22 into `directory`/node_modules (see
    tests/support/install_npm_tools.sh); the path of that node binary. Fails the test if it cannot."""
    import pytest

    script = Path(__file__).with_name("install_npm_tools.sh")
    try:
        run = subprocess.run(["bash", str(script), str(directory), *packages], check=True, capture_output=True, text=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"could not install {', '.join(packages)}: {getattr(exc, 'stderr', exc)}")
    return run.stdout.strip().splitlines()[-1]
