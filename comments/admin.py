from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .formatting import excerpt
from .models import Comment


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """Comments are read and moderated here, never added or removed: new comments come
    through the article page or the importer, and removal is a status, so threads keep
    their shape (tree writes belong to comments.tree alone)."""

    list_display = ["short_body", "author", "article", "status", "created_at"]
    list_filter = ["status", "created_at"]
    list_select_related = ["author", "article"]
    search_fields = ["body", "author__username", "article__title"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "article",
        "author",
        "parent",
        "created_at",
        "edited_at",
        "moderated_by",
        "moderated_at",
    ]
    fields = [
        "article",
        "author",
        "parent",
        "body",
        "status",
        "moderation_reason",
        "created_at",
        "edited_at",
        "moderated_by",
        "moderated_at",
    ]

    @admin.display(description=_("text"))
    def short_body(self, comment):
        return excerpt(comment.body, 80)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
