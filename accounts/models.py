from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """The portal's account: readers, editors and moderators alike.

    Usernames are unique regardless of case, so "Айбалта" and "айбалта" are one person.
    """

    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    # A square picture, re-encoded and resized on upload (see accounts.avatars).
    avatar = models.ImageField(_("avatar"), upload_to="avatars/%Y/%m/", blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]

    def get_absolute_url(self):
        return reverse("accounts:profile", kwargs={"username": self.username})

    @property
    def public_name(self):
        return self.display_name or self.get_full_name() or self.username
