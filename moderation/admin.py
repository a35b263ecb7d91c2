"""Moderators' settings (banned words, the policy) are edited here. Reports, appeals,
sanctions and the log are only read here: they change through the moderation pages, so
that every change leaves its audit row."""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from comments.formatting import excerpt

from .models import Appeal, BannedWord, ModerationAction, ModerationPolicy, Report, Sanction


@admin.register(BannedWord)
class BannedWordAdmin(admin.ModelAdmin):
    list_display = ["pattern", "kind", "label", "is_active", "created_at"]
    list_editable = ["is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["pattern", "label"]
    fields = ["pattern", "kind", "label", "is_active"]


@admin.register(ModerationPolicy)
class ModerationPolicyAdmin(admin.ModelAdmin):
    fields = ["hold_banned_words", "hold_links_from_new_accounts", "new_account_hours"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ModerationPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # One row: the list is the form.
        policy = ModerationPolicy.get_solo()
        return HttpResponseRedirect(
            reverse("admin:moderation_moderationpolicy_change", args=[policy.pk])
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _comment_link(comment_id):
    if comment_id is None:
        return "—"
    return format_html(
        '<a href="{}">#{}</a>', reverse("moderation:comment", kwargs={"pk": comment_id}), comment_id
    )


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "comment_link", "reporter", "reason", "short_text", "resolution"]
    list_filter = ["reason", "resolution", "created_at"]
    list_select_related = ["reporter"]
    search_fields = ["text", "reporter__username", "comment__body"]
    date_hierarchy = "created_at"

    @admin.display(description=_("comment"))
    def comment_link(self, report):
        return _comment_link(report.comment_id)

    @admin.display(description=_("details"))
    def short_text(self, report):
        return excerpt(report.text, 80)


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "comment_link", "author", "decision", "decided_by", "decided_at"]
    list_filter = ["decision", "created_at"]
    list_select_related = ["author", "decided_by"]
    search_fields = ["text", "author__username"]

    @admin.display(description=_("comment"))
    def comment_link(self, appeal):
        return _comment_link(appeal.comment_id)


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "until", "created_by", "created_at", "lifted_at"]
    list_filter = ["kind", "created_at", "lifted_at"]
    list_select_related = ["user", "created_by"]
    search_fields = ["user__username", "reason"]


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "comment_link", "target_user", "reason"]
    list_filter = ["action", "created_at", ("actor", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["actor", "target_user"]
    search_fields = ["reason", "actor__username", "target_user__username"]
    date_hierarchy = "created_at"

    @admin.display(description=_("comment"))
    def comment_link(self, action):
        return _comment_link(action.comment_id)
