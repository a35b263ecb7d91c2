from django.db import migrations

from accounts.roles import EDITOR_PERMISSIONS, EDITORS_GROUP, MODERATORS_GROUP, grant


def create_groups(apps, schema_editor):
    grant(apps, EDITORS_GROUP, EDITOR_PERMISSIONS)
    # Moderators' permissions are added by the comments app's migrations.
    grant(apps, MODERATORS_GROUP, [])


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=[EDITORS_GROUP, MODERATORS_GROUP]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("articles", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
