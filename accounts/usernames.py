"""Usernames: what a reader may choose at sign-up, and how names are compared.

A username is 3–30 letters (Cyrillic, including the Kazakh letters, or Latin), digits and
the characters _ . - ; it is shown in profile addresses (/users/Айбалта/), so spaces, @
and other punctuation are refused. "Айбалта" and "айбалта" are one name: names are
compared by `username_key()`, which every user row stores (User.username_key), because
SQLite's LOWER() and LIKE fold only ASCII letters, so the database alone cannot tell
"Айбалта" from "айбалта" there.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MIN_LENGTH = 3
MAX_LENGTH = 30

# Latin letters, the Cyrillic block's letters (Russian, Kazakh әғқңөұүһі, Ukrainian, ...),
# ASCII digits and three separators. U+0482..U+0489 are Cyrillic signs and combining
# marks, not letters.
ALLOWED_CHARACTER = re.compile(r"[0-9A-Za-z\u0400-\u0481\u048a-\u04ff_.\-]")
LETTER_OR_DIGIT = re.compile(r"[0-9A-Za-z\u0400-\u0481\u048a-\u04ff]")

# Names nobody may register: the site's own words, and names that would pass a reader off
# as the newsroom. Compared after folding case, dropping _ . - and mapping Cyrillic letters
# that look like Latin ones, so "Аdmin" (Cyrillic А) and "ad.min" are refused too.
RESERVED_NAMES = {
    "about", "account", "accounts", "admin", "administrator", "anonymous", "api", "comments",
    "contact", "editor", "editors", "help", "info", "login", "logout", "media",
    "moderator", "moderators", "news", "newsroom", "none", "null", "password", "profile",
    "register", "root", "security", "settings", "signin", "signup", "site", "static",
    "staff", "support", "system", "user", "users", "webmaster",
    "админ", "администратор", "администрация", "аноним", "модератор", "модераторы",
    "поддержка", "редактор", "редакция", "әкімші",
}  # fmt: skip
# Names that may not even start with these: "moderator_almaty", "Редакция2".
RESERVED_PREFIXES = ("admin", "moderator", "админ", "модератор", "редакция", "әкімші")

# Cyrillic letters that look like Latin ones, for the reserved-name comparison only.
LOOKALIKES = str.maketrans("аеорсхуквмтніѕјһү", "aeopcxykbmthisjhy")


def normalize_username(username):
    """The form a username is stored in: NFKC, as Django's AbstractUser does."""
    return unicodedata.normalize("NFKC", username or "").strip()


def username_key(username):
    """The comparison key: two usernames name the same person when their keys are equal."""
    return normalize_username(username).casefold()


def _skeleton(username):
    return re.sub(r"[_.\-]", "", username_key(username)).translate(LOOKALIKES)


def is_reserved(username):
    skeleton = _skeleton(username)
    reserved = {_skeleton(name) for name in RESERVED_NAMES}
    prefixes = tuple(_skeleton(prefix) for prefix in RESERVED_PREFIXES)
    return skeleton in reserved or skeleton.startswith(prefixes)


def validate_username(username):
    """Refuse a username readers could not use, with a message that says what to change."""
    username = normalize_username(username)
    if any(char.isspace() for char in username):
        raise ValidationError(
            _("A username cannot contain spaces. Use _ . or - instead, for example ivan_petrov."),
            code="username_spaces",
        )
    if "@" in username:
        raise ValidationError(
            _(
                "A username cannot contain @. Your e-mail address goes in the e-mail field; "
                "the username is the name other readers see."
            ),
            code="username_at",
        )
    wrong = []
    for char in username:
        if not ALLOWED_CHARACTER.fullmatch(char) and char not in wrong:
            wrong.append(char)
    if wrong:
        raise ValidationError(
            _(
                "A username can contain only letters (Cyrillic, Kazakh or Latin), digits and "
                "the characters _ . - ; these are not allowed: %(characters)s"
            ),
            code="username_characters",
            # Invisible and control characters are named, not printed: printed, they would
            # reorder or hide the message itself.
            params={"characters": " ".join(_shown(char) for char in wrong)},
        )
    if len(username) < MIN_LENGTH:
        raise ValidationError(
            _("A username must be at least %(min)d characters long."),
            code="username_too_short",
            params={"min": MIN_LENGTH},
        )
    if len(username) > MAX_LENGTH:
        raise ValidationError(
            _("A username can be at most %(max)d characters long."),
            code="username_too_long",
            params={"max": MAX_LENGTH},
        )
    if not LETTER_OR_DIGIT.search(username):
        raise ValidationError(
            _("A username must contain at least one letter or digit."),
            code="username_no_letters",
        )


# For ACCOUNT_USERNAME_VALIDATORS, which wants the import path of a list.
USERNAME_VALIDATORS = [validate_username]


def users_named(username):
    """Users whose name equals `username` regardless of case.

    Rows written before User.username_key existed, or by bulk inserts that bypass save(),
    have no key; for those fall back to the database's own case-insensitive comparison.
    """
    from django.contrib.auth import get_user_model

    key = username_key(username)
    return get_user_model()._default_manager.filter(
        Q(username_key=key) | Q(username_key__isnull=True, username__iexact=username)
    )


def user_named(username, **filters):
    """The one user with this name regardless of case, or None."""
    if not username:
        return None
    found = list(users_named(username).filter(**filters)[:2])
    return found[0] if len(found) == 1 else None


def _shown(char):
    if unicodedata.category(char) in ("Cf", "Cc", "Zl", "Zp", "Zs"):
        return f"U+{ord(char):04X}"
    return char
