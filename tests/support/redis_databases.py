"""Which Redis database (of a server's 16) each part of a test run uses, so that parallel workers,
and the processes their tests start, never take each other's messages or keys:

- REDIS_URL's: the suite's own, one a parallel worker (config/settings_test.py numbers them, up to
  MAX_PARALLEL_WORKERS from REDIS_URL's);
- BROKER_OFFSET further: the Celery broker of a test that starts a Celery worker (so that worker
  never takes a task another test sent);
- PRODUCT_OFFSET further: the journey's product, run with `./dev run` from a copy, flushed
  before and after.
"""

from __future__ import annotations

import os

from config.settings_test import MAX_PARALLEL_WORKERS, neighbour_redis_url  # noqa: F401 (the journey's, too)

BROKER_OFFSET = MAX_PARALLEL_WORKERS
PRODUCT_OFFSET = 2 * MAX_PARALLEL_WORKERS


def celery_broker_env() -> dict[str, str]:
    """CELERY_BROKER_URL for a test's own Celery worker: a Redis database of its own when the run
    has Redis (else the filesystem broker in the test's VAR_DIR)."""
    suite_url = os.environ.get("REDIS_URL")
    return {"CELERY_BROKER_URL": neighbour_redis_url(suite_url, BROKER_OFFSET)} if suite_url else {}
