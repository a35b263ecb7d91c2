"""Whole pages for anonymous readers, kept in the shared cache and served before sessions,
authentication, CSRF and the view run.

A crowd reading one story is nearly all anonymous, and every one of them gets the same
bytes. A page is stored only when the app has already declared it public (see
newsportal.caching: no cookie set, an anonymous reader, a GET answered 200), for
PAGE_CACHE_SECONDS, under a key of its host, language and URL, together with the tokens
it was drawn under: the site-wide discussion token and, for an article, the article's
token (comments.fragments). It is served only while those tokens are still current, so a
comment, an edit, a vote, a reaction or a moderator's action shows on the very next
request on every app server. A hit costs one round trip to the cache: one script finds
the page, checks its tokens and counts the view (newsportal.cache.get_current). Lists
beside the story (latest comments, most read, view counts) may lag by up to
PAGE_CACHE_SECONDS.
"""

import functools
import logging
from dataclasses import dataclass
from http import HTTPStatus

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.urls import Resolver404, resolve

from articles import popularity
from comments import fragments

from .cache import get_current, set_current
from .i18n import chosen_language

logger = logging.getLogger(__name__)

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


@dataclass
class Lookup:
    """What the cache holds for an eligible request: the page if it is current."""

    key: str
    token_values: list
    article_pk: int | None
    page: tuple | None  # (status, headers, content)


def look_up(request, count_view=False):
    """The stored page for this request, or None when the request is not one the cache
    answers (not anonymous, not a page...). May raise DisallowedHost.

    The page is served only if it was drawn under the tokens in force now (see the module
    docstring). With count_view, a view of an article found in the cache is counted in the
    same round trip."""
    if not _eligible(request):
        return None
    article_pk = article_pk_of(request.path_info)
    key = _key(request)
    token_keys = fragments.token_keys(article_pk)
    counting = count_view and article_pk is not None and popularity.is_countable(request)
    page, tokens, counted = get_current(
        cache, key, token_keys, popularity.view_counters(article_pk) if counting else ()
    )
    if counted:
        popularity.counted_from_cache(article_pk, counted)
    token_values = fragments.current_tokens(tokens, token_keys) if page is None else None
    return Lookup(key, token_values, article_pk, page)


def look_up_or_none(request):
    """look_up() with view counting; None (draw the page) if the lookup itself fails: the
    cache only ever makes pages faster. A host outside ALLOWED_HOSTS still raises."""
    try:
        return look_up(request, count_view=True)
    except DisallowedHost:
        raise
    except Exception:
        logger.exception("the page cache failed; the page is drawn")
        return None


def _static_prefixes():
    return tuple(p for p in (settings.STATIC_URL, settings.MEDIA_URL) if p and p.startswith("/"))


def _eligible(request):
    if request.method not in ("GET", "HEAD"):
        return False
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        return False  # SecurityMiddleware, further in, sends it to https first
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return False
    path = request.path_info
    return not path.startswith(SKIPPED_PREFIXES + _static_prefixes())


def _key(request):
    query = request.META.get("QUERY_STRING", "")[:300]
    # get_host() also refuses hosts outside ALLOWED_HOSTS, as the stack further in would.
    host = request.get_host()
    return f"page:{host}:{chosen_language(request)}:{request.path_info}?{query}"


def page_cache_seconds():
    return getattr(settings, "PAGE_CACHE_SECONDS", 0)


class CachedPagesApplication:
    """The WSGI application: a request for a stored page is answered before Django's
    request handling starts (no middleware, signals or response object: the page is bytes
    already), which at a crowd's rate is a good part of the CPU a page costs. Every other
    request goes to Django, carrying what was looked up, so the middleware below does not
    ask the cache again and stores the page it draws."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if page_cache_seconds() <= 0 or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.application(environ, start_response)
        # A copy: WSGIRequest writes the decoded path back into what it is given, and
        # Django, reading environ again for a page not stored, would take that text for
        # the server's latin-1 bytes and fail on any address in Cyrillic.
        request = WSGIRequest(environ.copy())
        try:
            found = look_up_or_none(request)
        except DisallowedHost:  # Django answers it
            return self.application(environ, start_response)
        if found is None or found.page is None:
            environ[LOOKUP_ENVIRON_KEY] = found
            return self.application(environ, start_response)
        status, headers, content = found.page
        start_response(f"{status} {HTTPStatus(status).phrase}", [*headers, HIT_HEADER])
        return [b"" if request.method == "HEAD" else content]


LOOKUP_ENVIRON_KEY = "newsportal.page_cache"
HIT_HEADER = ("X-Page-Cache", "hit")
_NOT_LOOKED_UP = object()


class AnonymousPageCacheMiddleware:
    """Stores the pages it may, and serves stored ones to requests that did not come
    through CachedPagesApplication (the test client, another WSGI server setup)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = page_cache_seconds()
        if seconds <= 0:
            return self.get_response(request)
        found = request.META.pop(LOOKUP_ENVIRON_KEY, _NOT_LOOKED_UP)
        if found is _NOT_LOOKED_UP:
            found = look_up_or_none(request)
        if found is None:
            return self.get_response(request)
        if found.page is not None:
            status, headers, content = found.page
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response.headers[name] = value
            response.headers[HIT_HEADER[0]] = HIT_HEADER[1]
            return response
        response = self.get_response(request)
        if self._storable(response):
            headers = [(k, v) for k, v in response.headers.items() if k.lower() != "set-cookie"]
            page = (response.status_code, headers, response.content)
            set_current(cache, found.key, page, found.token_values, seconds)
        return response

    @staticmethod
    def _storable(response):
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "public" in response.headers.get("Cache-Control", "")
        )
