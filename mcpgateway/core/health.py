"""GET /healthz: is this gateway ready to serve people?

Not only "can it reach its database, broker and cache": the secrets are well formed, the
encryption keys round-trip a value (so a Spotify callback can store tokens), and the Celery
worker and beat are alive (their heartbeats, mcpgateway.core.heartbeats). 200 when all hold, else 503
with what failed. Error details name the problem, never a secret.
"""

import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .checks import check_secrets
from .heartbeats import ROLES, heartbeat_age


class Unhealthy(Exception):
    """A probe's failure with a message meant for the operator."""


def _check(probe) -> dict:
    started = time.perf_counter()
    try:
        details = probe() or {}
    except Unhealthy as exc:
        return {"ok": False, "error": str(exc), "ms": round((time.perf_counter() - started) * 1000, 1)}
    except Exception as exc:  # the point is to report any failure, not to raise it
        return {"ok": False, "error": type(exc).__name__, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1), **details}


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _cache() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise Unhealthy("the cache did not return what was stored")
    cache.delete(key)


def _secrets() -> None:
    problems = check_secrets()
    if problems:
        raise Unhealthy(" ".join(problem.msg for problem in problems))


def _encryption() -> None:
    from .crypto import TokenDecryptionError, decrypt_token, encrypt_token

    probe = uuid.uuid4().hex
    try:
        round_trip = decrypt_token(encrypt_token(probe))
    except (ValueError, TokenDecryptionError) as exc:
        raise Unhealthy(f"TOKEN_ENCRYPTION_KEYS cannot encrypt and decrypt a value ({type(exc).__name__})") from None
    if round_trip != probe:
        raise Unhealthy("TOKEN_ENCRYPTION_KEYS did not round-trip a value")


def _heartbeat(role: str):
    def probe() -> dict:
        age = heartbeat_age(role)
        if age is None:
            raise Unhealthy(f"no heartbeat from the {role.replace('_', ' ')} yet: is it running?")
        if age > settings.HEARTBEAT_MAX_AGE_SECONDS:
            raise Unhealthy(f"the {role.replace('_', ' ')}'s last heartbeat is {age:.0f} s old: is it running?")
        return {"age_s": round(age, 1)}

    return probe


@never_cache
@require_GET
def healthz(request):
    checks = {
        "database": _check(_database),
        "broker": _check(_broker),
        "cache": _check(_cache),
        "secrets": _check(_secrets),
        "encryption": _check(_encryption),
    }
    for role in ROLES:
        checks[role] = _check(_heartbeat(role))
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503)
