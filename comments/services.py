"""Writes to the discussion. `check_*` functions validate and raise; `do_*`-style functions
(post_comment, edit_comment, delete_comment) write, after checking. Views stay thin."""

import functools
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from moderation import policy

from . import fragments, tree
from .formatting import normalize_body
from .models import BODY_MAX_LENGTH, EDIT_WINDOW_MINUTES, Comment, CommentVote

LATEST_CACHE_KEY = "comments:latest:v1"


class CommentingClosed(PermissionDenied):
    """The article takes no comments (closed, unpublished), or the user may not post."""


@dataclass(frozen=True)
class PostingFacts:
    """What post_comment checks, read by article_for_posting() with the article in one
    query, for this user and this parent; post_comment uses them only for those."""

    user_pk: int
    parent_id: int | None
    sanctioned: bool
    parent: Comment | None  # pk, status and tree_id; None when not on this article
    visible_comments: int  # the article's visible comments before this post


def _facts_for(facts, user, parent_id=None):
    """facts when they were read for this user and this parent, else None."""
    if facts is None or facts.user_pk != user.pk or facts.parent_id != parent_id:
        return None
    return facts


def check_can_take_part(user, facts=None):
    """Whether the user may write anything in discussions: comments, votes, reactions.

    facts (PostingFacts read for this user): whether a sanction is in force was read
    with the article; the sanction itself is read only when there is one."""
    if not user.is_authenticated:
        raise CommentingClosed(_("Log in to take part in the discussion."))
    if not user.is_active:
        raise CommentingClosed(_("This account cannot post comments."))
    # Suspended and banned readers are refused here, whatever their client sends.
    if facts is not None and facts.user_pk == user.pk and not facts.sanctioned:
        return
    policy.check_can_participate(user)


def check_can_comment(user, article, facts=None):
    check_can_take_part(user, facts)
    if not article.is_public:
        raise CommentingClosed(_("This article is not published."))
    if not article.comments_enabled:
        raise CommentingClosed(_("Comments on this article are closed."))


def check_body(text):
    """The body as it will be stored, or a ValidationError a reader can act on."""
    body = normalize_body(text)
    if not body:
        raise ValidationError(_("The comment is empty. Write something first."), code="empty")
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError(
            ngettext(
                "The comment is %(length)d character long; the limit is %(limit)d.",
                "The comment is %(length)d characters long; the limit is %(limit)d.",
                len(body),
            )
            % {"length": len(body), "limit": BODY_MAX_LENGTH},
            code="too_long",
        )
    return body


def check_parent(article, parent_id, facts=None):
    """The comment being replied to, which must be a visible comment on the same article.

    Only what posting needs is read: its status, and its thread (tree_id), which tells
    comments.tree which lock to take. facts (PostingFacts read for this parent): the
    parent as read with the article."""
    if parent_id in (None, ""):
        return None
    if facts is not None and facts.parent_id == parent_id:
        parent = facts.parent
        if parent is None:
            raise _parent_gone()
    else:
        try:
            parent = Comment.objects.only("pk", "status", "tree_id").get(
                pk=parent_id, article=article
            )
        except (Comment.DoesNotExist, ValueError, TypeError):
            raise _parent_gone() from None
    if parent.status != Comment.Status.VISIBLE:
        raise ValidationError(
            _("The comment you are replying to has been removed; it takes no replies."),
            code="parent_removed",
        )
    return parent


def _parent_gone():
    return ValidationError(_("The comment you are replying to no longer exists."), code="no_parent")


def _earlier_submission(user, submission_token):
    """The comment this user already posted with this form, if any."""
    if submission_token is None:
        return None
    return Comment.objects.filter(author=user, submission_token=submission_token).first()


def post_comment(user, article, body, parent_id=None, submission_token=None, facts=None):
    """Post a comment (or a reply) and return (comment, created).

    A form submitted twice carries the same submission_token: the second submission
    returns the first comment instead of making another one. The unique constraint on
    (author, submission_token) finds the first one, so a first submission, the usual
    case, pays no query to look for it; only a refused or repeated one looks it up.

    facts: what article_for_posting() read with the article (used only if it was read
    for this user and this parent), which spares the queries for the sanctions and
    the parent.
    """
    facts = _facts_for(facts, user, parent_id)
    check_can_comment(user, article, facts)
    try:
        body = check_body(body)
        parent = check_parent(article, parent_id, facts)
    except ValidationError:
        # The form sent again after its first comment went in (its parent since removed).
        existing = _earlier_submission(user, submission_token)
        if existing is None:
            raise
        return existing, False
    # Pre-moderation (banned words, links from new accounts, a pre-moderated article)
    # holds the comment as pending; its author sees it, marked, until a moderator decides.
    status, held_because = policy.initial_status(user, article, body)
    comment = Comment(
        article=article,
        author=user,
        parent=parent,
        body=body,
        status=status,
        moderation_reason=held_because,
        submission_token=submission_token,
    )
    try:
        tree.insert_comment(comment, parent_tree_id=parent.tree_id if parent else None)
    except Comment.DoesNotExist:
        # The parent's whole thread was deleted after check_parent read it.
        raise _parent_gone() from None
    except IntegrityError:
        # This form was submitted before (or raced itself): the unique constraint on
        # (author, submission_token) kept the first comment, which we return.
        existing = _earlier_submission(user, submission_token)
        if existing is None:
            raise
        return existing, False
    discussion_changed(article.pk)
    return comment, True


