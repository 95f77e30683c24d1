"""Checking requests the gateway sends to Spotify against Spotify's OpenAPI description.

openapi-core validates path, method, parameters and body against the operation; on top of it:
the operation must not be deprecated (Spotify removed those in February 2026), and every query
parameter sent must be one the operation declares (openapi-core ignores unknown ones).
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest

SPEC_PATH = "/work/shared/spotify/spotify-web-api.openapi.yml"
SPOTIFY_HOST = "https://api.spotify.com"


@functools.cache
def spec_dict() -> dict:
    with open(SPEC_PATH) as f:
        return yaml.safe_load(f)


@functools.cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(spec_dict())


def _resolve(node: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        target = spec_dict()
        for part in node["$ref"].split("/")[1:]:
            target = target[part]
        node = target
    return node


@dataclass(frozen=True)
class SentRequest:
    method: str
    url: str
    body: bytes
    authorization: str | None


@functools.cache
def _templates() -> list[tuple[re.Pattern, str]]:
    out = []
    for path in spec_dict()["paths"]:
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"
        out.append((re.compile(pattern), path))
    # Prefer literal paths over templated ones (/me/player/queue over /me/player/{x}).
    out.sort(key=lambda item: item[1].count("{"))
    return out


def operation_for(method: str, path: str) -> tuple[str, dict]:
    for pattern, template in _templates():
        if pattern.match(path):
            operation = spec_dict()["paths"][template].get(method.lower())
            if operation is not None:
                return template, operation
    raise AssertionError(f"{method} {path}: no such operation in Spotify's OpenAPI description")


def check_request(request: SentRequest, *, api_prefix: str) -> str:
    """Assert the request matches a current operation of the description; return its operationId."""
    parts = urlsplit(request.url)
    assert parts.path.startswith(api_prefix), parts.path
    path = parts.path[len(api_prefix):] or "/"
    template, operation = operation_for(request.method, path)
    operation_id = operation["operationId"]
    assert not operation.get("deprecated"), f"{request.method} {template} ({operation_id}) was removed by Spotify"

    query = parse_qsl(parts.query, keep_blank_values=True)
    declared = {_resolve(p)["name"] for p in operation.get("parameters", []) if _resolve(p)["in"] == "query"}
    unknown = {name for name, _ in query} - declared
    assert not unknown, f"{operation_id}: undeclared query parameters {sorted(unknown)}"
    assert request.authorization and request.authorization.startswith("Bearer "), f"{operation_id}: no bearer token"

    mock = MockRequest(
        SPOTIFY_HOST,
        request.method.lower(),
        "/v1" + path,
        args=dict(query),
        data=request.body or None,
        headers={"Authorization": request.authorization},
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unsupported scheme type")  # openapi-core does not check OAuth 2 itself
        result = openapi().unmarshal_request(mock)
    assert not result.errors, f"{operation_id}: {[str(e) for e in result.errors]}"
    return operation_id
