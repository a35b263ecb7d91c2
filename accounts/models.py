import unicodedata

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .usernames import username_key


class User(AbstractUser):
    """The portal's account: readers, editors and moderators alike.

    Usernames are unique regardless of case, so "Айбалта" and "айбалта" are one person.
    PostgreSQL enforces that with the unique index on LOWER(username); SQLite's LOWER()
    folds only ASCII letters, so every row also stores `username_key` (the name
    case-folded), unique too, which holds on any database and is what lookups use.
    """

    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    # A square picture, re-encoded and resized on upload (see accounts.avatars).
    avatar = models.ImageField(_("avatar"), upload_to="avatars/%Y/%m/", blank=True)
    # Set by save(); NULL (not "", which would clash in the unique index) only for rows
    # written around save() (bulk inserts), which accounts.usernames still finds by username.
    username_key = models.CharField(  # noqa: DJ001
        max_length=150, unique=True, null=True, editable=False
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]

    def save(self, *args, **kwargs):
        self.username_key = username_key(self.username) or None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_key"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        key = username_key(self.username)
        if (
            key
            and type(self)._default_manager.filter(username_key=key).exclude(pk=self.pk).exists()
        ):
            raise ValidationError(
                {
                    "username": ValidationError(
                        _(
                            "A user with that username already exists "
                            "(letter case does not matter)."
                        ),
                        code="unique",
                    )
                }
            )

    def get_absolute_url(self):
        return reverse("accounts:profile", kwargs={"username": self.username})

    @property
    def public_name(self):
        return self.display_name or self.get_full_name() or self.username

    @property
    def initial(self):
        """The first letter or digit of the public name, for the avatar placeholder."""
        return initial_of(self.public_name)

    @property
    def avatar_url(self):
        return self.avatar.url if self.avatar else ""


def initial_of(name):
    for char in name:
        if unicodedata.category(char)[0] in "LN":
            return char.upper()
    return "?"
