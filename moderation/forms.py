from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .models import (
    APPEAL_TEXT_MAX_LENGTH,
    DECISION_REASON_MAX_LENGTH,
    REPORT_TEXT_MAX_LENGTH,
    SANCTION_REASON_MAX_LENGTH,
    Report,
)


class ReasonForm(forms.Form):
    """Why a comment is hidden or rejected: one of HIDE_REASONS, or the moderator's words."""

    reason = forms.ChoiceField(label=_("Reason"), choices=services.HIDE_REASONS)
    reason_text = forms.CharField(
        label=_("Reason in your own words"),
        max_length=services.REASON_MAX_LENGTH,
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        if "reason" in cleaned:
            try:
                cleaned["final_reason"] = services.check_reason(
                    services.reason_from(cleaned["reason"], cleaned.get("reason_text", ""))
                )
            except ValidationError as error:
                self.add_error("reason_text", error)
        return cleaned


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong with the comment?"),
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Details"),
        help_text=_("Required when you choose “Other”."),
        max_length=REPORT_TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REPORT_TEXT_MAX_LENGTH}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == Report.Reason.OTHER and not cleaned.get("text", "").strip():
            self.add_error("text", _("Tell the moderators what is wrong with this comment."))
        return cleaned


class AppealForm(forms.Form):
    text = forms.CharField(
        label=_("Why should the comment be shown again?"),
        max_length=APPEAL_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": APPEAL_TEXT_MAX_LENGTH}),
    )


class DecideAppealForm(forms.Form):
    grant = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Grant: show the comment again")), ("0", _("Deny: keep it hidden"))],
        coerce=lambda value: value == "1",
    )
    reason = forms.CharField(
        label=_("Reason for the author"),
        max_length=DECISION_REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": DECISION_REASON_MAX_LENGTH}),
    )


class SanctionForm(forms.Form):
    ACTIONS = [("suspend", _("Suspend")), ("ban", _("Ban")), ("lift", _("Lift the sanction"))]

    action = forms.ChoiceField(choices=ACTIONS)
    days = forms.TypedChoiceField(
        label=_("For"),
        choices=[(str(days), days) for days in services.SUSPEND_DAYS],
        coerce=int,
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason (shown to the user)"),
        max_length=SANCTION_REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": SANCTION_REASON_MAX_LENGTH}),
    )
    hide_comments = forms.BooleanField(label=_("Also hide all their comments"), required=False)

    def __init__(self, *args, **kwargs):
        from django.utils.translation import ngettext

        super().__init__(*args, **kwargs)
        self.fields["days"].choices = [
            (str(days), ngettext("%(days)d day", "%(days)d days", days) % {"days": days})
            for days in services.SUSPEND_DAYS
        ]

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == "suspend" and not cleaned.get("days"):
            self.add_error("days", _("Choose how long the suspension lasts."))
        if action in ("suspend", "ban") and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Give a reason: the user will see it."))
        return cleaned


BULK_ACTIONS = [
    ("hide", _("Hide")),
    ("approve", _("Approve")),
    ("dismiss", _("Dismiss reports")),
]


class BulkForm(ReasonForm):
    action = forms.ChoiceField(choices=BULK_ACTIONS)
    comment = forms.TypedMultipleChoiceField(
        coerce=int, choices=[], error_messages={"required": _("Choose at least one comment.")}
    )
    MAX_ITEMS = 100

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = False
        data = self.data.getlist("comment") if hasattr(self.data, "getlist") else []
        # Any whole numbers are acceptable ids; which exist is settled by the view.
        self.fields["comment"].choices = [(v, v) for v in data if str(v).isdigit()]

    def clean_comment(self):
        ids = self.cleaned_data["comment"]
        if len(ids) > self.MAX_ITEMS:
            raise ValidationError(
                _("Choose at most %(count)d comments at once.") % {"count": self.MAX_ITEMS}
            )
        return ids

    def clean(self):
        cleaned = forms.Form.clean(self)
        if cleaned.get("action") == "hide":
            try:
                cleaned["final_reason"] = services.check_reason(
                    services.reason_from(cleaned.get("reason", ""), cleaned.get("reason_text", ""))
                )
            except ValidationError as error:
                self.add_error("reason_text", error)
        return cleaned
