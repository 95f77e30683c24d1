"""`manage.py serve <role>`: one process role of the gateway (mcpgateway.management.process_roles),
for a deployment that runs each in its own container or systemd unit. The command becomes that
process (exec): the supervisor's signals reach uvicorn or Celery directly, and they stop cleanly."""

from __future__ import annotations

import logging
import os

from django.conf import settings
from django.core.management.base import BaseCommand

from mcpgateway.management.process_roles import ROLES, beat_command, role_environment, web_command, worker_command

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run one process role: web (uvicorn, WEB_WORKERS), worker (Celery) or beat (Celery beat: exactly one per deployment)."

    def add_arguments(self, parser):
        parser.add_argument("role", choices=ROLES)
        # Defaults from settings (HOST, PORT, WEB_WORKERS, CELERY_CONCURRENCY in the environment).
        parser.add_argument("--host", default=settings.GATEWAY_HOST)
        parser.add_argument("--port", type=int, default=settings.GATEWAY_PORT)
        parser.add_argument("--workers", type=int, default=settings.WEB_WORKERS, help="web: worker processes")
        parser.add_argument("--concurrency", type=int, default=settings.CELERY_CONCURRENCY, help="worker: threads")

    def handle(self, *args, role, host, port, workers, concurrency, **options):
        command = {
            "web": lambda: web_command(host=host, port=port, workers=workers),
            "worker": lambda: worker_command(concurrency=concurrency),
            "beat": beat_command,
        }[role]()
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        os.environ.update(role_environment(role))
        # A log line (LOG_FORMAT), not a print: a role's output is one format from its first line.
        logger.info("Serving the gateway's %s role: %s", role, " ".join(command[1:]))
        for handler in logging.getLogger().handlers:
            handler.flush()
        os.execv(command[0], command)
