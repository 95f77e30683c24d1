"""Bad input to every endpoint: a 4xx in JSON {"detail": "..."} that the served schema declares,
never a 500, and nothing changed."""

import pytest

from accounts.models import PersonalAccessToken
from mcpgateway.mcp.models import McpSession

from .conftest import Api

pytestmark = pytest.mark.django_db

HUGE = str(10**30)
BAD_ROW_IDS = ["abc", "-1", "0", "1.5", HUGE, str(2**63), "%00", "1%00", "%F0%9F%8E%B5"]
BAD_UUIDS = ["abc", "0", HUGE, "%00", "00000000-0000-0000-0000-00000000000g"]
BAD_PAGES = [{"page": "0"}, {"page": "-1"}, {"page": HUGE}, {"page": "abc"}, {"page": "\x00"}, {"page_size": "0"},
             {"page_size": "101"}, {"page_size": HUGE}, {"page": "1e3"}]
MEMBER_LISTS = ["/clients", "/tokens", "/consents", "/activity"]
ADMIN_LISTS = ["/admin/people", "/admin/grants", "/admin/clients", "/admin/invitations", "/admin/activity"]


def assert_refused(response, status=422):
    assert response.status_code == status, (response.status_code, response.content)
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail


@pytest.mark.parametrize("path", MEMBER_LISTS + ADMIN_LISTS)
def test_bad_page_parameters_are_422(admin_api, path):
    for query in BAD_PAGES:
        assert_refused(admin_api.get(path, query=query))


@pytest.mark.parametrize("path, query", [
    ("/admin/people", {"active": "maybe"}), ("/admin/people", {"active": "\x00"}), ("/admin/people", {"role": "god"}),
    ("/admin/grants", {"status": "weird"}), ("/admin/grants", {"person": HUGE}), ("/admin/grants", {"person": "x"}),
    ("/admin/clients", {"person": "\x00"}), ("/admin/clients", {"person": "-5"}), ("/admin/clients", {"person": str(2**63)}),
    ("/activity", {"kind": "everything"}), ("/activity", {"kind": "\x00"}), ("/activity", {"outcome": "fine"}),
    ("/admin/activity", {"kind": "sign-in"}), ("/admin/activity", {"outcome": "OK"}), ("/admin/activity", {"person": "0"}),
    ("/admin/activity", {"person": HUGE}), ("/admin/activity", {"since": "yesterday"}), ("/admin/activity", {"since": "\x00"}),
    ("/admin/activity", {"until": "2026-13-01"}), ("/admin/activity", {"since": "0001-01-01T00:00:00+05:00"}),
    ("/admin/activity", {"until": "9999-12-31T23:59:59-05:00"}), ("/admin/activity", {"since": HUGE}),
    ("/admin/invitations", {"status": "pending"}), ("/admin/invitations", {"status": "\x00"}),
])
def test_bad_filters_are_422_naming_the_parameter(admin_api, path, query):
    response = admin_api.get(path, query=query)
    assert_refused(response)
    assert next(iter(query)) in response.json()["detail"]
    assert response.json()["errors"][0]["loc"][-1] == next(iter(query))


@pytest.mark.parametrize("method, template", [
    ("delete", "/tokens/{}"), ("delete", "/consents/{}"), ("post", "/admin/people/{}/deactivate"),
    ("post", "/admin/grants/{}/refresh"), ("post", "/admin/grants/{}/disconnect"), ("post", "/admin/invitations/{}/revoke"),
])
def test_bad_row_ids_are_refused(admin_api, method, template):
    for bad_id in BAD_ROW_IDS:
        assert_refused(getattr(admin_api, method)(template.format(bad_id)))


@pytest.mark.parametrize("template", ["/clients/{}/revoke", "/admin/clients/{}/revoke"])
def test_bad_client_ids_are_refused(admin_api, template):
    for bad_id in BAD_UUIDS:
        assert_refused(admin_api.post(template.format(bad_id)))


BAD_TOKEN_REQUESTS = [
    b"{not json", b"", b"[]", b'"a string"', b"\x00", b"\xff\xfe",
    {"name": 5, "scopes": ["spotify:read"]}, {"name": "x", "scopes": "spotify:read"}, {"name": "x"},
    {"name": "x", "scopes": ["spotify:read"], "expires_in_days": "soon"}, {"name": "x", "scopes": [None]},
    {"name": "x", "scopes": ["spotify:read\x00"]}, {"name": "\ud800", "scopes": ["spotify:read"]},
    {"name": "x", "scopes": ["spotify:read"], "expires_in_days": 1.5}, {"name": ["x"], "scopes": ["spotify:read"]},
]


def test_a_bad_token_request_is_refused_and_creates_nothing(member_api):
    for body in BAD_TOKEN_REQUESTS:
        response = member_api.post("/tokens", body)
        assert response.status_code in (400, 422), (body, response.content)
        assert isinstance(response.json()["detail"], str)
    assert PersonalAccessToken.objects.count() == 1  # the caller's own


def test_unknown_paths_and_methods_are_4xx(member_api):
    for path in ["/tokens/1/extra", "/me/", "/admin", "/admin/people/1", "/%00"]:
        response = member_api.get(path, check=False)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "No such API endpoint: see /api/docs."}
    assert member_api.call("PUT", "/tokens", check=False).status_code == 405
    assert member_api.call("PATCH", "/me", check=False).status_code == 405
    assert McpSession.objects.count() == 0


def test_the_schema_check_of_these_tests_refuses_an_undeclared_answer(member_api):
    """The validation the tests rely on does bite: a body the schema does not describe fails."""
    from django.http import JsonResponse
    from openapi_core.validation.response.exceptions import InvalidData

    from .conftest import check_against_schema

    with pytest.raises(InvalidData):
        check_against_schema(member_api.client, "GET", "/api/me", None, JsonResponse({"id": "not a number"}))
    assert Api(member_api.client).get("/me").status_code == 401  # and a declared one passes
