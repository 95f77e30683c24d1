"""The Celery app: configured from Django settings under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("gateway")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each concept keeps its tasks beside it (mcpgateway/<concept>/tasks.py); Celery's default discovery
# looks only at <app>/tasks.py, so the packages are named here.
app.autodiscover_tasks(["mcpgateway.spotify", "mcpgateway.oauth", "mcpgateway.mcp", "mcpgateway.audit"])


@app.on_after_configure.connect
def make_filesystem_broker_folders(sender, **kwargs):
    """Kombu's filesystem transport (the one-machine run) needs its folders before the first message."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


# The worker's heartbeat for /healthz (beat's comes from CELERY_BEAT_SCHEDULER); named, not
# imported, so importing config (and its settings) loads no app code.
app.steps["worker"].add("mcpgateway.core.heartbeats:WorkerHeartbeat")


# A task sent while serving a request logs that request's id (mcpgateway.core.request_ids), imported
# when a task is sent or run, so that importing config loads no app code.
from celery.signals import before_task_publish, task_postrun, task_prerun  # noqa: E402


@before_task_publish.connect
def add_request_id_to_task(**kwargs):
    from mcpgateway.core.request_ids import add_request_id_to_task

    add_request_id_to_task(**kwargs)


@task_prerun.connect
def enter_task(**kwargs):
    from mcpgateway.core.request_ids import enter_task

    enter_task(**kwargs)


@task_postrun.connect
def leave_task(**kwargs):
    from mcpgateway.core.request_ids import leave_task

    leave_task(**kwargs)


from celery.signals import setup_logging  # noqa: E402


@setup_logging.connect
def use_the_gateways_logging(**kwargs):
    """The worker and beat log like the web role (settings.LOGGING: LOG_FORMAT, request ids) instead
    of Celery's own format; connecting here is what tells Celery to leave logging alone."""
    from django.conf import settings

    from mcpgateway.core.log_format import configure_logging

    configure_logging(settings.LOGGING)
