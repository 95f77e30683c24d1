"""Settings for the test suite: the product's settings (config/settings.py) plus test-only knobs.

pytest uses this module (pyproject.toml), and so do the gateway and Celery processes the tests start
(tests/support/processes.py). Nothing outside tests/ refers to it.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# Parallel workers of one run (pytest-xdist; scripts/test.sh): each is a run of its own, as two runs
# side by side are: its folder under the run's VAR_DIR (the SQLite database, the file cache,
# Celery's filesystem broker, the revocation epoch file) and its Redis database (the cache, the rate
# limits' counters, the channel layer, the epoch). pytest-django names each worker's test database.
# Set in the environment before the product's settings read it, so the gateway and Celery processes
# a test starts (they import this module too) inherit the same choices; GATEWAY_TEST_WORKER says it
# is done. Redis databases: the workers' own are REDIS_URL's and the next three; tests that start a
# Celery worker use 4 further, and the journey's product 8 further (tests/support/redis_databases.py).
MAX_PARALLEL_WORKERS = 4


def neighbour_redis_url(url: str, offset: int) -> str:
    """The same Redis server, the database `offset` numbers further (of its 16)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{(int(parts.path.strip('/') or 0) + offset) % 16}"))


def _a_run_of_its_own(worker: str | None) -> None:
    if not worker or os.environ.get("GATEWAY_TEST_WORKER") == worker:
        return
    index = int(worker.removeprefix("gw"))
    if index >= MAX_PARALLEL_WORKERS:
        raise RuntimeError(f"at most {MAX_PARALLEL_WORKERS} parallel test workers (Redis has 16 databases; see config/settings_test.py)")
    os.environ["GATEWAY_TEST_WORKER"] = worker
    run_dir = Path(os.environ.get("VAR_DIR") or Path(__file__).resolve().parent.parent / "var")
    (run_dir / worker).mkdir(parents=True, exist_ok=True)
    os.environ["VAR_DIR"] = str(run_dir / worker)
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = neighbour_redis_url(os.environ["REDIS_URL"], index)


_a_run_of_its_own(os.environ.get("PYTEST_XDIST_WORKER"))

from config.settings import *  # noqa: E402, F403
from config.settings import DATABASES, VAR_DIR, env  # noqa: E402

# Tests that start other processes need a test database those processes can open (SQLite: a file,
# not memory); runs side by side each name their own PostgreSQL test database (scripts/test.sh).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-gateway.sqlite3")}
elif env("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME")}

# The official MCP conformance suite's fixture server, served through the gateway's own bridge.
MCP_EXTRA_ENDPOINTS = {"/mcp-conformance": "tests.conformance.fixture_server.conformance_endpoint"}
# The suite sends no token: its requests act as this personal access token's owner.
MCP_CONFORMANCE_TOKEN = env("MCP_CONFORMANCE_TOKEN")
# CIMD documents served by the tests' own loopback document server (the product's fetcher refuses
# loopback addresses, rightly); workers the tests start say so in their environment.
OAUTH_CIMD_METADATA_FETCHER = env("OAUTH_CIMD_METADATA_FETCHER", OAUTH_CIMD_METADATA_FETCHER)  # noqa: F405
# Hashing passwords and client secrets at production cost makes every sign-in and registration
# of the suite slow (and timing-sensitive tests flaky on a busy machine); the stored values are
# still hashes. Django's documentation recommends this for tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The suite signs up and asks for password resets from one address, for many people: the tests of
# those limits set their own (tests/accounts/test_rate_limits.py).
PASSWORD_RESET_LIMIT_PER_HOUR = 10_000
SIGN_UP_LIMIT_PER_HOUR = 10_000
# A shared Redis keeps an earlier run's cache keys for a while (rate-limit counters, heartbeats):
# each run, and the processes it starts (same environment), use keys of their own.
CACHES["default"]["KEY_PREFIX"] = env("TEST_DATABASE_NAME") or "test"  # noqa: F405
# The product's URLs plus test-only ones (a page that sends a Celery task: tests/support/urls.py).
ROOT_URLCONF = "tests.support.urls"
