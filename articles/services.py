"""Editorial writes: publishing and withdrawing articles."""

from django.db import transaction
from django.utils import timezone

from .models import Article


@transaction.atomic
def publish_articles(queryset):
    """Publish the given articles now, keeping any time already set (a scheduled one stays)."""
    now = timezone.now()
    drafts = queryset.exclude(status=Article.Status.PUBLISHED)
    drafts.filter(published_at__isnull=True).update(published_at=now)
    return drafts.update(status=Article.Status.PUBLISHED, updated_at=now)


@transaction.atomic
def unpublish_articles(queryset):
    """Take articles back to draft; their URLs answer 404 to readers from now on."""
    return queryset.filter(status=Article.Status.PUBLISHED).update(
        status=Article.Status.DRAFT, updated_at=timezone.now()
    )
