"""Whole pages for anonymous readers, kept in the shared cache and served before sessions,
authentication, CSRF and the view run.

A crowd reading one story is nearly all anonymous, and every one of them gets the same
bytes. A page is stored only when the app has already declared it public (see
newsportal.caching: no cookie set, an anonymous reader, a GET answered 200), for
PAGE_CACHE_SECONDS, under a key of its host, language and URL, together with the tokens
it was drawn under: the site-wide discussion token and, for an article, the article's
token (comments.fragments). It is served only while those tokens are still current, so a
comment, an edit, a vote, a reaction or a moderator's action shows on the very next
request on every app server. A hit costs one round trip to the cache for the page and
its tokens, and one more to count the view. Lists beside the story (latest comments,
most read, view counts) may lag by up to PAGE_CACHE_SECONDS.
"""

import functools

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import Resolver404, resolve

from articles import popularity
from comments import fragments

from .i18n import chosen_language

SKIPPED_PREFIXES = (
    "/admin/",
    "/accounts/",
    "/comments/",
    "/moderation/",
    "/i18n/",
    "/users/",
    "/search/",
)


@functools.lru_cache(maxsize=4096)
def article_pk_of(path):
    """The article a path shows, if it is an article page (resolved once per path)."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.view_name in ("articles:detail", "articles:detail-short"):
        return match.kwargs.get("pk")
    return None


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefixes = tuple(
            p for p in (settings.STATIC_URL, settings.MEDIA_URL) if p and p.startswith("/")
        )

    def __call__(self, request):
        seconds = getattr(settings, "PAGE_CACHE_SECONDS", 0)
        if seconds <= 0 or not self._eligible(request):
            return self.get_response(request)
        article_pk = article_pk_of(request.path_info)
        key = self._key(request)
        token_keys = fragments.token_keys(article_pk)
        # The page and the tokens it depends on in one round trip; the entry is served
        # only if it was drawn under the tokens in force now.
        found = cache.get_many([key, *token_keys])
        tokens = fragments.tokens_from(found, token_keys)
        stored = found.get(key)
        if stored is not None and stored[0] == tokens:
            _tokens, status, headers, content = stored
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response.headers[name] = value
            response.headers["X-Page-Cache"] = "hit"
            if article_pk is not None:
                popularity.count_view(request, article_pk)
            return response
        response = self.get_response(request)
        if self._storable(response):
            headers = [(k, v) for k, v in response.headers.items() if k.lower() != "set-cookie"]
            cache.set(key, (tokens, response.status_code, headers, response.content), seconds)
        return response

    def _eligible(self, request):
        if request.method not in ("GET", "HEAD"):
            return False
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            return False  # SecurityMiddleware, further in, sends it to https first
        cookies = request.COOKIES
        if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
            return False
        path = request.path_info
        return not path.startswith(SKIPPED_PREFIXES + self.static_prefixes)

    @staticmethod
    def _key(request):
        query = request.META.get("QUERY_STRING", "")[:300]
        # get_host() also refuses hosts outside ALLOWED_HOSTS, as the stack further in would.
        host = request.get_host()
        return f"page:{host}:{chosen_language(request)}:{request.path_info}?{query}"

    @staticmethod
    def _storable(response):
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "public" in response.headers.get("Cache-Control", "")
        )
