"""The JSON log line (python-json-logger), settings.LOGGING's "json" formatter: one object a line
with the time (ISO 8601, UTC), level, logger, message, request id and process id, plus the
exception when there is one.

Only those fields, and a short list of extras known to be harmless (`SAFE_EXTRAS`): python-json-logger
would otherwise write every attribute a library put on the record, and some carry what the message
was careful to leave out (django.request puts the request on its records, whose repr has the query
string, where authorization codes and state travel; mcpgateway.core.access_log).
"""

from __future__ import annotations

from pythonjsonlogger.json import JsonFormatter

FIELDS = ("timestamp", "level", "logger", "message", "request_id", "pid", "exc_info", "stack_info")
SAFE_EXTRAS = frozenset({"status_code"})


class GatewayJsonFormatter(JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s %(request_id)s %(process)d")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger", "process": "pid"})
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("json_ensure_ascii", False)  # "…" (a masked secret) stays readable
        super().__init__(*args, **kwargs)

    def add_fields(self, log_data, record, message_dict) -> None:
        super().add_fields(log_data, record, message_dict)
        for key in [key for key in log_data if key not in FIELDS and key not in SAFE_EXTRAS]:
            del log_data[key]


def configure_logging(config: dict) -> None:
    """settings.LOGGING_CONFIG, and what Celery's worker and beat call (config/celery.py): the dict
    config, and Python's warnings as log lines (py.warnings) rather than bare text on stderr, so a
    process's output stays one format."""
    import logging
    import logging.config

    logging.config.dictConfig(config)
    logging.captureWarnings(True)
