"""An invisible field that people never fill in and form-filling bots usually do.

No third-party captcha, nothing asked of readers: the field sits off-screen, out of the tab
order and hidden from screen readers; a submission that fills it is refused as a whole."""

from django import forms
from django.utils.translation import gettext_lazy as _

FIELD_NAME = "website"


class HoneypotField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            required=False,
            label=_("Leave this field empty"),
            widget=forms.TextInput(
                attrs={"autocomplete": "off", "tabindex": "-1", "class": "hp-input"}
            ),
            **kwargs,
        )

    def clean(self, value):
        if value:
            raise forms.ValidationError(
                _("The form could not be sent. Please try again."), code="honeypot"
            )
        return ""


class HoneypotMixin:
    """Adds the field to a form; its error is raised as a form-wide error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[FIELD_NAME] = HoneypotField()

    def clean(self):
        cleaned = super().clean()
        if FIELD_NAME in self.errors:
            self.add_error(None, self.errors.pop(FIELD_NAME))
        return cleaned
