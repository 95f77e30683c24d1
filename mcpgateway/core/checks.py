"""System checks for settings the gateway cannot run without (secrets, trusted proxies, shared state
when several hosts serve one deployment).

Django runs them before `migrate`, `run_gateway`, `check` and every other management command, so
`./dev run` stops with a message that names the variable instead of failing later (a Spotify
callback answering 500 because a key was mangled). /healthz repeats the encryption check at run
time (mcpgateway.core.health). Messages never include a secret's value.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress

from django.conf import settings
from django.core.checks import Error, register

SECRETS_TAG = "secrets"
FERNET_HINT = (
    'Generate one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


def fernet_key_problem(key: str) -> str | None:
    """Why `key` is not a Fernet key (32 url-safe base64-encoded bytes, 44 characters), or None."""
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return f"it is not url-safe base64 ({len(key)} characters; a Fernet key has 44, ending in '=')"
    if len(raw) != 32:
        return f"it decodes to {len(raw)} bytes, not 32 ({len(key)} characters; a Fernet key has 44, ending in '=')"
    return None


@register(SECRETS_TAG)
def check_secrets(app_configs=None, **kwargs) -> list[Error]:
    errors: list[Error] = []
    if settings.SECRET_KEY_MISSING:
        errors.append(
            Error(
                "SECRET_KEY is not set.",
                hint="Set SECRET_KEY in the environment (a long random string); it is required unless DEBUG=1. "
                "`./dev run` keeps one for this machine in var/local.env.",
                id="gateway.E001",
            )
        )
    keys = settings.TOKEN_ENCRYPTION_KEYS
    if not keys:
        errors.append(
            Error(
                "TOKEN_ENCRYPTION_KEYS is not set: Spotify tokens cannot be stored.",
                hint=f"Set it to one or more Fernet keys, comma separated, newest first. {FERNET_HINT}",
                id="gateway.E002",
            )
        )
    for position, key in enumerate(keys, start=1):
        problem = fernet_key_problem(key)
        if problem:
            errors.append(
                Error(
                    f"TOKEN_ENCRYPTION_KEYS: key {position} of {len(keys)} is not a Fernet key: {problem}.",
                    hint=f"Check for a cut-off value (a missing trailing '=') or stray quotes. {FERNET_HINT}",
                    id="gateway.E003",
                )
            )
    return errors


@register()
def check_trusted_proxies(app_configs=None, **kwargs) -> list[Error]:
    """uvicorn would refuse to start on a malformed entry; name the variable and the entry first."""
    errors: list[Error] = []
    for entry in settings.TRUSTED_PROXIES:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            errors.append(
                Error(
                    f"TRUSTED_PROXIES: {entry!r} is not an IP address or network.",
                    hint="List the reverse proxies in front of the gateway, comma separated, e.g. 10.0.0.5,192.168.1.0/24.",
                    id="gateway.E004",
                )
            )
    return errors


@register()
def check_shared_state(app_configs=None, **kwargs) -> list[Error]:
    """Several hosts need everything shared in PostgreSQL and Redis: without REDIS_URL the revocation
    epoch is a file, and the cache, broker and channel layer live on one machine, so a revocation
    on one host would not reach another's caches. The gateway cannot see other hosts: the operator
    says how many serve this deployment (DEPLOYMENT_HOSTS)."""
    if settings.DEPLOYMENT_HOSTS <= 1:
        return []
    errors: list[Error] = []
    if not settings.REDIS_URL:
        errors.append(Error(
            f"DEPLOYMENT_HOSTS is {settings.DEPLOYMENT_HOSTS} but REDIS_URL is not set: revocations, the cache, the Celery "
            "broker and live updates would stay on each host.",
            hint="Set REDIS_URL to the Redis every host shares (docs/deployment.md, 'More than one host').",
            id="gateway.E005",
        ))
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        errors.append(Error(
            f"DEPLOYMENT_HOSTS is {settings.DEPLOYMENT_HOSTS} but the database is SQLite, a file on one machine.",
            hint="Set DATABASE_URL to the PostgreSQL every host shares.",
            id="gateway.E006",
        ))
    return errors
