"""The read side of a discussion: which threads a page shows, in what order, and the
comments in them, in a constant number of queries whatever the discussion's size."""

from dataclasses import dataclass, field
from functools import cached_property

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, F, Max, Q
from django.utils.translation import gettext_lazy as _

from moderation.services import appeals_for

from . import fragments
from .models import Comment, CommentVote
from .rendering import DiscussionSection
from .rows import comment_rows
from .services import LATEST_CACHE_KEY, can_delete, can_edit

THREADS_PER_PAGE = 20
# Replies deeper than this are drawn at this depth, so a long thread stays readable on a phone.
MAX_INDENT = 5
LATEST_COUNT = 8
LATEST_CACHE_SECONDS = 60

SORTS = {
    "newest": (_("Newest first"), ["-created_at", "-pk"]),
    "oldest": (_("Oldest first"), ["created_at", "pk"]),
    "replies": (_("Most replies"), [(F("rght") - F("lft")).desc(), "-created_at", "-pk"]),
    "liked": (_("Most liked"), [(F("likes") - F("dislikes")).desc(), "-created_at", "-pk"]),
}
DEFAULT_SORT = "newest"

VISIBLE = Comment.Status.VISIBLE
HIDDEN = Comment.Status.HIDDEN
PENDING = Comment.Status.PENDING
DELETED = Comment.Status.DELETED


@dataclass(frozen=True)
class Viewer:
    """Who is reading, and what they may do; worked out once per page."""

    user: object
    can_moderate: bool = False
    can_pin: bool = False

    @classmethod
    def of(cls, user):
        if not user.is_authenticated:
            return cls(user)
        # Only staff can hold these permissions here, so readers' pages skip the lookup.
        if not (user.is_staff or user.is_superuser):
            return cls(user)
        return cls(
            user,
            can_moderate=user.has_perm("comments.moderate_comment"),
            can_pin=user.has_perm("comments.pin_comment"),
        )

    @cached_property  # request.user is lazy: every look costs, and pages look often
    def pk(self):
        return self.user.pk if self.user.is_authenticated else None

    @property
    def sees_only_public_threads(self):
        """Anonymous readers, and the stand-in signed-in pages are drawn for (pk 0, which
        is nobody's), see the same threads: no moderation, no threads of their own."""
        return not self.can_moderate and self.pk in (None, 0)


@dataclass(slots=True)
class ShownComment:
    """A comment as the page draws it: the row, and what this reader may see and do.
    (shown_comments builds most of these positionally: keep the fields in this order.)"""

    comment: Comment
    indent: int
    placeholder: str = ""  # shown instead of the text when the comment is gone
    is_own: bool = False
    can_edit: bool = False
    can_delete: bool = False
    can_reply: bool = False
    can_vote: bool = False
    can_report: bool = False
    can_moderate: bool = False
    can_pin: bool = False
    my_vote: int = 0

    @property
    def pk(self):
        return self.comment.pk


@dataclass
class Discussion:
    article: object
    sort: str
    page: object
    comments: list = field(default_factory=list)
    total: int = 0
    pinned: object = None
    viewer: object = None
    appeals: dict = field(default_factory=dict)  # the reader's appeals, by comment id

    @property
    def sorts(self):
        return [(key, label) for key, (label, _order) in SORTS.items()]

    @property
    def section(self):
        """The drawn section, for {% include discussion.section %}."""
        return DiscussionSection(self)


def normalize_sort(value):
    return value if value in SORTS else DEFAULT_SORT


def threads_for(article, viewer):
    """Top-level comments that have something to show this reader.

    A removed root stays if it has replies, as a placeholder; whether those replies are
    themselves visible is settled when the page's comments are loaded. Moderators see
    every thread but the ones their authors deleted.
    """
    removed_with_replies = Q(rght__gt=F("lft") + 1)
    # A hidden comment always leaves its placeholder: readers see that moderation happened.
    shown = Q(status__in=[Comment.Status.VISIBLE, Comment.Status.HIDDEN]) | removed_with_replies
    if viewer.can_moderate:
        shown |= ~Q(status=Comment.Status.DELETED)
    elif viewer.pk is not None:
        shown |= Q(author_id=viewer.pk) & ~Q(status=Comment.Status.DELETED)
    return Comment.objects.filter(article=article, parent__isnull=True).filter(shown)


