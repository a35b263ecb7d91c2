"""Month names as they follow a day number ("26 қараша"), marked for translation here so
that `make messages` keeps them in our catalogues: Django's own Kazakh catalogue has them
capitalized, and ours overrides it. Never imported; it exists for makemessages."""

from django.utils.translation import pgettext_lazy

# Translators: month name after a day number ("26 қараша"); overrides Django's own catalog.
MONTHS = [
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
]
