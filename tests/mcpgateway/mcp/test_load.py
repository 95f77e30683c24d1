"""Load, shortened for CI: 100 concurrent SDK clients (half 2026-07-28, half 2025-11-25 sessions),
each a person with a personal access token and a Spotify user of their own at the emulator,
calling read and write tools against one web role of two uvicorn workers, on whichever database
and cache the run uses, for 10 s and at least one whole round of tools each. No call may fail;
how fast they are is the benchmark's business (bench/load.py, the same clients for 60 s)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from django.utils import timezone

from bench.load import LEGACY, MODERN, report, run_clients
from mcpgateway.core.crypto import SecretToken
from mcpgateway.management.process_roles import web_command
from mcpgateway.spotify.models import SpotifyGrant
from tests.conftest import TEST_CLIENT_ID, make_personal_access_token
from tests.support.processes import free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CLIENTS = 100
SECONDS = 10


def people_with_spotify(emulator, django_user_model, count: int) -> list[str]:
    """`count` people, each with a grant for a new emulator user with a device; their tokens."""
    minted = emulator.mint_grants(TEST_CLIENT_ID, user_ids=[f"load-{n}" for n in range(count)], with_device=True)
    tokens = []
    for grant in minted:
        person = django_user_model.objects.create_user(username=grant["user_id"])
        SpotifyGrant.objects.create(
            user=person, spotify_user_id=grant["user_id"], scopes=grant["scope"],
            access_token=SecretToken.from_plaintext(grant["access_token"]), refresh_token=SecretToken.from_plaintext(grant["refresh_token"]),
            access_token_expires_at=timezone.now() + timedelta(seconds=grant["expires_in"]),
        )
        tokens.append(make_personal_access_token(person, name="load"))
    return tokens


def test_a_hundred_clients_in_both_eras_get_no_errors(emulator, start_gateway, django_user_model, settings):
    tokens = people_with_spotify(emulator, django_user_model, CLIENTS)
    port = free_port()
    base = start_gateway(port, command=[*web_command(host="127.0.0.1", port=port, workers=2), "--no-access-log"])

    result = asyncio.run(run_clients(f"{base}/mcp", tokens, seconds=SECONDS))

    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    summary = report(result, clients=CLIENTS, workers=2, database=database, cache="Redis" if settings.REDIS_URL else "file cache")
    print(summary)
    assert not result.errors, summary
    assert result.calls_by_era[MODERN] and result.calls_by_era[LEGACY], summary
    # Every client played at least one whole round: reads, playback, queue and playlist writes.
    assert min(result.calls_by_tool.values()) >= CLIENTS and len(result.calls_by_tool) == 9, summary
