"""Writes of people and their own credentials: invitations and sign-up, roles, the forced password
change, creating personal access tokens (revoking any credential is mcpgateway.core.credentials: one
path for tokens and OAuth authorizations)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from mcpgateway.audit.models import AuditEvent
from mcpgateway.audit.services import audit_record
from mcpgateway.core.scopes import GATEWAY_SCOPES

from .models import Invitation, PersonalAccessToken
from .roles import TEAM_ADMINS_GROUP, is_team_admin

PAT_PREFIX = "smgp_"  # "Spotify MCP gateway personal": lets secret scanners recognise a leaked token
INVITATION_PREFIX = "smgi_"  # "... invitation"
INVITATION_MAX_DAYS = 30


def token_digest(token: str) -> str:
    """Keyed hash of a token: without the server's pepper a stolen database reveals nothing usable."""
    return hmac.new(settings.TOKEN_HASH_PEPPER.encode(), token.encode(), hashlib.sha256).hexdigest()


def personal_access_token_create(
    *, user, name: str, scopes: set[str] | frozenset[str], expires_in_days: int | None, made_with: PersonalAccessToken | None = None
) -> tuple[PersonalAccessToken, str]:
    """Create a token; returns the row and the plaintext, which is never stored and never shown again.
    `made_with`: the token a script used to ask for this one (the REST API). A token cannot mint a
    wider or longer-lived one, or a leaked `api` token would be a way to every scope, for ever."""
    name = name.strip()
    if not name:
        raise ValueError("Give the token a name, so you can recognise it later.")
    if len(name) > 100:
        raise ValueError("Token names are at most 100 characters.")
    if any(unicodedata.category(character) in ("Cc", "Cs") for character in name):
        # NUL among them, which PostgreSQL cannot store.
        raise ValueError("Token names cannot contain control characters.")
    unknown = set(scopes) - set(GATEWAY_SCOPES)
    if unknown:
        raise ValueError(f"Unknown scopes: {', '.join(sorted(unknown))}")
    if not scopes:
        raise ValueError("Choose at least one scope.")
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise ValueError("Expiry must be between 1 and 3650 days, or never.")
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    if made_with is not None:
        wider = set(scopes) - made_with.scope_set
        if wider:
            raise PermissionError(f"The token making this one does not have the scopes {', '.join(sorted(wider))}: "
                                  "a token can only make tokens with its own scopes or fewer (create it on the dashboard instead).")
        if made_with.expires_at is not None and (expires_at is None or expires_at > made_with.expires_at):
            raise PermissionError(f"The token making this one expires on {made_with.expires_at:%Y-%m-%d}: a token can only make "
                                  "tokens that expire no later than itself (create it on the dashboard instead).")
    plaintext = PAT_PREFIX + secrets.token_urlsafe(32)
    pat = PersonalAccessToken.objects.create(
        user=user,
        name=name,
        token_prefix=plaintext[: len(PAT_PREFIX) + 4],
        token_digest=token_digest(plaintext),
        scopes=" ".join(sorted(scopes)),
        expires_at=expires_at,
    )
    return pat, plaintext


# --- roles ---------------------------------------------------------------------------------------


def user_set_role(*, user, role: str, changed_by) -> None:
    """Make `user` a member or a team admin: is_staff, and membership of the "Team admins" group
    (its permissions let a non-superuser admin use the admin). Raises ValueError when refused."""
    if role not in Invitation.Role.values:
        raise ValueError(f"Unknown role: {role}.")
    if not is_team_admin(changed_by):
        raise ValueError("Only team admins change roles.")
    if user.pk == changed_by.pk:
        raise ValueError("You cannot change your own role: ask another admin.")
    if user.is_superuser and role == Invitation.Role.MEMBER:
        raise ValueError(f"{user.get_username()} is a superuser and stays an admin: a superuser removes that status first.")
    _apply_role(user, role)


def _apply_role(user, role: str) -> None:
    group, _ = Group.objects.get_or_create(name=TEAM_ADMINS_GROUP)
    user.is_staff = role == Invitation.Role.ADMIN
    user.save(update_fields=["is_staff"])
    if user.is_staff:
        user.groups.add(group)
    else:
        user.groups.remove(group)


def user_password_chosen(*, user) -> None:
    """The person chose their own password (the form saves it): the forced change is over."""
    user.must_change_password = False


# --- invitations and sign-up -----------------------------------------------------------------------


def email_domain_allowed(email: str, domains: list[str]) -> bool:
    return not domains or email.rsplit("@", 1)[-1].lower() in {domain.lower() for domain in domains}


