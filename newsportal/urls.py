from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from articles import views as article_views

urlpatterns = [
    path("", article_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("", include("accounts.site_urls")),
    path("accounts/", include("allauth.urls")),
    path("comments/", include("comments.urls")),
    path("articles/<int:pk>/react/", article_views.react, name="article-react"),
    path("i18n/", include("django.conf.urls.i18n")),
]

if settings.SERVE_MEDIA:
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.append(
        re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )

# Category and article URLs are /<category>/... and so come last.
urlpatterns.append(path("", include("articles.urls")))
