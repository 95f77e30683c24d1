"""The dashboard lists every live client of a person, 100 a page (selectors.DASHBOARD_CLIENTS_PER_PAGE)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import PersonalAccessToken
from mcpgateway.mcp.models import McpSession
from tests.conftest import make_personal_access_token

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_ROW = re.compile(r'data-testid="token-client"><td colspan="4">↳ (client \d+) ')


@pytest.fixture
def many_clients(person) -> list[str]:
    """120 live sessions of one personal access token, the latest seen first."""
    make_personal_access_token(person)
    credential_id = PersonalAccessToken.objects.get(user=person).credential_id
    now = timezone.now()
    McpSession.objects.bulk_create(
        McpSession(user=person, credential_id=credential_id, client_name=f"client {index}",
                   last_seen_at=now - timedelta(minutes=index), expires_at=now + timedelta(days=1))
        for index in range(120)
    )
    return [f"client {index}" for index in range(120)]


def test_every_client_of_a_token_is_reachable_page_by_page(client, person, many_clients):
    client.force_login(person)

    first = client.get("/").content.decode()
    assert CLIENT_ROW.findall(first) == many_clients[:100]
    assert 'href="/?page=2" rel="next"' in first
    assert "Clients 1–100 of 120" in first

    second = client.get("/?page=2").content.decode()
    assert CLIENT_ROW.findall(second) == many_clients[100:]
    assert 'href="/?page=1" rel="prev"' in second
    assert 'rel="next"' not in second


@pytest.mark.parametrize("page, shown", [("oops", "page 1 of 2"), ("0", "page 2 of 2"), ("99", "page 2 of 2")])
def test_a_page_out_of_range_shows_the_last_and_not_a_number_the_first(client, person, many_clients, page, shown):
    client.force_login(person)
    response = client.get(f"/?page={page}")
    assert response.status_code == 200
    assert shown in response.content.decode()