def invitation_create(*, created_by, role: str, allowed_email_domains: str = "", note: str = "", expires_in_days: int = 7) -> tuple[Invitation, str]:
    """Create an invitation; returns the row and the link's token, which is never stored and never
    shown again (the link is PUBLIC_BASE_URL/accounts/invitation/<token>). Audited: `created_by` is
    the row's actor (the audit row names the invitation, never its token)."""
    if not is_team_admin(created_by):
        raise ValueError("Only team admins invite people.")
    if role not in Invitation.Role.values:
        raise ValueError("Choose the role to give: member or admin.")
    if not 1 <= expires_in_days <= INVITATION_MAX_DAYS:
        raise ValueError(f"An invitation expires after 1 to {INVITATION_MAX_DAYS} days.")
    domains = [domain.strip().lstrip("@").lower() for domain in allowed_email_domains.replace(",", " ").split()]
    for domain in domains:
        if "." not in domain or not all(part and all(c.isalnum() or c == "-" for c in part) for part in domain.split(".")):
            raise ValueError(f"“{domain}” is not an email domain (like example.com).")
    note = note.strip()
    if len(note) > 200 or any(unicodedata.category(character) in ("Cc", "Cs") for character in note):
        raise ValueError("The note is at most 200 characters, without control characters.")
    if len(" ".join(domains)) > 500:
        raise ValueError("Too many email domains.")
    plaintext = INVITATION_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            token_digest=token_digest(plaintext),
            role=role,
            allowed_email_domains=" ".join(domains),
            note=note,
            created_by=created_by,
            expires_at=timezone.now() + timedelta(days=expires_in_days),
        )
        audit_record(kind=AuditEvent.Kind.INVITATION_CREATED, actor=created_by, outcome=AuditEvent.Outcome.OK,
                     details=_invitation_details(invitation, expires_in_days=expires_in_days))
    return invitation, plaintext


def _invitation_details(invitation: Invitation, **extra) -> dict:
    """What an audit row says of an invitation: which one, its role and limits; never its token nor digest."""
    return {"invitation": invitation.pk, "role": invitation.role, "allowed_email_domains": invitation.allowed_email_domains,
            "note": invitation.note, **extra}


def invitation_revoke(*, invitation: Invitation, revoked_by) -> bool:
    """Revoke an unused invitation; False when it was used or revoked already. Audited, `revoked_by`
    as the actor."""
    with transaction.atomic():
        revoked = bool(Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=timezone.now()))
        if revoked:
            audit_record(kind=AuditEvent.Kind.INVITATION_REVOKED, actor=revoked_by, outcome=AuditEvent.Outcome.OK,
                         details=_invitation_details(invitation))
    return revoked


class InvitationUnusable(Exception):
    """The invitation is unknown, expired, used or revoked (`status` says which)."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


class UsernameTaken(ValueError):
    pass


def invitation_accept(*, token: str, username: str, email: str, password: str):
    """Create the invitee's account with the invitation's role and use the invitation up, at once:
    of two people racing with one link, one gets an account and the other nothing. The caller has
    validated the fields (accounts.forms.SignUpForm). Audited as the new person's activity."""
    with transaction.atomic():
        invitation = Invitation.objects.filter(token_digest=token_digest(token)).first()
        return _invitation_use(invitation, email=email, username=username, password=password)


def invitation_accept_sso(*, invitation_id: int, email: str, username: str, first_name: str = "", last_name: str = ""):
    """The same for a person single sign-on signed in (accounts.sso): the invitation is the one they
    pressed "Sign up with ..." on (its id was kept in their session), the email is the provider's
    verified one, and the account has no password."""
    with transaction.atomic():
        invitation = Invitation.objects.filter(pk=invitation_id).first()
        return _invitation_use(invitation, email=email, username=username, password=None, first_name=first_name, last_name=last_name)


def _invitation_use(invitation: Invitation | None, *, email: str, username: str, password: str | None, **names: str):
    """Both ways of accepting: check the invitation, take it (a conditional UPDATE: one winner),
    create the account. Inside the caller's transaction, so a refusal after the UPDATE undoes it."""
    if invitation is None:
        raise InvitationUnusable("unknown")
    if invitation.status != "open":
        raise InvitationUnusable(invitation.status)
    if not email_domain_allowed(email, invitation.domain_list):
        raise ValueError("This invitation is for addresses at " + ", ".join(invitation.domain_list) + ".")
    now = timezone.now()
    taken = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if not taken:
        raise InvitationUnusable("used")
    user = _user_create(username=username, email=email, password=password, role=invitation.role, **names)
    Invitation.objects.filter(pk=invitation.pk).update(used_by=user)
    # The invitee's own activity; who invited them is the invitation's created_by.
    audit_record(kind=AuditEvent.Kind.INVITATION_ACCEPTED, user=user, outcome=AuditEvent.Outcome.OK,
                 details={**_invitation_details(invitation), "invited_by": invitation.created_by_id})
    return user


def user_sign_up(*, username: str, email: str, password: str):
    """Open sign-up (settings.OPEN_SIGNUP): a member account; the caller has validated the fields."""
    if not settings.OPEN_SIGNUP:
        raise ValueError("Open sign-up is off.")
    with transaction.atomic():
        return _user_create(username=username, email=email, password=password, role=Invitation.Role.MEMBER)


def _user_create(*, username: str, email: str, password: str | None, role: str, **names: str):
    """`password` None: an account without one (single sign-on's); `names`: first_name, last_name."""
    User = get_user_model()
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password, **names)
    except IntegrityError:
        raise UsernameTaken("That username is taken; choose another.") from None
    if role == Invitation.Role.ADMIN:
        _apply_role(user, role)
    return user
