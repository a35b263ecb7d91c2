from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from articles import author_views, discovery_views, feeds, sitemaps
from articles import views as article_views
from newsportal import i18n

urlpatterns = [
    path("", article_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("", include("accounts.site_urls")),
    path("accounts/", include("allauth.urls")),
    path("comments/", include("comments.urls")),
    path("articles/<int:pk>/react/", article_views.react, name="article-react"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("i18n/<str:code>/", i18n.set_language, name="language"),
]

if settings.SERVE_MEDIA:
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.append(
        re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )

# Feeds, sitemaps, robots.txt and author pages (articles.feeds, articles.sitemaps).
urlpatterns += [
    path("feeds/", feeds.site_feed, name="feed"),
    path("feeds/comments/<int:pk>/", feeds.comments_feed, name="feed-comments"),
    path("feeds/<slug:category_slug>/", feeds.category_feed, name="feed-category"),
    path("sitemap.xml", sitemaps.index, name="sitemap"),
    path("sitemap-news.xml", sitemaps.news, name="sitemap-news"),
    path("sitemap-<slug:section>.xml", sitemaps.section, name="sitemap-section"),
    path("robots.txt", sitemaps.robots_txt, name="robots"),
    path("authors/<str:username>/", author_views.author_detail, name="author"),
]

# Category and article URLs are /<category>/... and so come last.
urlpatterns.append(path("moderation/", include("moderation.urls")))
urlpatterns.append(path("search/", discovery_views.search, name="search"))
urlpatterns.append(path("tags/<slug:slug>/", discovery_views.tag_detail, name="tag"))
urlpatterns.append(path("", include("articles.urls")))
