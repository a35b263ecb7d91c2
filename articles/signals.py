from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from comments import fragments

from .context_processors import NAV_CACHE_KEY
from .models import Article, Category


@receiver([post_save, post_delete], sender=Category)
def forget_navigation(**kwargs):
    """A renamed section shows at once in the menu and on every kept page that names it."""
    cache.delete(NAV_CACHE_KEY)
    fragments.everything_changed()


@receiver([post_save, post_delete], sender=Article)
def article_changed(instance, **kwargs):
    """An edit, an unpublication or a deletion shows at once on the pages kept for readers
    (the anonymous page cache and the page signed-in readers share), on every app server."""
    fragments.article_content_changed(instance.pk)
    fragments.article_changed(instance.pk)  # the discussion opens and closes with it
