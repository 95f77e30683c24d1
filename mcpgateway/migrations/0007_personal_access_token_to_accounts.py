"""Personal access tokens moved to the accounts app (people and their own credentials). The table
and its rows stay: it is renamed, and the model leaves this app's state only; accounts 0002 takes
it over. Existing tokens keep working."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("mcpgateway", "0006_connection_unique_while_live"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="personalaccesstoken", table="accounts_personalaccesstoken"),
            ],
            state_operations=[
                migrations.DeleteModel(name="PersonalAccessToken"),
            ],
        ),
    ]