def build(article, user, sort=DEFAULT_SORT, page_number=1):
    viewer = Viewer.of(user)
    sort = normalize_sort(sort)
    index = thread_index(article, viewer, sort)
    page = Paginator(index.tree_ids, THREADS_PER_PAGE).get_page(page_number)
    tree_ids = list(page.object_list)
    rows = page_rows(article, page, tree_ids) if tree_ids else []
    pinned = None
    if index.pinned_id:
        pinned = next((c for c in rows if c.pk == index.pinned_id), None) or next(
            iter(comment_rows(Comment.objects.filter(pk=index.pinned_id))), None
        )
    own_hidden = []
    if viewer.pk is not None:
        own_hidden = [c for c in rows if c.author_id == viewer.pk and c.status == HIDDEN]
    return Discussion(
        article=article,
        sort=sort,
        page=page,
        appeals=appeals_for(own_hidden) if own_hidden else {},
        comments=shown_comments(rows, viewer, article),
        total=index.total,
        pinned=shown_comments([pinned], viewer, article, keep_placeholders=True)[0]
        if pinned
        else None,
        viewer=viewer,
    )


@dataclass(frozen=True)
class ThreadIndex:
    """What a page of the discussion needs before its comments: the threads this reader
    is shown, in the sort's order, and the counts above the list."""

    tree_ids: object  # a list, or a queryset of them for readers with threads of their own
    total: int  # visible comments
    pinned_id: int | None  # the editors' pick, if it is visible


def thread_index(article, viewer, sort):
    """The ThreadIndex of the article under sort for this viewer.

    Every reader without threads of their own (anonymous readers, and the stand-in the
    signed-in page is drawn for) is shown the same threads, so their index is kept in the
    cache under the discussion's tokens: readers jumping between pages and sorts of a big
    discussion cost one query for their page's comments, not a count and a sort of every
    thread each. Moderators and readers who wrote something see threads of their own and
    ask the database, which counts and slices without reading every id.
    """
    threads = threads_for(article, viewer).order_by(*SORTS[sort][1])
    if not viewer.sees_only_public_threads:
        return ThreadIndex(threads.values_list("tree_id", flat=True), **_summary(article))
    prefix = f"discussion:index:{article.pk}:{fragments.discussion_tokens(article.pk)}"
    order_key, summary_key = f"{prefix}:{sort}", f"{prefix}:summary"
    found = cache.get_many([order_key, summary_key])
    missing = {}
    tree_ids = found.get(order_key)
    if tree_ids is None:
        tree_ids = missing[order_key] = list(threads.values_list("tree_id", flat=True))
    summary = found.get(summary_key)
    if summary is None:
        summary = missing[summary_key] = _summary(article)
    if missing:
        cache.set_many(missing, fragments.FRAGMENT_SECONDS)
    return ThreadIndex(tree_ids, **summary)


def _summary(article):
    # One query for the count and the editors' pick; the pick's row is usually on the page.
    return Comment.objects.filter(article=article, status=Comment.Status.VISIBLE).aggregate(
        total=Count("pk"), pinned_id=Max("pk", filter=Q(is_pinned=True))
    )


def page_rows(article, page, tree_ids):
    """Every comment of the page's threads (tree_ids, in the page's order), as rows."""
    comments = Comment.objects.filter(article=article)
    if page.paginator.num_pages > 1:
        # One page of many: its few threads by id.
        comments = comments.filter(tree_id__in=tree_ids)
    # else the page holds every thread: the article's comments, without a list of
    # thousands of ids to build into the query; in_thread_order leaves out the threads
    # that are not shown.
    return in_thread_order(comment_rows(comments.order_by("tree_id", "lft")), tree_ids)


def in_thread_order(rows, tree_ids):
    """Rows ordered by tree_id and lft, regrouped into the page's order of threads (rows
    of other threads left out)."""
    by_thread = {tree_id: [] for tree_id in tree_ids}
    for row in rows:
        thread = by_thread.get(row.tree_id)
        if thread is not None:
            thread.append(row)
    return [row for thread in by_thread.values() for row in thread]


def visible_count(article):
    return Comment.objects.filter(article=article).visible().count()


def _votes_of(user_pk, article):
    return dict(
        CommentVote.objects.filter(user_id=user_pk, comment__article=article).values_list(
            "comment_id", "value"
        )
    )


