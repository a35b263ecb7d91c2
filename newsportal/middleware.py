"""Response headers that make the browser refuse what the portal never does: run inline
or third-party scripts, load styles from elsewhere, be framed, or use the camera."""

from django.conf import settings

# Scripts and styles come only from our own static files (no inline code, no CDN); images
# may also be data: URLs (the avatar placeholders are CSS, covers are files); the admin and
# allauth pages pass data to their scripts in JSON blocks, which CSP does not execute.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        extra_sources = " ".join(getattr(settings, "CSP_MEDIA_SOURCES", []))
        self.policy = CONTENT_SECURITY_POLICY
        if extra_sources:
            # Media on object storage or a CDN: images may come from there too.
            self.policy = self.policy.replace(
                "img-src 'self' data:", f"img-src 'self' data: {extra_sources}"
            )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
