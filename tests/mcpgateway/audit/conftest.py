from __future__ import annotations

import time

from mcpgateway.audit.models import AuditEvent


def wait_for_events(expected: int, timeout: float = 15.0, **filters) -> list[AuditEvent]:
    """The audit rows matching `filters` once there are `expected` of them (a worker's writer thread
    writes them within about a second of the call), oldest first."""
    deadline = time.monotonic() + timeout
    while True:
        rows = list(AuditEvent.objects.filter(**filters).order_by("occurred_at", "id"))
        if len(rows) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)
