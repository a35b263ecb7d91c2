from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.query_utils import DeferredAttribute
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from mptt.fields import TreeForeignKey
from mptt.models import MPTTModel

from .formatting import render_comment
from .querysets import CommentManager

BODY_MAX_LENGTH = 3000
EDIT_WINDOW_MINUTES = 15


class Comment(MPTTModel):
    """A comment under an article. Each top-level comment roots its own nested-set tree,
    so a reply rewrites at most one thread, never the whole discussion.

    Tree fields are written only through comments.tree; see there for why.
    """

    class Status(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        PENDING = "pending", _("Awaiting moderation")
        HIDDEN = "hidden", _("Hidden by a moderator")
        DELETED = "deleted", _("Deleted by its author")

    article = models.ForeignKey(
        "articles.Article",
        verbose_name=_("article"),
        on_delete=models.CASCADE,
        related_name="comments",
    )
    # A closed account leaves its comments in place, unsigned, so replies keep their context
    # and the nested sets keep no holes.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="comments",
    )
    parent = TreeForeignKey(
        "self",
        verbose_name=_("reply to"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
    )
    body = models.TextField(_("text"), max_length=BODY_MAX_LENGTH)
    body_html = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("written"), default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.VISIBLE
    )
    moderation_reason = models.CharField(_("moderation reason"), max_length=300, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)
    # A token the comment form carries, so a double-submitted form makes one comment.
    submission_token = models.UUIDField(null=True, blank=True, editable=False)
    # The comment's key in an imported archive, so importing the file again adds nothing twice.
    import_key = models.CharField(max_length=100, blank=True, default="", editable=False)
    # Denormalized vote counts, moved only by comments.services with F() in the same
    # transaction as the vote rows; never written by save() (see SAVED_FIELDS).
    # "Выбор редакции": at most one per article, shown above the threads.
    is_pinned = models.BooleanField(_("editors' pick"), default=False, editable=False)
    likes = models.PositiveIntegerField(default=0, editable=False)
    dislikes = models.PositiveIntegerField(default=0, editable=False)

    objects = CommentManager()

    class MPTTMeta:
        order_insertion_by = []

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        permissions = [
            ("moderate_comment", _("Can hide and restore comments")),
            ("pin_comment", _("Can pin a comment as the editors' pick")),
        ]
        indexes = [
            models.Index(fields=["tree_id", "lft"], name="comment_tree_order"),
            models.Index(
                fields=["article", "-created_at"],
                condition=Q(parent__isnull=True),
                name="comment_article_roots",
            ),
            models.Index(fields=["status", "-created_at"], name="comment_status_recent"),
            models.Index(fields=["author", "-created_at"], name="comment_author_recent"),
        ]
        constraints = [
            # A cheap safety net under the locking in comments.tree: two threads can
            # never share a tree.
            models.UniqueConstraint(
                fields=["tree_id"],
                condition=Q(parent__isnull=True),
                name="comment_one_root_per_tree",
            ),
            models.UniqueConstraint(
                fields=["author", "submission_token"],
                condition=Q(submission_token__isnull=False),
                name="comment_submission_once",
            ),
            models.UniqueConstraint(
                fields=["article"], condition=Q(is_pinned=True), name="comment_one_pin_per_article"
            ),
            models.UniqueConstraint(
                fields=["article", "import_key"],
                condition=~Q(import_key=""),
                name="comment_imported_once",
            ),
        ]

    def __str__(self):
        return f"{self.author} → {self.article_id}: {self.body[:40]}"

    def save(self, *args, **kwargs):
        from . import tree

        loaded_parent = self._mptt_cached_fields.get("parent", DeferredAttribute)
        moving = loaded_parent is not DeferredAttribute and loaded_parent != self.parent_id
        if self._state.adding or moving:
            tree.ensure_inside_tree_write()
        self.prepare_to_save()
        super().save(*args, **kwargs)

    def prepare_to_save(self):
        """What every write of the row does first (comments.tree's insert too)."""
        self.body_html = render_comment(self.body)

    def delete(self, *args, **kwargs):
        from . import tree

        tree.ensure_inside_tree_write()
        return super().delete(*args, **kwargs)

    # Fields a plain save() never writes back: the vote counters move only by F() updates.
    COUNTER_FIELDS = ("likes", "dislikes", "is_pinned")

    def _get_user_field_names(self):
        # mptt saves an existing node with update_fields = these names; leaving the counters
        # out means a stale copy (an admin form, an edit) cannot overwrite fresh votes.
        return [n for n in super()._get_user_field_names() if n not in self.COUNTER_FIELDS]

    @property
    def score(self):
        return self.likes - self.dislikes

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("comments:permalink", kwargs={"pk": self.pk})

    @property
    def anchor(self):
        return f"comment-{self.pk}"

    @property
    def is_visible(self):
        return self.status == self.Status.VISIBLE

    @property
    def was_edited(self):
        return self.edited_at is not None

    def editable_until(self):
        return self.created_at + timedelta(minutes=EDIT_WINDOW_MINUTES)


class CommentVote(models.Model):
    """A reader's like (+1) or dislike (-1) on someone else's comment."""

    class Value(models.IntegerChoices):
        LIKE = 1, _("Like")
        DISLIKE = -1, _("Dislike")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_votes"
    )
    value = models.SmallIntegerField(choices=Value.choices)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="one_vote_per_reader"),
        ]

    def __str__(self):
        return f"{self.value:+d} {self.user_id} → {self.comment_id}"
