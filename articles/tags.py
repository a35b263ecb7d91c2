"""Tags on articles and "Читайте также": the related stories under an article.

The article page shows the article's tags and up to RELATED_COUNT published articles:
those sharing the most tags first, then others from the same section, newest first. Both
lists are cached per article for a few minutes (two queries when they are not), and the
cache entry is dropped when the article's tags or a tag's name change.
"""

from django.core.cache import cache
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.signals import m2m_changed, post_save, pre_delete
from django.dispatch import receiver

from .models import Article, Tag

RELATED_COUNT = 4
RELATED_CACHE_SECONDS = 600


def related_cache_key(article_pk):
    return f"articles:related:{article_pk}"


def tags_and_related(article):
    """(tags, related articles) for the article page."""
    key = related_cache_key(article.pk)
    version = article.updated_at.isoformat() if article.updated_at else ""
    cached = cache.get(key)
    if cached is not None and cached[0] == version:
        return cached[1], cached[2]
    tags = list(Tag.objects.filter(articles=article).only("name", "slug"))
    related = related_articles(article, [tag.pk for tag in tags])
    cache.set(key, (version, tags, related), RELATED_CACHE_SECONDS)
    return tags, related


def related_articles(article, tag_ids, count=RELATED_COUNT):
    """Published articles sharing the most of `tag_ids` with `article`, then the newest of
    its section, in one query.

    The candidates are the articles sharing a tag and the `count` newest of the section:
    whichever of the latter have no tag in common, they are still the newest such ones, so
    the first `count` of the union ordered by (shared tags, same section, time) are right.
    """
    published = Article.objects.published()
    section_newest = (
        published.filter(category_id=article.category_id)
        .exclude(pk=article.pk)
        .order_by("-published_at", "-pk")
        .values("pk")[:count]
    )
    candidates = Q(pk__in=section_newest)
    if tag_ids:
        sharing = Article.tags.through.objects.filter(tag_id__in=tag_ids).values("article_id")
        candidates |= Q(pk__in=sharing)
        shared = Count("tags", filter=Q(tags__in=tag_ids), distinct=True)
    else:
        shared = Value(0, output_field=IntegerField())
    return list(
        published.for_listing()
        .exclude(pk=article.pk)
        .filter(candidates)
        .annotate(
            shared_tags=shared,
            same_section=Case(
                When(category_id=article.category_id, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by("-shared_tags", "-same_section", "-published_at", "-pk")[:count]
    )


@receiver(m2m_changed, sender=Article.tags.through)
def forget_related_of_retagged(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear" and reverse:
        # A tag loses all its articles: find them while the rows are still there.
        forget_related_of_tag(instance)
    elif action in {"post_add", "post_remove", "post_clear"}:
        if not reverse:
            cache.delete(related_cache_key(instance.pk))
        elif pk_set:
            cache.delete_many([related_cache_key(pk) for pk in pk_set])


@receiver([post_save, pre_delete], sender=Tag)
def forget_related_of_renamed(sender, instance, **kwargs):
    forget_related_of_tag(instance)


def forget_related_of_tag(tag):
    if tag.pk is None:
        return
    pks = Article.tags.through.objects.filter(tag_id=tag.pk).values_list("article_id", flat=True)
    cache.delete_many([related_cache_key(pk) for pk in pks])
