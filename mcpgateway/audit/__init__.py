"""The audit trail: who did what, when (tool calls, sign-ins, consents, revocations, invitations,
admin actions). Record with `services.audit_record`; tool calls are recorded by `tool_calls.py`
through the buffered `writer.py`, never in a call's path."""
