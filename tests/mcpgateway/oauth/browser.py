"""A person's browser, over plain HTTP with a session cookie: signs in to the gateway, connects
Spotify at the emulator when asked, approves the consent page, and hands back the redirect."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from tests.conftest import authorize_at_emulator


class Browser:
    def __init__(self, base: str, username: str, password: str, *, accounts_url: str):
        self.base = base
        self.username, self.password = username, password
        self.accounts_url = accounts_url
        self.http = httpx.Client(follow_redirects=False, timeout=30)
        self.pages: list[str] = []  # the consent pages seen (how often consent was asked)
        self.last_redirect: str | None = None  # where the client was sent back to, in full

    def close(self) -> None:
        self.http.close()

    def authorize(self, url: str, *, client_redirect_prefix: str = "http://127.0.0.1") -> dict[str, str]:
        """Follow the authorization from its URL to the client's redirect; return that query."""
        for _ in range(20):
            response = self.http.get(url)
            if response.status_code == 200 and 'id="authorizationForm"' in response.text:
                self.pages.append(response.text)
                response = self.http.post(str(response.url), data={**form_fields(response.text), "allow": "Authorize"})
            if response.status_code not in (301, 302, 303):
                raise AssertionError(f"unexpected {response.status_code} at {url}: {response.text[:500]}")
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith(self.accounts_url):
                answer = authorize_at_emulator(location)  # the person agrees at "Spotify"
                url = f"{self.base}/spotify/callback?code={answer['code']}&state={answer['state']}"
            elif urlsplit(location).path.startswith("/accounts/login"):
                self.sign_in(location)
                url = location_next(location, self.base)
            elif location.startswith(self.base):
                url = location
            elif location.startswith(client_redirect_prefix) or not location.startswith(self.base):
                self.last_redirect = location
                return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        raise AssertionError("too many redirects")

    def sign_in(self, login_url: str) -> None:
        page = self.http.get(login_url)
        fields = hidden_fields(page.text)
        fields.update(username=self.username, password=self.password)
        answer = self.http.post(str(page.url), data=fields)
        assert answer.status_code == 302, answer.text[:500]


def hidden_fields(html: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[unescape(name.group(1))] = unescape(value.group(1)) if value else ""
    return fields


def form_fields(html: str) -> dict[str, str | list[str]]:
    """What a browser submits of a form as it was served: its hidden fields and ticked checkboxes."""
    fields: dict[str, str | list[str]] = dict(hidden_fields(html))
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="checkbox"' in tag and re.search(r"\schecked\b", tag):
            name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
            if name:
                fields.setdefault(unescape(name.group(1)), []).append(unescape(value.group(1)) if value else "on")
    return fields


def location_next(login_location: str, base: str) -> str:
    target = parse_qs(urlsplit(login_location).query)["next"][0]
    return urljoin(base, target)
