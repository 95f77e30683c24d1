"""A PostgreSQL cluster and a Redis server of a test's own, on free loopback ports, that the test may
stop and start at will: the machine's shared PostgreSQL (5432) and Redis (6379) are never touched.

PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` system user
(`runuser`). A test that cannot have one is skipped, saying why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.support.processes import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class PrivatePostgres:
    def __init__(self):
        if not (PG_BIN / "initdb").exists():
            pytest.skip(f"no PostgreSQL server binaries in {PG_BIN}")
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="private-pg-"))
        self.data = self.directory / "data"
        self.user = None
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                pytest.skip("running as root without runuser: initdb refuses root")
            self.user = "postgres"
            shutil.chown(self.directory, user=self.user)
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/gateway"

    def _run(self, *command, check=True) -> subprocess.CompletedProcess:
        command = [str(part) for part in command]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.directory / "log", "-o", options, "-w", "start")

    def stop(self) -> None:
        # fast: ends the sessions at once, as a restart by an operator or a failover does
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False)

    def create_database(self, name: str = "gateway") -> None:
        self._run(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", name)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class PrivateRedis:
    def __init__(self):
        if shutil.which("redis-server") is None:
            pytest.skip("no redis-server on this machine")
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="private-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        # The snapshot written at shutdown is loaded at start: values survive a restart, as they
        # do with Redis's default persistence.
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--save", "3600 1", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping():
                    return
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the private redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: redis saves its snapshot and exits
            self.process.wait(10)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def manage(database_url: str, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> str:
    """`manage.py <args>` against another database; its output."""
    from django.conf import settings

    from tests.support.processes import gateway_env

    run = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env={**gateway_env(DATABASE_URL=database_url), **(env or {})},
        capture_output=True, text=True, timeout=120, input=input,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout
