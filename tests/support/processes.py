"""Running gateway code in other processes against the test database."""

import os
from urllib.parse import quote

from django.conf import settings
from django.db import connection


def test_database_url() -> str:
    """A DATABASE_URL for the database this test run uses (the test database, not the real one)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{os.path.abspath(db['NAME'])}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}{port}/{db['NAME']}"


def gateway_env(**extra: str) -> dict[str, str]:
    """Environment for a gateway process that shares this test's database and Spotify settings."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=test_database_url(),
        SPOTIFY_CLIENT_ID=settings.SPOTIFY_CLIENT_ID,
        SPOTIFY_ACCOUNTS_URL=settings.SPOTIFY_ACCOUNTS_URL,
        SPOTIFY_API_URL=settings.SPOTIFY_API_URL,
        SPOTIFY_REDIRECT_URI=settings.SPOTIFY_REDIRECT_URI,
        TOKEN_ENCRYPTION_KEYS=",".join(settings.TOKEN_ENCRYPTION_KEYS),
        SECRET_KEY=settings.SECRET_KEY,
    )
    env.update(extra)
    return env
