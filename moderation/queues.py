"""The read side of moderation: the queues and the pages about one comment or one account,
each in a constant number of queries whatever their size."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from comments.models import Comment

from .models import Appeal, ModerationAction, Report, Sanction

PER_PAGE = 50
Status = Comment.Status

QUEUES = {
    "reports": _("Reports"),
    "pending": _("Awaiting moderation"),
    "hidden": _("Hidden"),
    "appeals": _("Appeals"),
}
DEFAULT_QUEUE = "reports"


def normalize_queue(name):
    return name if name in QUEUES else DEFAULT_QUEUE


def _open_reports(comment_ref="pk"):
    return Report.objects.filter(comment_id=OuterRef(comment_ref), resolved_at__isnull=True)


def _count_subquery(queryset, group_field):
    """A correlated COUNT(*) over `queryset` (already filtered on OuterRef)."""
    return Coalesce(
        Subquery(
            queryset.order_by().values(group_field).annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def queue_queryset(name):
    comments = Comment.objects.select_related(
        "article__category", "author", "parent__author", "moderated_by", "appeal__decided_by"
    ).prefetch_related(
        Prefetch(
            "reports",
            queryset=Report.objects.select_related("reporter", "resolved_by").order_by(
                "created_at", "pk"
            ),
            to_attr="report_list",
        )
    )
    if name == "reports":
        return (
            comments.filter(Exists(_open_reports()))
            .annotate(
                open_report_count=_count_subquery(_open_reports(), "comment_id"),
                first_report_at=Subquery(
                    _open_reports().order_by("created_at").values("created_at")[:1]
                ),
            )
            .order_by("-open_report_count", "first_report_at", "pk")
        )
    if name == "pending":
        return comments.filter(status=Status.PENDING).order_by("created_at", "pk")
    if name == "hidden":
        return comments.filter(status=Status.HIDDEN).order_by("-moderated_at", "-pk")
    return comments.filter(appeal__decided_at__isnull=True, appeal__isnull=False).order_by(
        "appeal__created_at", "pk"
    )


@dataclass
class AuthorStats:
    comments: int = 0
    hidden: int = 0
    reports: int = 0
    sanction: object = None


@dataclass
class QueueItem:
    comment: Comment
    stats: AuthorStats = field(default_factory=AuthorStats)

    @property
    def pk(self):
        return self.comment.pk

    @property
    def open_reports(self):
        return [r for r in self.comment.report_list if r.resolved_at is None]

    @property
    def reports(self):
        return self.comment.report_list

    @property
    def suggested_reason(self):
        """The hide reason preselected for the moderator: what the first report says."""
        for report in self.open_reports:
            if report.reason in (Report.Reason.SPAM, Report.Reason.INSULT):
                return report.reason
        return ""

    @property
    def appeal(self):
        try:
            return self.comment.appeal
        except Appeal.DoesNotExist:
            return None


def author_stats(author_ids):
    """{user id: AuthorStats}: comments written, comments hidden, reports received and the
    sanction in force; two queries for any number of authors."""
    author_ids = {pk for pk in author_ids if pk is not None}
    if not author_ids:
        return {}
    User = get_user_model()
    rows = User.objects.filter(pk__in=author_ids).annotate(
        n_comments=_count_subquery(Comment.objects.filter(author_id=OuterRef("pk")), "author_id"),
        n_hidden=_count_subquery(
            Comment.objects.filter(author_id=OuterRef("pk"), status=Status.HIDDEN), "author_id"
        ),
        n_reports=_count_subquery(
            Report.objects.filter(comment__author_id=OuterRef("pk")), "comment__author_id"
        ),
    )
    stats = {
        pk: AuthorStats(comments=written, hidden=hidden, reports=reports)
        for pk, written, hidden, reports in rows.values_list(
            "pk", "n_comments", "n_hidden", "n_reports"
        )
    }
    for sanction in (
        Sanction.objects.active().filter(user_id__in=author_ids).order_by("user_id", "-created_at")
    ):
        stats.setdefault(sanction.user_id, AuthorStats())
        if stats[sanction.user_id].sanction is None:
            stats[sanction.user_id].sanction = sanction
    return stats


def queue_page(name, page_number=1):
    name = normalize_queue(name)
    page = Paginator(queue_queryset(name), PER_PAGE).get_page(page_number)
    comments = list(page.object_list)
    stats = author_stats(c.author_id for c in comments)
    page.object_list = [
        QueueItem(comment=c, stats=stats.get(c.author_id, AuthorStats())) for c in comments
    ]
    return page


def comment_context(comment):
    """The comment's ancestors and direct replies, for reading it in context."""
    ancestors = list(comment.get_ancestors().select_related("author"))
    replies = list(
        Comment.objects.filter(parent_id=comment.pk).select_related("author").order_by("lft")[:20]
    )
    return ancestors, replies


def comment_history(comment):
    return list(
        ModerationAction.objects.filter(comment_id=comment.pk)
        .select_related("actor")
        .order_by("-created_at", "-pk")
    )


USER_HISTORY_LIMIT = 50


def user_history(user):
    comments = list(
        Comment.objects.filter(author=user)
        .select_related("article__category", "moderated_by")
        .order_by("-created_at", "-pk")[:USER_HISTORY_LIMIT]
    )
    sanctions = list(Sanction.objects.filter(user=user).select_related("created_by", "lifted_by"))
    actions = list(
        ModerationAction.objects.filter(Q(target_user=user) | Q(comment__author=user))
        .select_related("actor", "comment")
        .order_by("-created_at", "-pk")[:USER_HISTORY_LIMIT]
    )
    return comments, sanctions, actions
