from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from moderation import services as moderation
from moderation.models import ModerationAction, Report

from .formatting import excerpt
from .models import Comment

ADMIN_HIDE_REASON = "other"


class ReportedFilter(admin.SimpleListFilter):
    title = _("reports")
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return [("open", _("Open reports")), ("any", _("Ever reported"))]

    def queryset(self, request, queryset):
        reports = Report.objects.filter(comment=OuterRef("pk"))
        if self.value() == "open":
            return queryset.filter(Exists(reports.filter(resolved_at__isnull=True)))
        if self.value() == "any":
            return queryset.filter(Exists(reports))
        return queryset


class ModerationActionInline(admin.TabularInline):
    """The comment's audit trail, read-only."""

    model = ModerationAction
    fk_name = "comment"
    fields = ["created_at", "actor", "action", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("moderation history")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """Comments are read and moderated here, never added or removed: new comments come
    through the article page or the importer, and removal is a status, so threads keep
    their shape (tree writes belong to comments.tree alone). Every change of status goes
    through moderation.services, so it is checked and recorded like one made on the site."""

    list_display = ["short_body", "author", "article", "status", "open_reports", "created_at"]
    list_filter = ["status", ReportedFilter, "created_at", "is_pinned"]
    list_select_related = ["author", "article"]
    search_fields = ["body", "author__username", "author__display_name"]
    autocomplete_fields = []
    date_hierarchy = "created_at"
    actions = ["hide_selected", "show_selected", "approve_selected"]
    inlines = [ModerationActionInline]
    readonly_fields = [
        "article",
        "author",
        "thread_context",
        "body",
        "status",
        "moderation_reason",
        "moderated_by",
        "moderated_at",
        "created_at",
        "edited_at",
        "likes",
        "dislikes",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        open_reports = Report.objects.filter(comment=OuterRef("pk"), resolved_at__isnull=True)
        return super().get_queryset(request).annotate(has_open_reports=Exists(open_reports))

    @admin.display(description=_("text"))
    def short_body(self, comment):
        return excerpt(comment.body, 80)

    @admin.display(description=_("open reports"), boolean=True, ordering="has_open_reports")
    def open_reports(self, comment):
        return comment.has_open_reports

    @admin.display(description=_("in its thread"))
    def thread_context(self, comment):
        """The comment it answers and the replies it got, each linked to its own page."""

        def line(other, marker):
            url = reverse("admin:comments_comment_change", args=[other.pk])
            author = other.author.public_name if other.author else "—"
            return (
                marker,
                url,
                author,
                excerpt(other.body, 100) or "…",
                other.get_status_display(),
            )

        rows = []
        if comment.parent_id:
            rows.append(line(comment.parent, "↑"))
        rows.extend(
            line(reply, "↳")
            for reply in comment.get_children().select_related("author").order_by("lft")[:20]
        )
        if not rows:
            return _("A thread of its own, without replies.")
        site_link = format_html(
            '<p><a href="{}">{}</a></p>', comment.get_absolute_url(), _("See it on the site")
        )
        return site_link + format_html_join("", '<p>{} <a href="{}">{}: {}</a> ({})</p>', rows)

    def _apply(self, request, queryset, action, done_message):
        done = 0
        for comment in queryset.select_related("article"):
            try:
                if action == "hide":
                    moderation.hide(
                        request.user,
                        comment,
                        moderation.reason_from(ADMIN_HIDE_REASON, str(_("Hidden in the admin"))),
                    )
                elif action == "show":
                    moderation.show(request.user, comment)
                else:
                    moderation.approve(request.user, comment)
                done += 1
            except (PermissionDenied, ValidationError):
                continue  # not in a state this action applies to
        self.message_user(request, done_message(done), messages.SUCCESS)

    @admin.action(description=_("Hide the selected comments"), permissions=["moderate"])
    def hide_selected(self, request, queryset):
        self._apply(
            request,
            queryset.filter(status=Comment.Status.VISIBLE),
            "hide",
            lambda n: ngettext("%(n)d comment hidden.", "%(n)d comments hidden.", n) % {"n": n},
        )

    @admin.action(description=_("Show the selected comments"), permissions=["moderate"])
    def show_selected(self, request, queryset):
        self._apply(
            request,
            queryset.filter(status=Comment.Status.HIDDEN),
            "show",
            lambda n: ngettext("%(n)d comment shown.", "%(n)d comments shown.", n) % {"n": n},
        )

    @admin.action(description=_("Approve the selected comments"), permissions=["moderate"])
    def approve_selected(self, request, queryset):
        self._apply(
            request,
            queryset.filter(status=Comment.Status.PENDING),
            "approve",
            lambda n: ngettext("%(n)d comment approved.", "%(n)d comments approved.", n) % {"n": n},
        )

    def has_moderate_permission(self, request):
        return request.user.has_perm("comments.moderate_comment")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The form is read-only; actions do the changing, through moderation.services.
        return False

    def has_delete_permission(self, request, obj=None):
        return False
