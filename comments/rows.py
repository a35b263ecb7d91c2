"""Light read-only rows for drawing a discussion.

A page of a hot discussion holds thousands of comments; building a full model instance
(with mptt's bookkeeping) for each costs more than fetching them. The page reads plain
column values into these rows instead, with the few methods drawing needs.
"""

from django.core.files.storage import default_storage
from django.urls import reverse

from accounts.models import initial_of

from .models import Comment

COMMENT_COLUMNS = (
    "pk",
    "article_id",
    "parent_id",
    "tree_id",
    "lft",
    "rght",
    "level",
    "status",
    "body_html",
    "created_at",
    "edited_at",
    "moderation_reason",
    "likes",
    "dislikes",
    "is_pinned",
    "author_id",
)
AUTHOR_COLUMNS = (
    "author__username",
    "author__display_name",
    "author__first_name",
    "author__last_name",
    "author__avatar",
)
AUTHOR_ID_INDEX = COMMENT_COLUMNS.index("author_id")


class AuthorRow:
    __slots__ = ("avatar_name", "pk", "public_name", "username")

    def __init__(self, pk, username, display_name, first_name, last_name, avatar_name):
        self.pk = pk
        self.username = username
        full_name = f"{first_name} {last_name}".strip()
        self.public_name = display_name or full_name or username
        self.avatar_name = avatar_name

    @property
    def initial(self):
        return initial_of(self.public_name)

    @property
    def avatar_url(self):
        return default_storage.url(self.avatar_name) if self.avatar_name else ""

    def get_absolute_url(self):
        return reverse("accounts:profile", kwargs={"username": self.username})


class CommentRow:
    __slots__ = (*COMMENT_COLUMNS, "author")

    Status = Comment.Status

    def __init__(self, values, author):
        # One unpacking, in COMMENT_COLUMNS' order: thousands of rows per page.
        (
            self.pk,
            self.article_id,
            self.parent_id,
            self.tree_id,
            self.lft,
            self.rght,
            self.level,
            self.status,
            self.body_html,
            self.created_at,
            self.edited_at,
            self.moderation_reason,
            self.likes,
            self.dislikes,
            self.is_pinned,
            self.author_id,
        ) = values
        self.author = author

    editable_until = Comment.editable_until
    get_absolute_url = Comment.get_absolute_url
    anchor = Comment.anchor

    @property
    def is_visible(self):
        return self.status == Comment.Status.VISIBLE


def comment_rows(queryset):
    """The queryset's comments as rows, each author built once however often they wrote."""
    authors = {None: None}
    rows = []
    comment_width = len(COMMENT_COLUMNS)
    for values in queryset.values_list(*COMMENT_COLUMNS, *AUTHOR_COLUMNS):
        author_id = values[AUTHOR_ID_INDEX]
        author = authors.get(author_id)
        if author is None and author_id is not None:
            author = authors[author_id] = AuthorRow(author_id, *values[comment_width:])
        rows.append(CommentRow(values[:comment_width], author))
    return rows