def article_for_posting(article_pk, user, parent_id=None):
    """The published article a signed-in user posts into, and PostingFacts, in one query:
    the article (only the fields posting and its answer use; the rest load if asked for),
    its category (for its address), its visible comments, the parent if it is a comment
    on this article, and whether a sanction is in force on the user.

    Raises Article.DoesNotExist when there is no such published article."""
    from articles.models import Article, Category

    if not _is_id(article_pk):
        raise Article.DoesNotExist(f"No published article {article_pk!r}.")
    now = timezone.now()
    if not isinstance(parent_id, int):
        parent_id = None  # the facts will not be used for it: check_parent reads it
    sql, article_fields, category_fields = _article_for_posting_query()
    params = [
        Comment.Status.VISIBLE,
        *policy.sanctioned_params(user, now),
        parent_id if _is_id(parent_id) else None,  # no such comment: refused as gone
        article_pk,
        Article.Status.PUBLISHED,
        connection.ops.adapt_datetimefield_value(now),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise Article.DoesNotExist(f"No published article {article_pk}.")
    split = len(article_fields)
    after = split + len(category_fields)
    article = _from_row(Article, article_fields, row[:split])
    category = _from_row(Category, category_fields, row[split:after])
    Article._meta.get_field("category").set_cached_value(article, category)
    visible, parent_pk, parent_status, parent_tree_id, sanctioned = row[after:]
    parent = None
    if parent_pk is not None:
        parent = _from_row(Comment, _parent_fields(), [parent_pk, parent_status, parent_tree_id])
    facts = PostingFacts(
        user_pk=user.pk,
        parent_id=parent_id,
        sanctioned=bool(sanctioned),
        parent=parent,
        visible_comments=int(visible),
    )
    return article, facts


def _is_id(value):
    """Whether value can be a row's id (a 64-bit positive integer), so a number from a
    request is never sent to the database out of its columns' range."""
    return isinstance(value, int) and 0 < value < 2**63


# What article_for_posting() loads of the article and of its category: what posting,
# its checks and its answer use.
ARTICLE_FIELDS_FOR_POSTING = (
    "id",
    "title",
    "slug",
    "category",
    "status",
    "published_at",
    "language",
    "comments_enabled",
    "premoderate",
)
CATEGORY_FIELDS_FOR_POSTING = ("id", "name", "slug")


def _from_row(model, fields, values):
    """A model instance from some of its columns (fields in the model's order), the
    values converted as the ORM converts them (SQLite's dates and booleans)."""
    names, converters = _reading(model, tuple(fields))
    if converters:
        values = list(values)
        for index, expression, converter in converters:
            values[index] = converter(values[index], expression, connection)
    return model.from_db(connection.alias, names, values)


@functools.cache
def _reading(model, fields):
    """The attribute names of fields, and the ORM's converters for their values."""
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(model._meta.db_table)
        for converter in connection.ops.get_db_converters(expression) + (
            field.get_db_converters(connection)
        ):
            converters.append((index, expression, converter))
    return [field.attname for field in fields], converters


def _in_model_order(model, names):
    wanted = {model._meta.get_field(name) for name in names}
    return [field for field in model._meta.concrete_fields if field in wanted]


@functools.cache
def _parent_fields():
    return tuple(Comment._meta.get_field(name) for name in ("id", "status", "tree_id"))


@functools.cache
def _article_for_posting_query():
    """(sql, the article's fields, the category's fields), written out: the ORM spends
    more CPU building this query (about 1.3 ms) than the database spends answering it."""
    from articles.models import Article, Category

    quote = connection.ops.quote_name
    articles, categories, comments = Article._meta, Category._meta, Comment._meta
    article_fields = _in_model_order(Article, ARTICLE_FIELDS_FOR_POSTING)
    category_fields = _in_model_order(Category, CATEGORY_FIELDS_FOR_POSTING)

    def column(meta, name):
        return quote(meta.get_field(name).column)

    selected = [f"article.{quote(field.column)}" for field in article_fields] + [
        f"category.{quote(field.column)}" for field in category_fields
    ]
    pk, status = column(comments, "id"), column(comments, "status")
    of_article, article_pk = column(comments, "article"), column(articles, "id")
    sql = (
        f"SELECT {', '.join(selected)}, "
        f"(SELECT COUNT(*) FROM {quote(comments.db_table)} AS counted"
        f" WHERE counted.{of_article} = article.{article_pk} AND counted.{status} = %s), "
        f"parent.{pk}, parent.{status}, parent.{column(comments, 'tree_id')}, "
        f"{policy.sanctioned_sql()} "
        f"FROM {quote(articles.db_table)} AS article "
        f"INNER JOIN {quote(categories.db_table)} AS category"
        f" ON category.{column(categories, 'id')} = article.{column(articles, 'category')} "
        f"LEFT JOIN {quote(comments.db_table)} AS parent"
        f" ON parent.{pk} = %s AND parent.{of_article} = article.{article_pk} "
        f"WHERE article.{article_pk} = %s"
        f" AND article.{column(articles, 'status')} = %s"
        f" AND article.{column(articles, 'published_at')} <= %s"
    )
    return sql, tuple(article_fields), tuple(category_fields)


def can_edit(user, comment, now=None):
    now = now or timezone.now()
    return (
        user.is_authenticated
        and comment.author_id == user.pk
        and comment.status in (Comment.Status.VISIBLE, Comment.Status.PENDING)
        and now < comment.editable_until()
    )


def can_delete(user, comment):
    return (
        user.is_authenticated
        and comment.author_id == user.pk
        and comment.status != Comment.Status.DELETED
    )


def check_can_edit(user, comment):
    if not can_edit(user, comment):
        if comment.author_id != getattr(user, "pk", None):
            raise PermissionDenied(_("You can only edit your own comments."))
        raise PermissionDenied(
            ngettext(
                "A comment can be edited for %(minutes)d minute after it is posted.",
                "A comment can be edited for %(minutes)d minutes after it is posted.",
                EDIT_WINDOW_MINUTES,
            )
            % {"minutes": EDIT_WINDOW_MINUTES}
        )


def edit_comment(user, comment, body):
    check_can_take_part(user)
    check_can_edit(user, comment)
    body = check_body(body)
    if body == comment.body:
        return comment
    comment.body = body
    comment.edited_at = timezone.now()
    fields = ["body", "body_html", "edited_at"]
    # An edit is held like a new comment would be: approval covered the words approved.
    status, held_because = policy.initial_status(user, comment.article, body)
    if status == Comment.Status.PENDING and comment.status == Comment.Status.VISIBLE:
        comment.status = status
        comment.moderation_reason = held_because
        fields += ["status", "moderation_reason"]
    # Tree fields are left out on purpose: only comments.tree writes them.
    comment.save(update_fields=fields)
    discussion_changed(comment.article_id)
    return comment


def delete_comment(user, comment):
    """The author withdraws a comment. Its text is erased; a placeholder stays if it
    has replies, so they keep their context."""
    if not can_delete(user, comment):
        raise PermissionDenied(_("You can only delete your own comments."))
    comment.status = Comment.Status.DELETED
    comment.body = ""
    comment.body_html = ""
    comment.save(update_fields=["status", "body", "body_html"])
    discussion_changed(comment.article_id)
    return comment


def check_can_vote(user, comment):
    check_can_take_part(user)
    if comment.author_id == user.pk:
        raise PermissionDenied(_("You cannot vote for your own comment."))
    if comment.status != Comment.Status.VISIBLE or not comment.article.is_public:
        raise PermissionDenied(_("This comment takes no votes."))


def vote(user, comment, value):
    """Toggle the reader's like (+1) or dislike (-1); the same vote again takes it back.
    Returns the reader's vote afterwards (1, -1 or None).

    Counters move with F() in the same transaction as the vote rows, and the unique
    constraint makes a double vote impossible, so likes and dislikes always equal the rows.
    """
    check_can_vote(user, comment)
    if value not in (CommentVote.Value.LIKE, CommentVote.Value.DISLIKE):
        raise ValidationError(_("Unknown vote."), code="unknown_vote")
    for attempt in range(3):
        try:
            mine = _toggle_vote(user, comment, value)
            fragments.article_changed(comment.article_id)
            return mine
        except IntegrityError:
            # The same reader's other click inserted first; toggle against that row.
            if attempt == 2:
                raise
    return None


def _counter(value):
    return "likes" if value == CommentVote.Value.LIKE else "dislikes"


@transaction.atomic
def _toggle_vote(user, comment, value):
    existing = CommentVote.objects.select_for_update().filter(comment=comment, user=user).first()
    counters = Comment.objects.filter(pk=comment.pk)
    if existing is None:
        with transaction.atomic():
            CommentVote.objects.create(comment=comment, user=user, value=value)
        counters.update(**{_counter(value): F(_counter(value)) + 1})
        return value
    if existing.value == value:
        existing.delete()
        counters.update(**{_counter(value): F(_counter(value)) - 1})
        return None
    previous = existing.value
    existing.value = value
    existing.save(update_fields=["value", "created_at"])
    counters.update(
        **{_counter(previous): F(_counter(previous)) - 1, _counter(value): F(_counter(value)) + 1}
    )
    return value


def forget_latest():
    """After writes to discussions we do not track one by one (moderation, imports): the
    latest-comments block and every cached discussion are redrawn."""
    cache.delete(LATEST_CACHE_KEY)
    fragments.everything_changed()


def discussion_changed(article_id):
    """After a write to one article's discussion."""
    cache.delete(LATEST_CACHE_KEY)
    fragments.article_changed(article_id)