def shown_comments(rows, viewer, article, keep_placeholders=False, my_votes=None):
    """The rows (in tree order) as the reader sees them.

    Visible comments show their text; a reader's own hidden or pending comment shows its
    text with a note, and so does every removed comment for a moderator; any other removed
    comment shows a placeholder: a hidden one always (moderation is visible to readers),
    a deleted or pending one only when something beneath it is shown, so replies keep
    their context. The body of a hidden comment never reaches anyone else.

    my_votes ({comment id: +1/-1}) is read from the database unless the caller knows it
    (a comment just posted has none; a personalised page has read them already).
    """
    if not isinstance(viewer, Viewer):
        viewer = Viewer.of(viewer)
    user = viewer.user
    user_pk = viewer.pk
    can_moderate = viewer.can_moderate
    can_pin = viewer.can_pin
    if my_votes is None:
        my_votes = _votes_of(user_pk, article) if user_pk is not None and rows else {}
    # Anonymous readers get "Reply" too: it leads through the login back to the reply form.
    open_for_replies = article.comments_enabled and article.is_public
    shown = []
    for comment in rows:
        status = comment.status
        is_own = user_pk is not None and comment.author_id == user_pk
        indent = min(comment.level, MAX_INDENT)
        if status == VISIBLE and not is_own:
            # Most comments on a page: someone else's, shown. The same rights for all of
            # them, given positionally (this runs thousands of times a page).
            shown.append(
                ShownComment(
                    comment,
                    indent,
                    "",  # placeholder
                    False,  # is_own
                    False,  # can_edit
                    False,  # can_delete
                    open_for_replies,  # can_reply
                    True,  # can_vote: anonymous readers too; a click leads through the login
                    not can_moderate,  # can_report
                    can_moderate,
                    can_pin,
                    my_votes.get(comment.pk, 0),
                )
            )
            continue
        sees_text = is_own or can_moderate
        visible = status == VISIBLE
        placeholder = ""
        if status == DELETED:
            placeholder = _("Comment deleted")
        elif status == HIDDEN and not sees_text:
            placeholder = _("Comment hidden by a moderator")
        elif status == PENDING and not sees_text:
            placeholder = _("Comment awaiting moderation")
        shown.append(
            ShownComment(
                comment=comment,
                indent=indent,
                placeholder=placeholder,
                is_own=is_own,
                can_edit=is_own and can_edit(user, comment),
                can_delete=is_own and can_delete(user, comment),
                can_reply=open_for_replies and visible,
                can_vote=not is_own and visible,
                can_report=not is_own and visible and not can_moderate,
                can_moderate=can_moderate and status != DELETED,
                can_pin=can_pin and visible,
                my_vote=my_votes.get(comment.pk, 0),
            )
        )
    return shown if keep_placeholders else _drop_empty_placeholders(shown)


def _drop_empty_placeholders(shown):
    """Remove the placeholders of deleted and pending comments with nothing shown beneath
    them (walking the tree backwards); a hidden comment's placeholder always stays."""
    keep = [True] * len(shown)
    has_shown_descendant = set()
    for index in range(len(shown) - 1, -1, -1):
        item = shown[index]
        removed_quietly = item.placeholder and item.comment.status != HIDDEN
        if removed_quietly and item.pk not in has_shown_descendant:
            keep[index] = False
            continue
        if item.comment.parent_id is not None:
            has_shown_descendant.add(item.comment.parent_id)
    return [item for item, kept in zip(shown, keep, strict=True) if kept]


def latest_comments():
    """The newest visible comments across the site, cached briefly and dropped on writes."""
    latest = cache.get(LATEST_CACHE_KEY)
    if latest is None:
        latest = list(
            Comment.objects.public()
            .select_related("author", "article__category")
            .only(
                "pk",
                "body",
                "created_at",
                "author__username",
                "author__display_name",
                "author__first_name",
                "author__last_name",
                "article__title",
                "article__slug",
                "article__language",
                "article__category__slug",
            )
            .order_by("-created_at", "-pk")[:LATEST_COUNT]
        )
        cache.set(LATEST_CACHE_KEY, latest, LATEST_CACHE_SECONDS)
    return latest


def page_of(comment, sort=DEFAULT_SORT):
    """The page (under `sort`) that holds comment's thread, for anonymous readers."""
    from django.contrib.auth.models import AnonymousUser

    sort = normalize_sort(sort)
    root = Comment.objects.get(tree_id=comment.tree_id, parent__isnull=True)
    threads = threads_for(comment.article, Viewer(AnonymousUser()))
    if sort == "oldest":
        before = threads.filter(
            Q(created_at__lt=root.created_at) | Q(created_at=root.created_at, pk__lt=root.pk)
        )
    elif sort == "newest":
        before = threads.filter(
            Q(created_at__gt=root.created_at) | Q(created_at=root.created_at, pk__gt=root.pk)
        )
    else:
        return 1
    return before.count() // THREADS_PER_PAGE + 1
