"""Writes about articles: publishing and withdrawing them, readers' reactions."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from comments import fragments

from .models import REACTION_EMOJI, Article, ArticleReaction, ArticleStats, Reaction


@transaction.atomic
def publish_articles(queryset):
    """Publish the given articles now, keeping any time already set (a scheduled one stays)."""
    now = timezone.now()
    drafts = queryset.exclude(status=Article.Status.PUBLISHED)
    changed = list(drafts.values_list("pk", flat=True))
    drafts.filter(published_at__isnull=True).update(published_at=now)
    count = drafts.update(status=Article.Status.PUBLISHED, updated_at=now)
    _pages_changed(changed)
    return count


@transaction.atomic
def unpublish_articles(queryset):
    """Take articles back to draft; their URLs answer 404 to readers from now on."""
    published = queryset.filter(status=Article.Status.PUBLISHED)
    changed = list(published.values_list("pk", flat=True))
    count = published.update(status=Article.Status.DRAFT, updated_at=timezone.now())
    _pages_changed(changed)
    return count


def _pages_changed(article_pks):
    # update() sends no post_save (articles.signals): the kept pages and their parts are
    # told here, so that a withdrawn story leaves every cached page on the next request.
    for pk in article_pks:
        fragments.article_content_changed(pk)
        fragments.article_changed(pk)


def check_can_react(user, article):
    from comments.services import check_can_take_part

    check_can_take_part(user)
    if not article.is_public:
        raise PermissionDenied(_("This article is not published."))


def react(user, article, kind):
    """Toggle the reader's reaction: a new one is added, the same one again removes it,
    another one replaces it. Returns the reader's reaction kind afterwards (or None).

    The unique constraint makes a double reaction impossible; counters move in the same
    transaction as the rows, with F() expressions, so they always equal the row counts.
    """
    check_can_react(user, article)
    if kind not in Reaction.values:
        raise ValidationError(_("Unknown reaction."), code="unknown_reaction")
    for attempt in range(3):
        try:
            mine = _toggle(user, article, kind)
            # The counts are on the cached page; its key changes with the content token.
            fragments.article_content_changed(article.pk)
            return mine
        except IntegrityError:
            # The same reader's other click inserted first; toggle against that row.
            if attempt == 2:
                raise
    return None


@transaction.atomic
def _toggle(user, article, kind):
    ArticleStats.objects.bulk_create([ArticleStats(article_id=article.pk)], ignore_conflicts=True)
    mine = ArticleReaction.objects.select_for_update().filter(article=article, user=user)
    existing = mine.first()
    stats = ArticleStats.objects.filter(article=article)
    if existing is None:
        with transaction.atomic():
            ArticleReaction.objects.create(article=article, user=user, kind=kind)
        stats.update(**{kind: F(kind) + 1})
        return kind
    if existing.kind == kind:
        existing.delete()
        stats.update(**{kind: F(kind) - 1})
        return None
    previous = existing.kind
    existing.kind = kind
    existing.save(update_fields=["kind", "created_at"])
    stats.update(**{previous: F(previous) - 1, kind: F(kind) + 1})
    return kind


def reaction_summary(article, user):
    """Counts per reaction and the reader's own, in at most two queries."""
    try:
        stats = article.stats  # usually fetched with the article (select_related)
    except ArticleStats.DoesNotExist:
        stats = None
    counts = stats.reaction_counts() if stats else dict.fromkeys(Reaction.values, 0)
    mine = None
    if user.is_authenticated:
        mine = (
            ArticleReaction.objects.filter(article=article, user=user)
            .values_list("kind", flat=True)
            .first()
        )
    return [
        {
            "kind": kind,
            "emoji": REACTION_EMOJI[kind],
            "label": label,
            "count": counts[kind],
            "mine": kind == mine,
        }
        for kind, label in Reaction.choices
    ]
