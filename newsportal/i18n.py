"""The interface language: Russian unless the reader chose another, and then remembered.

The language comes from the reader's choice (a cookie) alone, not from the browser's
Accept-Language: browsers here often say "en-US" for readers of Russian, and a page that
depends only on the cookie can be cached by a shared proxy with `Vary: Cookie` alone.
"""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def chosen_language(request):
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return code if code in SUPPORTED else settings.LANGUAGE_CODE


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


def set_language(request, code):
    """GET /i18n/<code>/?next=/path: remember the choice and go back (to this site only)."""
    next_url = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if code in SUPPORTED:
        response = HttpResponseRedirect(translate_url(next_url, code))
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    # The chosen language must not come back from a cache that stored another one.
    response["Cache-Control"] = "no-store"
    return response
