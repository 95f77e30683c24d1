"""The API as a real gateway worker (uvicorn) serves it: the docs page with its own Swagger UI
files, and a script's requests with a personal access token."""

import re

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from .conftest import api_token

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_serves_the_docs_and_answers_a_script(start_gateway, person):
    base = start_gateway()
    token = api_token(person)
    with httpx.Client(base_url=base, timeout=30) as http:
        docs = http.get("/api/docs")
        assert docs.status_code == 200
        assert "/api/openapi.json" in docs.text
        assets = re.findall(r'(?:src|href)="(/static/ninja/[^"]+)"', docs.text)
        assert any(asset.endswith(".js") for asset in assets), docs.text
        for asset in assets:
            assert http.get(asset).status_code == 200, asset  # served by the gateway, not a CDN
        spec = OpenAPI.from_dict(http.get("/api/openapi.json").json())

        def call(method: str, path: str, **kwargs) -> httpx.Response:
            response = http.request(method, f"/api{path}", headers={"Authorization": f"Bearer {token}"}, **kwargs)
            spec.validate_response(MockRequest(base, method.lower(), f"/api{path}"),
                                   MockResponse(response.content, status_code=response.status_code,
                                                content_type=response.headers["content-type"].split(";")[0]))
            return response

        assert call("GET", "/me").json()["username"] == "pat"
        created = call("POST", "/tokens", json={"name": "made by a script", "scopes": ["api"], "expires_in_days": 1})
        assert created.status_code == 201
        new_token = created.json()["token"]
        assert http.get("/api/me", headers={"Authorization": f"Bearer {new_token}"}).status_code == 200
        assert call("DELETE", f"/tokens/{created.json()['id']}").status_code == 200
        assert http.get("/api/me", headers={"Authorization": f"Bearer {new_token}"}).status_code == 401
        assert http.get("/api/me").status_code == 401
