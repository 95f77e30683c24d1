from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People"

    def ready(self):
        post_migrate.connect(_team_admins_group_sync, dispatch_uid="accounts.team_admins_group_sync")


def _team_admins_group_sync(sender, **kwargs):
    # Sent once per app after auth has created that app's permissions: the "Team admins" group gets
    # those of models added after its migration (accounts.roles). Idempotent; two queries.
    from django.contrib.auth.models import Group, Permission

    from .roles import team_admins_group_sync

    team_admins_group_sync(Group, Permission)
