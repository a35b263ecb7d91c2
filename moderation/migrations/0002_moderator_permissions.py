from django.db import migrations

# Moderators edit the banned words and the policy in the admin, and can read reports,
# appeals, sanctions and the log there (they change only through the moderation pages).
MODERATOR_PERMISSIONS = [
    ("moderation", "view_bannedword"),
    ("moderation", "add_bannedword"),
    ("moderation", "change_bannedword"),
    ("moderation", "delete_bannedword"),
    ("moderation", "view_moderationpolicy"),
    ("moderation", "change_moderationpolicy"),
    ("moderation", "view_report"),
    ("moderation", "view_appeal"),
    ("moderation", "view_sanction"),
    ("moderation", "view_moderationaction"),
]


def grant_moderators(apps, schema_editor):
    from accounts.roles import MODERATORS_GROUP, grant

    grant(apps, MODERATORS_GROUP, MODERATOR_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_newsroom_groups"),
        ("moderation", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(grant_moderators, migrations.RunPython.noop),
    ]
