"""Cache headers: what a shared proxy (nginx, a CDN) may keep, and what it must not.

Pages an anonymous reader gets are the same for every anonymous reader of that language,
carry no CSRF token and set no cookie, so a proxy may keep them for a short while
(PUBLIC_CACHE_SECONDS) and serve a crowd at static-file speed; the page varies only by
the Cookie header (language choice, session). Anything personal is private.
"""

from django.conf import settings
from django.utils.cache import patch_cache_control, patch_vary_headers


class PublicCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.seconds = getattr(settings, "PUBLIC_CACHE_SECONDS", 30)

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        cacheable = (
            self.seconds > 0
            and request.method in ("GET", "HEAD")
            and response.status_code in (200, 301, 404)
            and not response.cookies
            and (user is None or not user.is_authenticated)
        )
        if cacheable:
            patch_cache_control(response, public=True, max_age=0, s_maxage=self.seconds)
            patch_vary_headers(response, ("Cookie",))
        else:
            patch_cache_control(response, private=True, no_cache=True)
        return response
