"""Calling the REST API over HTTP as a browser (session) or a script (personal access token), with
every answer checked against the OpenAPI schema the gateway serves at /api/openapi.json."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from accounts.services import personal_access_token_create
from tests.conftest import public_client

_served: list[OpenAPI] = []


def served_openapi(client) -> OpenAPI:
    """The schema /api/openapi.json serves (fetched once per run: it only changes with the code)."""
    if not _served:
        response = client.get("/api/openapi.json")
        assert response.status_code == 200, response.content
        _served.append(OpenAPI.from_dict(response.json()))
    return _served[0]


def check_against_schema(client, method: str, path: str, query: dict | None, response) -> None:
    """The answer is one the served schema declares for this operation, body included."""
    spec = served_openapi(client)
    request = MockRequest("http://testserver", method.lower(), path, args=query or {})
    content_type = response.headers.get("Content-Type", "").split(";")[0]
    spec.validate_response(request, MockResponse(response.content, status_code=response.status_code, content_type=content_type))


class Api:
    """A Django test client calling /api/..., validating each answer; `token`: as a script."""

    def __init__(self, client=None, *, token: str | None = None):
        self.client = client or public_client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, method: str, path: str, *, query: dict | None = None, body=None, check: bool = True, headers=None):
        url = f"/api{path}" + (f"?{urlencode(query, doseq=True)}" if query else "")
        kwargs = {"headers": {**self.headers, **(headers or {})}}
        if body is not None:
            kwargs.update(data=body if isinstance(body, (bytes, str)) else json.dumps(body), content_type="application/json")
        response = getattr(self.client, method.lower())(url, **kwargs)
        if check:
            check_against_schema(self.client, method, f"/api{path}", query, response)
        return response

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.call("POST", path, body=body, **kwargs)

    def delete(self, path, **kwargs):
        return self.call("DELETE", path, **kwargs)


def api_token(user, *, scopes=("api",), name: str = "script") -> str:
    return personal_access_token_create(user=user, name=name, scopes=set(scopes), expires_in_days=None)[1]


@pytest.fixture
def member_api(person):
    """`person` calling the API with a personal access token carrying the api scope."""
    api = Api(token=api_token(person))
    api.person = person
    return api


@pytest.fixture
def team_admin(django_user_model):
    return django_user_model.objects.create_user(username="ada", password="x", is_staff=True)


@pytest.fixture
def admin_api(team_admin):
    api = Api(token=api_token(team_admin))
    api.person = team_admin
    return api
