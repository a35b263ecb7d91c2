"""RSS 2.0 feeds: the whole site, each section, and the discussion under each article.

Feeds are always in Russian (the portal's first language): a feed address is one document
for every reader, whatever their browser asks for. Links are absolute on the requested
host (see articles.seo). Covers travel as Media RSS (<media:content>), which needs no file
size, so nothing is read from storage.
"""

import copy

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import feedgenerator, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from comments.models import Comment

from . import seo
from .models import Article, Category

ARTICLES_IN_FEED = 30
COMMENTS_IN_FEED = 50
MEDIA_RSS = "http://search.yahoo.com/mrss/"


class MediaRssFeed(feedgenerator.Rss201rev2Feed):
    """RSS 2.0 with the item's picture as <media:content medium="image">."""

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:media": MEDIA_RSS}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        image = item.get("image")
        if image is not None:
            handler.addQuickElement(
                "media:content",
                None,
                {
                    "url": image.url,
                    "medium": "image",
                    "type": image.type,
                    "width": str(image.width),
                    "height": str(image.height),
                },
            )


class PortalFeed(Feed):
    feed_type = MediaRssFeed
    language = settings.LANGUAGE_CODE

    def __call__(self, request, *args, **kwargs):
        # One Feed instance serves every request; each gets a copy that knows its request.
        feed = copy.copy(self)
        feed.request = request
        with translation.override(settings.LANGUAGE_CODE):
            return Feed.__call__(feed, request, *args, **kwargs)

    def absolute(self, location):
        return self.request.build_absolute_uri(location)

    def feed_url(self):
        return self.absolute(self.request.path)


class ArticleFeed(PortalFeed):
    def item_title(self, article):
        return article.title

    def item_description(self, article):
        # Readers treat the description as HTML; the lead is plain text.
        return escape(article.description)

    def item_link(self, article):
        return self.absolute(article.get_absolute_url())

    def item_pubdate(self, article):
        return article.published_at

    def item_updateddate(self, article):
        return seo.modified_at(article)

    def item_author_name(self, article):
        return article.author.public_name if article.author else None

    def item_categories(self, article):
        return [article.category.display_name]

    def item_extra_kwargs(self, article):
        return {"image": seo.share_image(self.request, article.cover_picture)}


class SiteFeed(ArticleFeed):
    def title(self):
        return seo.publication_name()

    def link(self):
        return self.absolute(reverse("home"))

    def description(self):
        return seo.site_description()

    def items(self):
        return Article.objects.published().for_listing()[:ARTICLES_IN_FEED]


class CategoryFeed(ArticleFeed):
    def get_object(self, request, category_slug):
        return get_object_or_404(Category, slug=category_slug)

    def title(self, category):
        return f"{category.display_name} — {seo.publication_name()}"

    def link(self, category):
        return self.absolute(category.get_absolute_url())

    def description(self, category):
        return category.display_description or _("News in the section “%(section)s”.") % {
            "section": category.display_name
        }

    def items(self, category):
        return (
            Article.objects.published().for_listing().filter(category=category)[:ARTICLES_IN_FEED]
        )


class CommentsFeed(PortalFeed):
    """The newest visible comments of one published article; drafts have no feed."""

    def get_object(self, request, pk):
        return get_object_or_404(Article.objects.published().select_related("category"), pk=pk)

    def title(self, article):
        return _("Comments: %(title)s") % {"title": article.title}

    def link(self, article):
        return self.absolute(f"{article.get_absolute_url()}#comments")

    def description(self, article):
        return _("The discussion of “%(title)s” on %(site)s.") % {
            "title": article.title,
            "site": seo.publication_name(),
        }

    def items(self, article):
        return (
            Comment.objects.public()
            .filter(article=article)
            .select_related("author")
            .order_by("-created_at", "-pk")[:COMMENTS_IN_FEED]
        )

    def _author_name(self, comment):
        return comment.author.public_name if comment.author else _("Deleted account")

    def item_title(self, comment):
        return _("Comment by %(name)s") % {"name": self._author_name(comment)}

    def item_description(self, comment):
        return comment.body_html  # escaped text with links, made on save

    def item_link(self, comment):
        return self.absolute(comment.get_absolute_url())

    def item_pubdate(self, comment):
        return comment.created_at

    def item_updateddate(self, comment):
        return comment.edited_at or comment.created_at

    def item_author_name(self, comment):
        return self._author_name(comment)


site_feed = SiteFeed()
category_feed = CategoryFeed()
comments_feed = CommentsFeed()
