"""How allauth treats the portal's usernames: the rules of accounts.usernames at sign-up,
uniqueness regardless of case on every database, and log-in by a name typed in any case."""

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .usernames import is_reserved, normalize_username, user_named, users_named, validate_username


class AccountAdapter(DefaultAccountAdapter):
    def clean_username(self, username, shallow=False):
        username = normalize_username(username)
        validate_username(username)
        if is_reserved(username):
            raise ValidationError(
                _("The username “%(username)s” is reserved. Please choose another one."),
                code="username_reserved",
                params={"username": username},
            )
        if not shallow and users_named(username).exists():
            raise ValidationError(
                _(
                    "The username “%(username)s” is already taken. Letter case does not "
                    "matter: “Ivan” and “ivan” are the same name. Please choose another one."
                ),
                code="username_taken",
                params={"username": username},
            )
        return username

    def authenticate(self, request, **credentials):
        # allauth looks usernames up with __iexact, which SQLite applies to ASCII letters
        # only; hand it the stored spelling of the name instead, found case-insensitively.
        login = credentials.get("username")
        if login and "@" not in login:
            user = user_named(login)
            if user is not None:
                credentials["username"] = user.username
        return super().authenticate(request, **credentials)
