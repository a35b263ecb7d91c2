from django.conf import settings
from django.core.cache import cache
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext

from .models import Category

NAV_CACHE_KEY = "articles:nav-categories"


def navigation_categories():
    categories = cache.get(NAV_CACHE_KEY)
    if categories is None:
        categories = list(Category.objects.values("name", "slug"))
        cache.set(NAV_CACHE_KEY, categories, 3600)
    return categories


def portal(request):
    return {
        "site_name": settings.SITE_NAME or gettext("Steppe Herald"),
        "nav_categories": SimpleLazyObject(navigation_categories),
    }
