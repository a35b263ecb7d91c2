from django.conf import settings
from django.core.cache import cache
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext

from .models import Category, in_reader_language

NAV_CACHE_KEY = "articles:nav-categories"


def navigation_categories():
    """The sections for the menu, named in the page's language (kept once for all)."""
    categories = cache.get(NAV_CACHE_KEY)
    if categories is None:
        categories = list(Category.objects.values("name", "name_kk", "name_en", "slug"))
        cache.set(NAV_CACHE_KEY, categories, 3600)
    return [
        {
            "slug": category["slug"],
            "name": in_reader_language(category["name"], category["name_kk"], category["name_en"]),
        }
        for category in categories
    ]


def portal(request):
    return {
        "site_name": settings.SITE_NAME or gettext("Steppe Herald"),
        "nav_categories": SimpleLazyObject(navigation_categories),
    }
