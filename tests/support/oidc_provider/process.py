"""Starting the test OIDC provider in its own process, on a free loopback port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import httpx
from django.conf import settings

from tests.support.processes import free_port


class OidcProvider:
    """`with OidcProvider(people, client) as provider:` its issuer is `provider.issuer`.
    people: [{"username", "password", "email", "email_verified"}]; client: {"client_id",
    "client_secret", "redirect_uris"}."""

    def __init__(self, people: list[dict], client: dict):
        self.seed = {"people": people, "client": client}
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.state = tempfile.TemporaryDirectory(prefix="oidc-provider-")

    def __enter__(self) -> OidcProvider:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
        env.update(OIDC_PROVIDER_DIR=self.state.name, OIDC_PROVIDER_ISSUER=self.issuer, OIDC_PROVIDER_SEED=json.dumps(self.seed))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.oidc_provider", str(self.port)],
            cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.issuer}/.well-known/openid-configuration").status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise AssertionError("the OIDC provider did not start")
            time.sleep(0.1)

    def __exit__(self, *exc_info) -> None:
        if self.process is not None:
            self.process.terminate()
            output = self.process.communicate(timeout=10)[0]
            self.process = None
            self.state.cleanup()
            assert "Traceback" not in output, output
