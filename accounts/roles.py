"""Who may do what on the team: a member manages their own connections and tokens; a team admin
(an active user with is_staff, superusers too) also sees and revokes everyone's, manages invitations
and the team's settings. Changing a role is accounts.services.user_set_role.

Team admins who are not superusers get their admin permissions from the "Team admins" group
(created by accounts/migrations/0004_team_admins_group.py, kept complete by team_admins_group_sync
after every migrate, so models added later are covered too)."""

from __future__ import annotations

TEAM_ADMINS_GROUP = "Team admins"

# (app label, model name or "*" for all of the app's models) -> the permission actions granted.
# People: view and change only (the admin hides superuser status, groups and permissions from
# non-superusers, and a superuser's row is read-only to them); nobody but a superuser deletes people.
TEAM_ADMIN_PERMISSIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("mcpgateway", "*"): ("view", "change", "delete"),
    ("oauth2_provider", "*"): ("view", "change", "delete"),
    ("accounts", "personalaccesstoken"): ("view", "change", "delete"),
    ("accounts", "invitation"): ("view", "add", "change", "delete"),
    ("accounts", "user"): ("view", "change"),
    ("axes", "*"): ("view", "delete"),  # lifting a sign-in lockout
}


def is_team_admin(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser))


def team_admin_permissions(Permission):
    """The permissions the group holds, as a queryset of `Permission` (the live or a migration's model)."""
    from django.db.models import Q

    wanted = Q(pk__in=[])
    for (app_label, model), actions in TEAM_ADMIN_PERMISSIONS.items():
        codenames = Q()
        for action in actions:
            codenames |= Q(codename__startswith=f"{action}_")
        where = Q(content_type__app_label=app_label) & codenames
        if model != "*":
            where &= Q(content_type__model=model, codename__in=[f"{action}_{model}" for action in actions])
        wanted |= where
    return Permission.objects.filter(wanted)


def team_admins_group_sync(Group, Permission) -> None:
    """Create the group if needed and grant it any of its permissions it lacks (idempotent)."""
    group, _ = Group.objects.get_or_create(name=TEAM_ADMINS_GROUP)
    missing = team_admin_permissions(Permission).exclude(group=group)
    group.permissions.add(*missing)


def team_admin_required(view):
    """Sign-in first, then 403 for anyone but a team admin."""
    from functools import wraps

    from django.contrib.auth.decorators import login_required
    from django.core.exceptions import PermissionDenied

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_team_admin(request.user):
            raise PermissionDenied("Only team admins manage the team.")
        return view(request, *args, **kwargs)

    return login_required(wrapped)
