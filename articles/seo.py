"""Link previews and structured data: canonical links, Open Graph, Twitter cards and
schema.org JSON-LD.

Every address is made absolute from the request, so previews, feeds and sitemaps name the
host the page was asked for (ALLOWED_HOSTS has vetted it) rather than the Sites
framework's row, which nobody remembers to change from example.com.
"""

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

# Facebook, VK and Telegram draw large previews from 1200 pixels wide.
SHARE_WIDTH = 1200
OG_LOCALES = {"ru": "ru_RU", "kk": "kk_KZ", "en": "en_US"}
LOGO = "img/logo.png"
LOGO_SIZE = 512
# What json_script escapes: the JSON cannot close the <script> element or open a comment.
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def publication_name():
    """The publication's name as search engines and aggregators know it: the same in every
    interface language (Google News matches it letter for letter)."""
    if settings.SITE_NAME:
        return settings.SITE_NAME
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Steppe Herald")


def site_description():
    return gettext(
        "News of Kazakhstan and the world: politics, economy, society, "
        "with a discussion under every story."
    )


def iso_datetime(value):
    """ISO 8601 with the offset, in the newsroom's time zone: 2024-09-02T11:30:00+05:00."""
    if value is None:
        return None
    return (
        timezone.localtime(value, timezone.get_default_timezone())
        .replace(microsecond=0)
        .isoformat()
    )


def absolute(request, location):
    return request.build_absolute_uri(location)


def share_rendition(picture, width=SHARE_WIDTH):
    """The widest rendition no wider than `width`; the narrowest when every one is wider."""
    if not picture:
        return None
    renditions = sorted(picture.renditions, key=lambda rendition: rendition.width)
    fitting = [rendition for rendition in renditions if rendition.width <= width]
    return fitting[-1] if fitting else renditions[0]


@dataclass(frozen=True)
class ShareImage:
    url: str
    width: int
    height: int
    alt: str = ""
    type: str = "image/jpeg"


def share_image(request, picture):
    """The JPEG rendition previews should show (WebP is not read by every crawler)."""
    rendition = share_rendition(picture)
    if rendition is None:
        return None
    return ShareImage(
        url=absolute(request, default_storage.url(rendition.jpeg)),
        width=rendition.width,
        height=rendition.height,
        alt=picture.alt,
    )


def logo_image(request):
    return ShareImage(
        url=absolute(request, static(LOGO)), width=LOGO_SIZE, height=LOGO_SIZE, type="image/png"
    )


def author_url(request, user):
    return absolute(request, reverse("author", kwargs={"username": user.username}))


def modified_at(article):
    """When the article last changed for readers: a scheduled article is edited before it
    appears, so it never counts as modified before it was published."""
    if article.published_at and article.published_at > article.updated_at:
        return article.published_at
    return article.updated_at


def json_ld(data):
    """A <script type="application/ld+json"> element that no string inside can break out of."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    # <, > and & are escaped as json_script escapes them, so this is safe to mark safe.
    return mark_safe(
        f'<script type="application/ld+json">{text.translate(JSON_SCRIPT_ESCAPES)}</script>'
    )


@dataclass
class PageMeta:
    """What _seo_head.html writes into <head>."""

    canonical: str = ""
    noindex: bool = False
    og: list = field(default_factory=list)  # (property, content)
    twitter: list = field(default_factory=list)  # (name, content)
    json_ld: str = ""


def _image_tags(image):
    if image is None:
        return [], []
    og = [
        ("og:image", image.url),
        ("og:image:type", image.type),
        ("og:image:width", str(image.width)),
        ("og:image:height", str(image.height)),
    ]
    twitter = [("twitter:image", image.url)]
    if image.alt:
        og.append(("og:image:alt", image.alt))
        twitter.append(("twitter:image:alt", image.alt))
    return og, twitter


def _basic(canonical, title, description, og_type, locale, image, card="summary"):
    image_og, image_twitter = _image_tags(image)
    return PageMeta(
        canonical=canonical,
        og=[
            ("og:type", og_type),
            ("og:site_name", publication_name()),
            ("og:title", title),
            ("og:description", description),
            ("og:url", canonical),
            ("og:locale", locale),
            *image_og,
        ],
        twitter=[
            ("twitter:card", card),
            ("twitter:title", title),
            ("twitter:description", description),
            *image_twitter,
        ],
    )


def _interface_locale():
    return OG_LOCALES.get(translation.get_language() or settings.LANGUAGE_CODE, "ru_RU")


def _paged(url, page):
    number = getattr(page, "number", 1)
    return f"{url}?page={number}" if number > 1 else url


def news_article_data(request, article, canonical, image=None):
    """schema.org NewsArticle for an article page."""
    home = absolute(request, reverse("home"))
    publisher = {
        "@type": "Organization",
        "name": publication_name(),
        "url": home,
        "logo": {
            "@type": "ImageObject",
            "url": absolute(request, static(LOGO)),
            "width": LOGO_SIZE,
            "height": LOGO_SIZE,
        },
    }
    if article.author_id and article.author:
        author = [
            {
                "@type": "Person",
                "name": article.author.public_name,
                "url": author_url(request, article.author),
            }
        ]
    else:
        # Unsigned stories are the newsroom's own.
        author = [{"@type": "Organization", "name": publication_name(), "url": home}]
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "url": canonical,
        "headline": article.title,
        "description": article.description,
        "inLanguage": article.language,
        "datePublished": iso_datetime(article.published_at),
        "dateModified": iso_datetime(modified_at(article)),
        "articleSection": article.category.display_name,
        "author": author,
        "publisher": publisher,
        "isAccessibleForFree": True,
    }
    if image is not None:
        data["image"] = [
            {"@type": "ImageObject", "url": image.url, "width": image.width, "height": image.height}
        ]
    return data


def article_meta(request, article):
    """Canonical link, previews and NewsArticle data of a published article; a preview of a
    draft or a scheduled article says only noindex."""
    if not article.is_public:
        return PageMeta(noindex=True)
    canonical = absolute(request, article.get_absolute_url())
    image = share_image(request, article.cover_picture)
    meta = _basic(
        canonical,
        article.title,
        article.description,
        "article",
        OG_LOCALES.get(article.language, "ru_RU"),
        image,
        card="summary_large_image" if image else "summary",
    )
    meta.og += [
        ("article:published_time", iso_datetime(article.published_at)),
        ("article:modified_time", iso_datetime(modified_at(article))),
        ("article:section", article.category.display_name),
    ]
    if article.author_id and article.author:
        meta.og.append(("article:author", author_url(request, article.author)))
    meta.json_ld = json_ld(news_article_data(request, article, canonical, image))
    return meta


def home_meta(request):
    return _basic(
        absolute(request, reverse("home")),
        publication_name(),
        site_description(),
        "website",
        _interface_locale(),
        logo_image(request),
    )


def category_meta(request, category, page=None):
    return _basic(
        _paged(absolute(request, category.get_absolute_url()), page),
        f"{category.display_name} — {publication_name()}",
        category.display_description or category.display_name,
        "website",
        _interface_locale(),
        logo_image(request),
    )


def author_meta(request, author, page=None):
    canonical = _paged(author_url(request, author), page)
    meta = _basic(
        canonical,
        f"{author.public_name} — {publication_name()}",
        gettext("Articles by %(name)s on the portal.") % {"name": author.public_name},
        "profile",
        _interface_locale(),
        logo_image(request),
    )
    meta.og.append(("profile:username", author.username))
    return meta
