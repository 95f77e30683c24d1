"""A second process for the single-flight test: refreshes one grant from several threads at an
agreed moment and prints what each thread got (a hash of the token, never the token)."""

import hashlib
import json
import os
import sys
import threading
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
sys.path.insert(0, os.getcwd())

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from mcpgateway.spotify.models import SpotifyGrant  # noqa: E402
from mcpgateway.spotify.services import grant_refresh  # noqa: E402


def refresh_from_threads(grant_id: int, generation: int, threads: int, start_at: float) -> list[dict]:
    results: list[dict] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            while time.time() < start_at:
                time.sleep(0.001)
            outcome = grant_refresh(grant=SpotifyGrant(pk=grant_id), expected_generation=generation)
            digest = hashlib.sha256(outcome.grant.access_token.reveal().encode()).hexdigest()
            with lock:
                results.append({"performed": outcome.performed, "token": digest})
        except Exception as exc:  # reported, so the test shows what went wrong
            with lock:
                results.append({"error": repr(exc)})
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


if __name__ == "__main__":
    grant_id, generation, threads, start_at = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    print(json.dumps(refresh_from_threads(grant_id, generation, threads, start_at)))
