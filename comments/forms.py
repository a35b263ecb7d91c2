import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from newsportal.honeypot import HoneypotMixin

from . import services
from .models import BODY_MAX_LENGTH


class CommentForm(HoneypotMixin, forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        # The browser's own limit is a courtesy; check_body is the rule.
        widget=forms.Textarea(
            attrs={"rows": 4, "maxlength": BODY_MAX_LENGTH, "class": "comment-form__body"}
        ),
        strip=False,
        required=False,
    )
    parent = forms.IntegerField(widget=forms.HiddenInput, required=False)
    submission_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_token", uuid.uuid4())

    def clean_body(self):
        try:
            return services.check_body(self.cleaned_data.get("body", ""))
        except ValidationError as error:
            raise forms.ValidationError(error.messages, code=error.code) from None


class EditCommentForm(forms.Form):
    body = CommentForm.base_fields["body"]

    clean_body = CommentForm.clean_body
