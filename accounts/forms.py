import re
import unicodedata

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.utils.translation import gettext_lazy as _

from newsportal.honeypot import HoneypotMixin

from . import avatars, usernames
from .models import User

# Characters that reorder or hide text; they have no place in a name.
BIDI_AND_INVISIBLE = re.compile(
    "[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# Characters that render as nothing at all, used to make a name look empty.
BLANK_LOOKING = set("\u115f\u1160\u3164\uffa0\u2800")


def _labels_not_placeholders(form):
    # Labels stand above the inputs; a placeholder repeating them is only noise.
    for field in form.fields.values():
        field.widget.attrs.pop("placeholder", None)


class LoginForm(AllauthLoginForm):
    """allauth's log-in form, its one field labelled for what it takes: a username or an
    e-mail address."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = login.widget.attrs.get("placeholder") or login.label
        # "username" is the token password managers expect for a log-in name, e-mail or not.
        login.widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        _labels_not_placeholders(self)


class SignupForm(HoneypotMixin, AllauthSignupForm):
    """allauth's sign-up form, telling readers the username rules before they break them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _labels_not_placeholders(self)
        field = self.fields["username"]
        field.help_text = _(
            "%(min)s–%(max)s characters: letters (Cyrillic, Kazakh or Latin), digits and "
            "_ . - ; no spaces. Other readers see it next to your comments."
        ) % {"min": usernames.MIN_LENGTH, "max": usernames.MAX_LENGTH}
        field.widget.attrs.update(
            {
                "maxlength": str(usernames.MAX_LENGTH),
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        )


class SettingsForm(forms.ModelForm):
    """The public name and the avatar; the password and e-mail have allauth's pages."""

    avatar = forms.FileField(
        label=_("New avatar"),
        required=False,
        help_text=_("JPEG, PNG, WebP or GIF, at most 5 MB, at least 64×64 pixels."),
        widget=forms.FileInput(attrs={"accept": avatars.ACCEPT}),
    )
    remove_avatar = forms.BooleanField(label=_("Remove the avatar"), required=False)

    class Meta:
        model = User
        fields = ["display_name"]
        help_texts = {
            "display_name": _(
                "Shown instead of your username, for example “Айгерим Нурланова”. "
                "Leave it empty to be shown by your username."
            )
        }

    def clean_display_name(self):
        name = unicodedata.normalize("NFC", self.cleaned_data.get("display_name") or "")
        if BIDI_AND_INVISIBLE.search(name) or any(
            unicodedata.category(char) == "Cc" for char in name
        ):
            raise forms.ValidationError(
                _("The name contains invisible or control characters; please type it again."),
                code="control_characters",
            )
        name = " ".join(name.split())
        if name and all(
            char in BLANK_LOOKING or unicodedata.category(char)[0] in "ZMC" for char in name
        ):
            raise forms.ValidationError(
                _("The name must contain letters or digits."), code="blank_name"
            )
        if len(name) > User._meta.get_field("display_name").max_length:
            raise forms.ValidationError(
                _("The name can be at most %(max)d characters long."),
                code="too_long",
                params={"max": User._meta.get_field("display_name").max_length},
            )
        return name

    def clean_avatar(self):
        upload = self.cleaned_data.get("avatar")
        if not upload:
            return None
        avatars.validate_avatar(upload)
        return avatars.make_avatar(upload)

    def save(self, commit=True):
        user = super().save(commit=False)
        new_avatar = self.cleaned_data.get("avatar")
        old_name = user.avatar.name if user.avatar else ""
        if new_avatar is not None:
            user.avatar.save(new_avatar.name, new_avatar, save=False)
        elif self.cleaned_data.get("remove_avatar"):
            user.avatar = None
        if commit:
            user.save()
            if old_name and old_name != (user.avatar.name if user.avatar else ""):
                avatars.delete_file_later(user.avatar.storage, old_name)
        return user
