"""Run the whole gateway on one machine: web server, Celery worker and beat, and (without Spotify
credentials) the Spotify emulator. Each runs as its own process; their output is prefixed with
their name, and when one stops, all stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mcpgateway.management.process_roles import gateway_processes, role_environment

# The role each process of the one-machine run plays (its metrics folder: role_environment).
ROLE_OF_PROCESS = {"web": "web", "celery-worker": "worker", "celery-beat": "beat"}


class Command(BaseCommand):
    help = "Run the web server, Celery worker, Celery beat and (if no Spotify credentials) the Spotify emulator."

    def add_arguments(self, parser):
        # Defaults from settings (HOST, PORT, WEB_WORKERS, CELERY_CONCURRENCY in the environment).
        parser.add_argument("--host", default=settings.GATEWAY_HOST)
        parser.add_argument("--port", type=int, default=settings.GATEWAY_PORT)
        parser.add_argument("--web-workers", type=int, default=settings.WEB_WORKERS)
        parser.add_argument("--celery-concurrency", type=int, default=settings.CELERY_CONCURRENCY)
        parser.add_argument("--no-emulator", action="store_true", help="Do not start the Spotify emulator here.")

    def handle(self, *args, host, port, web_workers, celery_concurrency, no_emulator, **options):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        processes = gateway_processes(
            host=host, port=port, web_workers=web_workers, celery_concurrency=celery_concurrency, no_emulator=no_emulator
        )
        emulator = urlsplit(settings.SPOTIFY_EMULATOR_URL)
        mode = "the built-in Spotify emulator" if settings.SPOTIFY_USE_EMULATOR else "Spotify"
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(f"Starting the gateway on http://{host}:{port} ({database}, broker {settings.CELERY_BROKER_URL.split('://')[0]}, {mode})")
        running: list[tuple[str, subprocess.Popen]] = []
        stopping = threading.Event()

        def stop(*_):
            stopping.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            for name, command in processes:
                env = {**os.environ, **role_environment(ROLE_OF_PROCESS[name])} if name in ROLE_OF_PROCESS else None
                proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                        start_new_session=True, env=env)
                threading.Thread(target=self._relay, args=(name, proc), daemon=True).start()
                running.append((name, proc))
                if name == "spotify-emulator":
                    self._wait_for_port(emulator.hostname or "127.0.0.1", emulator.port or 8001, proc)
            self.stdout.write(f"Dashboard: {settings.PUBLIC_BASE_URL}/   Admin: {settings.PUBLIC_BASE_URL}/admin/   Ctrl-C stops everything.")
            while not stopping.is_set():
                for name, proc in running:
                    if proc.poll() is not None:
                        raise CommandError(f"{name} exited with status {proc.returncode}; stopping the others")
                stopping.wait(0.5)
        finally:
            self.stdout.write("Stopping...")
            for _, proc in running:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            for _, proc in running:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)

    def _relay(self, name: str, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            sys.stdout.write(f"{name:>16} | {line}")
            sys.stdout.flush()

    def _wait_for_port(self, host: str, port: int, proc: subprocess.Popen) -> None:
        import socket

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise CommandError("the Spotify emulator did not start")
            try:
                socket.create_connection((host, port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.2)
        raise CommandError("the Spotify emulator did not start listening within 30 s")
