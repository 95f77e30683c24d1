"""Personal access tokens, moved here from the mcpgateway app (its 0007 renamed the table, rows and
all). State only, plus the content type, so admin history and permissions follow the model."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def content_type_to_accounts(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="accounts", model="personalaccesstoken").exists():
        ContentType.objects.filter(app_label="mcpgateway", model="personalaccesstoken").update(app_label="accounts")


def content_type_to_mcpgateway(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="mcpgateway", model="personalaccesstoken").exists():
        ContentType.objects.filter(app_label="accounts", model="personalaccesstoken").update(app_label="mcpgateway")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("mcpgateway", "0007_personal_access_token_to_accounts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PersonalAccessToken",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100)),
                        ("token_prefix", models.CharField(max_length=16)),
                        ("token_digest", models.CharField(editable=False, max_length=64, unique=True)),
                        ("scopes", models.TextField(help_text="Space-separated gateway scopes.")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("expires_at", models.DateTimeField(blank=True, null=True)),
                        ("last_used_at", models.DateTimeField(blank=True, null=True)),
                        ("revoked_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="personal_access_tokens", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "personal access token",
                        "ordering": ["-created_at"],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_type_to_accounts, content_type_to_mcpgateway),
    ]
