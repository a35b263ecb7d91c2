"""Sitemaps for search engines: an index of articles, sections and authors, a Google News
sitemap of the last two days, and robots.txt that points to both.

Only what readers can see is listed (Article.objects.published()). Addresses are absolute
on the requested host, as everywhere in articles.seo, so Django's index view (which asks
the Sites framework for the domain) is replaced by a small one of our own.
"""

from datetime import timedelta
from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Max, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from . import seo
from .models import Article, Category

NEWS_WINDOW = timedelta(days=2)
NEWS_LIMIT = 1000  # Google News reads at most 1,000 URLs from one sitemap


def _latest_published(**filters):
    """The newest publication time among readers' articles matching an outer row."""
    return Subquery(
        Article.objects.published()
        .filter(**filters)
        .order_by("-published_at")
        .values("published_at")[:1]
    )


class RequestSitemap(Sitemap):
    """A sitemap whose addresses use the host of the request."""

    def __init__(self, request):
        self.request = request

    def get_domain(self, site=None):
        return self.request.get_host()


class ArticleSitemap(RequestSitemap):
    limit = 10_000

    def items(self):
        return (
            Article.objects.published()
            .select_related("category")
            .only("pk", "slug", "published_at", "updated_at", "category__slug")
            .order_by("-published_at", "-pk")
        )

    def lastmod(self, article):
        return seo.modified_at(article)

    def get_latest_lastmod(self):
        # One aggregate instead of reading every article, for the index.
        latest = Article.objects.published().aggregate(
            updated=Max("updated_at"), published=Max("published_at")
        )
        return max((value for value in latest.values() if value), default=None)


class CategorySitemap(RequestSitemap):
    """Sections that have something to read; a section page changes with its newest story."""

    def items(self):
        return (
            Category.objects.annotate(latest=_latest_published(category=OuterRef("pk")))
            .filter(latest__isnull=False)
            .only("pk", "slug")
            .order_by("order", "name")
        )

    def lastmod(self, category):
        return category.latest


class AuthorSitemap(RequestSitemap):
    """Authors of published articles."""

    def items(self):
        return (
            get_user_model()
            .objects.annotate(latest=_latest_published(author=OuterRef("pk")))
            .filter(latest__isnull=False)
            .only("pk", "username")
            .order_by("username")
        )

    def location(self, user):
        return reverse("author", kwargs={"username": user.username})

    def lastmod(self, user):
        return user.latest


SECTIONS = {
    "articles": ArticleSitemap,
    "categories": CategorySitemap,
    "authors": AuthorSitemap,
}


@sitemap_views.x_robots_tag
def index(request):
    """/sitemap.xml: one entry per section and per further page of a long section."""
    entries = []
    for section, sitemap_class in SECTIONS.items():
        sitemap = sitemap_class(request)
        location = request.build_absolute_uri(
            reverse("sitemap-section", kwargs={"section": section})
        )
        lastmod = sitemap.get_latest_lastmod()
        entries.append(sitemap_views.SitemapIndexItem(location, lastmod))
        for page in range(2, sitemap.paginator.num_pages + 1):
            entries.append(sitemap_views.SitemapIndexItem(f"{location}?p={page}", lastmod))
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": entries}, content_type="application/xml"
    )


def section(request, section):
    """/sitemap-<section>.xml, paged with ?p= like Django's own."""
    if section not in SECTIONS:
        raise Http404
    return sitemap_views.sitemap(
        request, {section: partial(SECTIONS[section], request)}, section=section
    )


@sitemap_views.x_robots_tag
def news(request):
    """/sitemap-news.xml: Google News sitemap of the articles of the last two days."""
    articles = (
        Article.objects.published()
        .filter(published_at__gte=timezone.now() - NEWS_WINDOW)
        .select_related("category")
        .only("pk", "slug", "title", "language", "published_at", "category__slug")
        .order_by("-published_at", "-pk")[:NEWS_LIMIT]
    )
    entries = [
        {
            "location": request.build_absolute_uri(article.get_absolute_url()),
            "language": article.language,
            "published": seo.iso_datetime(article.published_at),
            "title": article.title,
        }
        for article in articles
    ]
    return TemplateResponse(
        request,
        "articles/sitemap-news.xml",
        {"entries": entries, "publication": seo.publication_name()},
        content_type="application/xml",
    )


def robots_txt(request):
    return render(
        request,
        "robots.txt",
        {
            "sitemaps": [
                request.build_absolute_uri(reverse("sitemap")),
                request.build_absolute_uri(reverse("sitemap-news")),
            ]
        },
        content_type="text/plain; charset=utf-8",
    )
