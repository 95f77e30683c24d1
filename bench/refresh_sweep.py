"""Benchmark: the beat's refresh sweep of 5,000 expiring grants against the Spotify emulator with
50 ms of token-endpoint latency.

Baseline, measured in the same run against the same emulator: the same number of refresh requests
sent straight to the token endpoint by a bare httpx thread pool of the same concurrency (no
database, no encryption, no leases). The ratio says what the gateway's bookkeeping costs.

    ./dev bench refresh_sweep [--grants 5000] [--latency-ms 50] [--concurrency 50] [--database-url URL]

Target (issue #2): the sweep under 60 s, one token request per grant.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grants", type=int, default=5000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="default: a fresh SQLite file in a temporary folder")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    from cryptography.fernet import Fernet

    os.environ.update(
        DEBUG="0",
        SECRET_KEY="bench-only",
        TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        VAR_DIR=str(workdir),
        DATABASE_URL=args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        LOG_LEVEL="WARNING",
        SPOTIFY_CLIENT_ID="gateway-bench",
        SPOTIFY_REFRESH_CONCURRENCY=str(args.concurrency),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    from mcpgateway.spotify_emulator.testing import EmulatorProcess

    with EmulatorProcess() as emulator:
        os.environ.update(SPOTIFY_ACCOUNTS_URL=emulator.accounts_url, SPOTIFY_API_URL=emulator.api_url)
        import django

        django.setup()
        from django.core.management import call_command

        print(f"Setting up: database {os.environ['DATABASE_URL'].split(':')[0]}, emulator at {emulator.base_url}", flush=True)
        call_command("migrate", verbosity=0)
        emulator.register_client("gateway-bench", ["http://127.0.0.1:8000/spotify/callback"], mode="extended")
        emulator.set_faults(omit_refresh_token="never")

        baseline_tokens = mint(emulator, args.grants, "baseline")
        sweep_tokens = mint(emulator, args.grants, "sweep")
        create_grants(sweep_tokens)

        emulator.set_faults(token_latency_ms=args.latency_ms, omit_refresh_token="never")
        before = refresh_count(emulator)
        baseline_seconds = bare_refreshes(emulator, baseline_tokens, args.concurrency)
        baseline_requests = refresh_count(emulator) - before

        from mcpgateway.spotify.services import grants_refresh_expiring

        print(f"Sweep: refreshing {args.grants} grants through the gateway's service, {args.concurrency} at a time", flush=True)
        before = refresh_count(emulator)
        started = time.perf_counter()
        report = grants_refresh_expiring(concurrency=args.concurrency)
        sweep_seconds = time.perf_counter() - started
        sweep_requests = refresh_count(emulator) - before

    n = args.grants
    print()
    print(f"Refresh sweep benchmark: {n} grants, {args.latency_ms} ms token latency, concurrency {args.concurrency}, "
          f"{os.environ['DATABASE_URL'].split(':')[0]}")
    print(f"{'':34}{'wall s':>9}{'grants/s':>10}{'requests':>10}{'req/grant':>11}")
    print(f"{'baseline (bare httpx pool)':34}{baseline_seconds:9.2f}{n / baseline_seconds:10.0f}{baseline_requests:10d}{baseline_requests / n:11.2f}")
    print(f"{'gateway sweep (grants_refresh_expiring)':34}{sweep_seconds:9.2f}{n / sweep_seconds:10.0f}{sweep_requests:10d}{sweep_requests / n:11.2f}")
    print(f"ratio sweep/baseline wall time: {sweep_seconds / baseline_seconds:.2f}x")
    print(f"sweep report: {report.summary()}")
    ok = sweep_seconds < 60 and sweep_requests == n and report.refreshed == n
    print(f"target (under 60 s, one request per grant): {'met' if ok else 'NOT met'}")
    sys.exit(0 if ok else 1)


def mint(emulator, count: int, label: str) -> list[dict]:
    tokens: list[dict] = []
    for start in range(0, count, 1000):
        tokens += emulator.mint_grants("gateway-bench", count=min(1000, count - start))
        print(f"  minted {len(tokens)}/{count} {label} grants at the emulator", flush=True)
    return tokens


def create_grants(tokens: list[dict]) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from mcpgateway.core.crypto import SecretToken
    from mcpgateway.spotify.models import SpotifyGrant

    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"bench-{i}") for i in range(len(tokens))], batch_size=500)
    soon = timezone.now() + timedelta(seconds=90)
    SpotifyGrant.objects.bulk_create(
        [
            SpotifyGrant(
                user=user, spotify_user_id=t["user_id"], display_name=t.get("display_name", ""), scopes=t.get("scope", ""),
                access_token=SecretToken.from_plaintext(t["access_token"]),
                refresh_token=SecretToken.from_plaintext(t["refresh_token"]),
                access_token_expires_at=soon,
            )
            for user, t in zip(users, tokens)
        ],
        batch_size=500,
    )
    print(f"  stored {len(tokens)} grants expiring in 90 s", flush=True)


def bare_refreshes(emulator, tokens: list[dict], concurrency: int) -> float:
    import httpx

    print(f"Baseline: {len(tokens)} bare refresh requests, {concurrency} at a time", flush=True)
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
    with httpx.Client(limits=limits, timeout=30) as http:
        def refresh(token: dict) -> None:
            response = http.post(f"{emulator.accounts_url}/api/token",
                                 data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": "gateway-bench"})
            response.raise_for_status()

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(refresh, tokens))
        return time.perf_counter() - started


def refresh_count(emulator) -> int:
    return emulator.stats()["token_requests"]["by_grant_type"].get("refresh_token", 0)


if __name__ == "__main__":
    main()
