"""Store every username case-folded, so "Айбалта" and "айбалта" clash on SQLite too."""

import unicodedata

from django.db import migrations, models


def fill_keys(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    seen = set()
    for user in User.objects.order_by("pk").only("pk", "username").iterator():
        key = unicodedata.normalize("NFKC", user.username or "").strip().casefold()
        if not key or key in seen:
            # A case-variant of an older account (possible on SQLite): it keeps working,
            # found through its username, and an administrator can rename it.
            continue
        seen.add(key)
        User.objects.filter(pk=user.pk).update(username_key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_avatar"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.CharField(editable=False, max_length=150, null=True, unique=True),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
    ]
