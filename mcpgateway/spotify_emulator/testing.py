"""Helpers for tests and benchmarks: run the emulator in a subprocess and steer it.

``EmulatorProcess`` starts ``python -m mcpgateway.spotify_emulator`` on a free port;
``EmulatorControl`` wraps the control API of any running emulator. Both are synchronous
(httpx) so they work from plain pytest, Django tests and scripts alike.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from typing import Iterable

import httpx

from .state import DEFAULT_SCOPES

__all__ = ["EmulatorControl", "EmulatorProcess", "DEFAULT_SCOPES", "free_port"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmulatorControl:
    """Synchronous client for ``/_emulator``; also gives the accounts/API URLs."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url + "/_emulator", timeout=timeout)

    @property
    def accounts_url(self) -> str:
        return self.base_url + "/accounts"

    @property
    def api_url(self) -> str:
        return self.base_url + "/v1"

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, json: dict | None = None) -> dict:
        r = self._http.request(method, path, json=json)
        if r.status_code >= 400:
            raise RuntimeError(f"emulator control {method} {path} -> {r.status_code}: {r.text}")
        return r.json()

    def health(self) -> dict:
        return self._call("GET", "/health")

    def reset(self) -> dict:
        return self._call("POST", "/reset")

    def set_faults(self, **kw) -> dict:
        return self._call("POST", "/faults", kw)

    def clear_faults(self) -> dict:
        return self._call("DELETE", "/faults")

    def faults(self) -> dict:
        return self._call("GET", "/faults")

    def stats(self) -> dict:
        return self._call("GET", "/stats")

    def reset_stats(self) -> dict:
        return self._call("DELETE", "/stats")

    def register_client(self, client_id: str, redirect_uris: Iterable[str] | str, client_secret: str | None = None,
                        mode: str = "development", allowed_users: list[str] | None = None,
                        name: str | None = None) -> dict:
        uris = [redirect_uris] if isinstance(redirect_uris, str) else list(redirect_uris)
        return self._call("POST", "/clients", {"client_id": client_id, "redirect_uris": uris,
                                               "client_secret": client_secret, "mode": mode,
                                               "allowed_users": allowed_users, "name": name})

    def mint_grants(self, client_id: str, count: int | None = None, user_ids: list[str] | None = None,
                    scopes: Iterable[str] | str = DEFAULT_SCOPES, with_device: bool = False) -> list[dict]:
        """Issue tokens without the consent dance; unknown user ids become Premium bench users
        (``with_device``: each with one inactive device of their own to play on).

        With only ``count``, users ``bench-00001`` .. are used (created on first use).
        Each dict: user_id, display_name, grant_id, access_token, refresh_token, expires_in,
        scope, token_type.
        """
        body = {"client_id": client_id, "count": count, "user_ids": user_ids,
                "scopes": scopes if isinstance(scopes, str) else list(scopes), "with_device": with_device}
        return self._call("POST", "/grants", body)["grants"]

    def revoke_grant(self, grant_id: str) -> dict:
        """As if the person removed the app at Spotify: the grant's tokens die (invalid_grant)."""
        return self._call("DELETE", f"/grants/{grant_id}")

    def advance_clock(self, seconds: float) -> dict:
        return self._call("POST", "/clock", {"advance_seconds": seconds})

    def users(self) -> list[dict]:
        return self._call("GET", "/users")["users"]

    def user_state(self, user_id: str) -> dict:
        return self._call("GET", f"/users/{user_id}/state")


class EmulatorProcess(EmulatorControl):
    """``with EmulatorProcess() as emu: ...``: a real emulator on 127.0.0.1:<free port>.

    ``clients`` is a list of (client_id, [redirect_uris]) or (client_id, [uris], secret)
    registered from the command line (they survive ``reset()``).
    """

    def __init__(self, *, port: int | None = None, state_path: str | None = None, seed: bool = True,
                 client_id: str | None = None, redirect_uris: Iterable[str] = (), client_secret: str | None = None,
                 startup_timeout: float = 20.0, log_level: str = "warning", extra_args: Iterable[str] = ()) -> None:
        self.port = port or free_port()
        super().__init__(f"http://127.0.0.1:{self.port}")
        self._args = [sys.executable, "-m", "mcpgateway.spotify_emulator", "--host", "127.0.0.1",
                      "--port", str(self.port), "--log-level", log_level]
        if state_path:
            self._args += ["--state", str(state_path)]
        if not seed:
            self._args.append("--no-seed")
        if client_id:
            self._args += ["--client-id", client_id]
            for u in redirect_uris:
                self._args += ["--redirect-uri", u]
            if client_secret:
                self._args += ["--client-secret", client_secret]
        self._args += list(extra_args)
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> "EmulatorProcess":
        # run from the project root so ``mcpgateway`` is importable whatever the cwd
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
        # a file, not a pipe: nobody drains a pipe, and a full one would freeze the emulator
        self._log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(self._args, cwd=root, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client(timeout=0.5) as probe:  # one client: building one per try is slow
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"emulator exited with {self.proc.returncode}:\n{self.output()}")
                try:
                    if probe.get(self.base_url + "/_emulator/health").status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"emulator did not answer on {self.base_url} within {self.startup_timeout}s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: uvicorn shuts down cleanly and writes the snapshot
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.close()

    def output(self) -> str:
        """What the emulator process has logged so far."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def __enter__(self) -> "EmulatorProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
