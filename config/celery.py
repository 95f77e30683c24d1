"""The Celery app: configured from Django settings under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("gateway")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The worker's heartbeat for /healthz (beat's comes from CELERY_BEAT_SCHEDULER).
from mcpgateway.heartbeats import WorkerHeartbeat  # noqa: E402

app.steps["worker"].add(WorkerHeartbeat)
