"""Audit rows for what Django itself signals: sign-ins, failed sign-ins, and every admin action
(each admin LogEntry gets its audit row; mcpgateway.audit.admin_logging makes bulk ones single)."""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from mcpgateway.core.client_address import client_address

from .models import AuditEvent
from .services import audit_record

ADMIN_ACTIONS = {ADDITION: "addition", CHANGE: "change", DELETION: "deletion"}


def _ip(request) -> str | None:
    return (client_address(request) or None) if request is not None else None


@receiver(user_logged_in, dispatch_uid="audit_sign_in")
def signed_in(sender, request, user, **kwargs) -> None:
    audit_record(kind=AuditEvent.Kind.SIGN_IN, user=user, outcome=AuditEvent.Outcome.OK, ip_address=_ip(request))


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    """The username tried is kept (and the account, when there is one, sees it); the password never:
    only `credentials["username"]` is read."""
    User = get_user_model()
    tried = str((credentials or {}).get(User.USERNAME_FIELD) or (credentials or {}).get("username") or "")[:150]
    user = User._default_manager.filter(**{User.USERNAME_FIELD: tried}).first() if tried else None
    locked = bool(getattr(request, "axes_locked_out", False))
    audit_record(kind=AuditEvent.Kind.SIGN_IN_FAILED, user=user, username=tried, outcome=AuditEvent.Outcome.REFUSED,
                 reason="locked_out" if locked else "bad_credentials", ip_address=_ip(request))


def _owner_id(entry: LogEntry) -> int | None:
    """The person an admin action was about: the User acted on, or the `user` of the row acted on
    (log entries are written before a deletion, so the row is still there)."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    if model is None or not entry.object_id:
        return None
    User = get_user_model()
    try:
        if issubclass(model, User):
            return int(entry.object_id)
        field = next((f for f in model._meta.concrete_fields if f.name == "user" and f.related_model is User), None)
        if field is None:
            return None
        return model._base_manager.filter(pk=entry.object_id).values_list("user_id", flat=True).first()
    except (ValueError, TypeError):
        return None


@receiver(post_save, sender=LogEntry, dispatch_uid="audit_admin_action")
def admin_action_logged(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    if not created:
        return
    User = get_user_model()
    owner_id = _owner_id(instance)
    owner = User._default_manager.filter(pk=owner_id).first() if owner_id is not None else None
    content_type = instance.content_type
    audit_record(
        kind=AuditEvent.Kind.ADMIN_ACTION,
        user=owner,
        actor=instance.user,
        outcome=AuditEvent.Outcome.OK,
        details={
            "action": ADMIN_ACTIONS.get(instance.action_flag, str(instance.action_flag)),
            "model": f"{content_type.app_label}.{content_type.model}" if content_type else "",
            "object_id": instance.object_id or "",
            "object": instance.object_repr,
            "message": instance.get_change_message(),
        },
    )
