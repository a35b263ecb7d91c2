"""The newsroom's roles. Code checks permissions, never group names; the groups only
bundle the permissions an editor or a moderator needs."""

EDITORS_GROUP = "Редакторы"
MODERATORS_GROUP = "Модераторы"

EDITOR_PERMISSIONS = [
    ("articles", "add_article"),
    ("articles", "change_article"),
    ("articles", "delete_article"),
    ("articles", "view_article"),
    ("articles", "preview_article"),
    ("articles", "add_category"),
    ("articles", "change_category"),
    ("articles", "delete_category"),
    ("articles", "view_category"),
    ("articles", "add_articleimage"),
    ("articles", "change_articleimage"),
    ("articles", "delete_articleimage"),
    ("articles", "view_articleimage"),
]

MODERATOR_PERMISSIONS = [
    ("comments", "view_comment"),
    ("comments", "change_comment"),
    ("comments", "moderate_comment"),
]
# These lists are read by the data migrations that created the groups, so they stay as
# they were; permissions added later are granted by later migrations (comments 0004 gives
# both groups comments.pin_comment).


def grant(apps, group_name, permissions):
    """Create the group if needed and give it `permissions` (app_label, codename) pairs.

    Meant for data migrations: the permissions are created first if post_migrate has not
    run yet for their apps.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=group_name)
    for app_label, codename in permissions:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
