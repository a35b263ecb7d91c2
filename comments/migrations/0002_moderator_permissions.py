from django.db import migrations

from accounts.roles import MODERATOR_PERMISSIONS, MODERATORS_GROUP, grant


def grant_moderators(apps, schema_editor):
    grant(apps, MODERATORS_GROUP, MODERATOR_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0001_initial"),
        ("accounts", "0002_newsroom_groups"),
    ]

    operations = [migrations.RunPython(grant_moderators, migrations.RunPython.noop)]
