"""The REST API fuzzed against its own OpenAPI schema (/api/openapi.json) with schemathesis, on a real
uvicorn worker: every operation, with data that fits the schema and data that breaks it (wrong
types, out-of-range and huge numbers, NUL characters, missing and unknown fields), as a member
with an `api` token and as an admin with one, so the admin routes are reached too. No answer may
be a 5xx, and the worker may log no traceback (GatewayProcesses.stop checks).

Derandomized: every run sends the same cases. FUZZ_EXAMPLES sets the examples per operation (each
sent as both identities) (bench/fuzz.py raises it for the >= 10,000-case run).
"""

from __future__ import annotations

import json
import os

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from accounts.models import PersonalAccessToken
from mcpgateway.api.api import api
from tests.conftest import make_personal_access_token
from tests.support.processes import GatewayProcesses

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
# Ids far above any row the fuzzing creates or hits by chance (hypothesis likes small integers): a
# case that deactivates person 1 or revokes token 2 must not end the fuzzing identities themselves.
IDENTITY_IDS = {"member": 2_000_000_001, "admin": 2_000_000_002}


@pytest.fixture(scope="module")
def gateway(django_db_setup, django_db_blocker):
    processes = GatewayProcesses()
    yield processes.start()
    processes.stop()


def api_schema() -> dict:
    """The OpenAPI document the worker serves at /api/openapi.json (built in-process, at collection,
    when no worker runs yet: schemathesis's lazy, fixture-loaded schemas do not work with pytest 9)."""
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/")))


schema = schemathesis.openapi.from_dict(api_schema())
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE], allow_x00=True, max_examples=EXAMPLES,
)


def test_the_fuzzed_schema_is_the_one_the_worker_serves(gateway):
    assert httpx.get(f"{gateway}/api/openapi.json").json() == api_schema()


@pytest.fixture
def identities(django_user_model) -> list[dict[str, str]]:
    """The bearer headers of a member's and an admin's personal access tokens with the `api` scope."""
    headers = []
    for who, row_id in IDENTITY_IDS.items():
        person = django_user_model.objects.create_user(id=row_id, username=f"fuzz-{who}", is_staff=who == "admin")
        token = make_personal_access_token(person, name="fuzz", scopes={"api"})
        PersonalAccessToken.objects.filter(user=person).update(id=row_id)
        headers.append({"Authorization": f"Bearer {token}"})
    return headers


@schema.parametrize()
@settings(
    derandomize=True, database=None, deadline=None, max_examples=EXAMPLES, phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_5xx(case, gateway, identities):
    for identity in identities:  # every case as the member, then as the admin
        response = case.call(base_url=gateway, headers=identity, timeout=30)
        assert response.status_code < 500, (case.method, case.formatted_path, case.query, case.body, response.status_code, response.text[:500])
