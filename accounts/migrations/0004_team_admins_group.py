"""The "Team admins" group: team admins who are not superusers hold their admin permissions through
it (accounts.roles). The permissions are created first, as `migrate` would only after the last
migration; after every migrate, accounts.apps grants the group those of models added since."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from accounts.roles import TEAM_ADMINS_GROUP, team_admins_group_sync


def create_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    team_admins_group_sync(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=TEAM_ADMINS_GROUP).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_user_must_change_password_invitation"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("mcpgateway", "0007_personal_access_token_to_accounts"),
        ("oauth2_provider", "0022_refreshtoken_token_family_index"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
