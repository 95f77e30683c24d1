"""Twenty refreshes of one grant at once, from threads of two processes: one token request."""

import json
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from mcpgateway.models import SpotifyGrant
from tests.conftest import make_grant
from tests.support.emulator import refresh_requests
from tests.support.processes import gateway_env
from tests.support.refresh_worker import refresh_from_threads


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_refreshes_across_two_processes_make_one_request(emulator, person):
    grant, minted = make_grant(emulator, person, expires_in=10)
    # A slow token endpoint keeps the window wide open: everyone arrives while the leader waits.
    emulator.set_faults(token_latency_ms=400)
    start_at = time.time() + 3.0  # both processes start together, after the other one has booted

    other = subprocess.Popen(
        [sys.executable, "-m", "tests.support.refresh_worker", str(grant.pk), str(grant.refresh_generation), "10", str(start_at)],
        cwd=settings.BASE_DIR,
        env=gateway_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    here = refresh_from_threads(grant.pk, grant.refresh_generation, 10, start_at)
    out, err = other.communicate(timeout=60)
    assert other.returncode == 0, err
    there = json.loads(out.strip().splitlines()[-1])

    results = here + there
    assert len(results) == 20
    assert [r for r in results if "error" in r] == []
    assert sum(r["performed"] for r in results) == 1
    assert len({r["token"] for r in results}) == 1  # everyone got the one new token
    assert refresh_requests(emulator) == {"success": 1}, (emulator.stats(), emulator.output()[-3000:])
    grant.refresh_from_db()
    assert grant.access_token.reveal() != minted["access_token"]
    assert grant.access_token_expires_at > timezone.now() + timedelta(minutes=50)
