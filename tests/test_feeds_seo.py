"""Feeds, sitemaps, robots.txt, link previews, structured data and author pages."""

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from comments.models import Comment
from tests.factories import (
    ArticleFactory,
    CategoryFactory,
    UserFactory,
    comment,
    editor,
    image_bytes,
)

pytestmark = pytest.mark.django_db

ALMATY = ZoneInfo("Asia/Almaty")
HOST = "http://testserver"
DC = "{http://purl.org/dc/elements/1.1/}"
MEDIA = "{http://search.yahoo.com/mrss/}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@pytest.fixture
def society():
    return CategoryFactory(name="Общество", slug="society")


@pytest.fixture
def economy():
    return CategoryFactory(name="Экономика", slug="economy", description="Деньги и рынки.")


@pytest.fixture
def writer():
    return UserFactory(username="aigerim", display_name="Айгерим Нурланова")


@pytest.fixture
def story(society, writer):
    """A published article with a 2000×1125 cover: renditions 480, 800, 1200 and 1600 wide."""
    return ArticleFactory(
        title="Казахстанцы смогут выбирать акимов городов",
        lead="Закон вступит в силу в следующем году.",
        category=society,
        author=writer,
        published_at=datetime(2024, 9, 2, 11, 30, tzinfo=ALMATY),
        cover=ContentFile(image_bytes(2000, 1125), name="cover.jpg"),
        cover_caption="Здание акимата",
    )


@pytest.fixture
def draft(society, writer):
    return ArticleFactory(
        title="Черновик о выборах", category=society, author=writer, status=Article.Status.DRAFT
    )


@pytest.fixture
def scheduled(society, writer):
    return ArticleFactory(
        title="Запланированная новость",
        category=society,
        author=writer,
        published_at=timezone.now() + timedelta(days=1),
    )


def rss(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    return channel


def xml(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    return ET.fromstring(response.content)


class HeadParser(HTMLParser):
    """<meta>, <link> and JSON-LD of a page."""

    def __init__(self):
        super().__init__()
        self.meta = []  # (property or name, content)
        self.links = []  # attribute dicts
        self.json_ld = []
        self._in_json_ld = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and "content" in attrs:
            self.meta.append((attrs.get("property") or attrs.get("name"), attrs["content"]))
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_json_ld = True
            self.json_ld.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_json_ld = False

    def handle_data(self, data):
        if self._in_json_ld:
            self.json_ld[-1] += data

    def first(self, key):
        return next((content for name, content in self.meta if name == key), None)

    def all(self, key):
        return [content for name, content in self.meta if name == key]

    def link_hrefs(self, rel, type_=None):
        return [
            link["href"]
            for link in self.links
            if link.get("rel") == rel and (type_ is None or link.get("type") == type_)
        ]


def head(client, url):
    response = client.get(url)
    assert response.status_code == 200
    parser = HeadParser()
    parser.feed(response.content.decode())
    return parser


def iso_with_offset(value):
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


# Feeds


def test_site_feed_lists_published_articles_in_russian(client, story, draft, scheduled):
    plain = ArticleFactory(title="Новость без автора и обложки", category=story.category)

    channel = rss(client.get("/feeds/", HTTP_ACCEPT_LANGUAGE="en"))

    assert channel.findtext("title") == "Степной вестник"
    assert channel.findtext("link") == f"{HOST}/"
    assert channel.findtext("language") == "ru"
    assert channel.findtext("description").startswith("Новости Казахстана и мира")
    items = channel.findall("item")
    assert [item.findtext("title") for item in items] == [plain.title, story.title]
    item = items[1]
    url = f"{HOST}{story.get_absolute_url()}"
    assert item.findtext("link") == url
    assert item.findtext("guid") == url
    assert item.findtext("description") == "Закон вступит в силу в следующем году."
    assert parsedate_to_datetime(item.findtext("pubDate")) == story.published_at
    assert item.findtext(f"{DC}creator") == "Айгерим Нурланова"
    assert [category.text for category in item.findall("category")] == ["Общество"]
    media = item.find(f"{MEDIA}content")
    assert media.get("medium") == "image" and media.get("type") == "image/jpeg"
    assert media.get("url").startswith(f"{HOST}/media/") and media.get("url").endswith("1200.jpg")
    assert (media.get("width"), media.get("height")) == ("1200", "675")
    # Unsigned and without a cover: neither element, and no e-mail anywhere.
    assert items[0].find(f"{DC}creator") is None and items[0].find(f"{MEDIA}content") is None
    assert b"@example.com" not in client.get("/feeds/").content


def test_feed_text_is_escaped_once(client, society):
    article = ArticleFactory(
        category=society, title="Курс «тенге» & <доллар>", lead="Рост на 5% & курс < 500"
    )
    assert article.description == "Рост на 5% & курс < 500"
    item = rss(client.get("/feeds/")).find("item")
    assert item.findtext("title") == "Курс «тенге» & <доллар>"
    # The description is HTML for feed readers: the plain lead, escaped.
    assert item.findtext("description") == "Рост на 5% &amp; курс &lt; 500"


def test_site_feed_holds_the_newest_thirty(client, society):
    for n in range(32):
        ArticleFactory(category=society, published_at=timezone.now() - timedelta(minutes=n + 1))
    items = rss(client.get("/feeds/")).findall("item")
    assert len(items) == 30
    newest = Article.objects.published().first()
    assert items[0].findtext("title") == newest.title


def test_category_feed_lists_only_its_section(client, story, economy, draft):
    money = ArticleFactory(category=economy, title="Тенге укрепился")
    ArticleFactory(category=economy, title="Черновик про тенге", status=Article.Status.DRAFT)

    channel = rss(client.get("/feeds/economy/"))
    assert channel.findtext("title") == "Экономика — Степной вестник"
    assert channel.findtext("link") == f"{HOST}/economy/"
    assert channel.findtext("description") == "Деньги и рынки."
    assert [item.findtext("title") for item in channel.findall("item")] == [money.title]

    society_feed = rss(client.get("/feeds/society/"))
    assert society_feed.findtext("description") == "Новости раздела «Общество»."
    assert [item.findtext("title") for item in society_feed.findall("item")] == [story.title]


def test_unknown_category_feed_is_404(client):
    assert client.get("/feeds/nowhere/").status_code == 404


def test_comments_feed_shows_only_visible_comments(client, story):
    reader = UserFactory(display_name="Ерлан")
    shown = comment(story, author=reader, body="Хорошая новость.\n\nСсылка: https://example.org")
    reply = comment(story, parent=shown, body="Согласен.")
    for status in (Comment.Status.HIDDEN, Comment.Status.PENDING, Comment.Status.DELETED):
        comment(story, body=f"Скрытый текст {status}", status=status)
    elsewhere = ArticleFactory(category=story.category)
    comment(elsewhere, body="Под другой статьёй")

    response = client.get(f"/feeds/comments/{story.pk}/")
    channel = rss(response)

    assert channel.findtext("title") == f"Комментарии: {story.title}"
    assert channel.findtext("link") == f"{HOST}{story.get_absolute_url()}#comments"
    assert channel.findtext("description") == (
        f"Обсуждение статьи «{story.title}» на сайте «Степной вестник»."
    )
    items = channel.findall("item")
    assert [item.findtext("link") for item in items] == [
        f"{HOST}/comments/{reply.pk}/",
        f"{HOST}/comments/{shown.pk}/",
    ]
    first = items[1]
    assert first.findtext("title") == "Комментарий: Ерлан"
    assert first.findtext(f"{DC}creator") == "Ерлан"
    assert "<p>Хорошая новость.</p>" in first.findtext("description")
    assert 'href="https://example.org"' in first.findtext("description")
    assert parsedate_to_datetime(first.findtext("pubDate")) == shown.created_at.replace(
        microsecond=0
    )
    body = response.content.decode()
    assert "Скрытый текст" not in body and "Под другой статьёй" not in body


@pytest.mark.parametrize("which", ["draft", "scheduled"])
def test_unpublished_articles_have_no_comments_feed(client, request, which):
    article = request.getfixturevalue(which)
    comment(article, body="Комментарий к черновику")
    assert client.get(f"/feeds/comments/{article.pk}/").status_code == 404
    client.force_login(editor())  # not even for the newsroom
    assert client.get(f"/feeds/comments/{article.pk}/").status_code == 404
    assert client.get("/feeds/comments/999999/").status_code == 404


def test_deleted_comment_author_is_named_as_such(client, story):
    orphan = comment(story, body="Без автора")
    Comment.objects.filter(pk=orphan.pk).update(author=None)
    item = rss(client.get(f"/feeds/comments/{story.pk}/")).find("item")
    assert item.findtext("title") == "Комментарий: Удалённый аккаунт"


@pytest.mark.parametrize("count", [3, 30])
def test_feed_query_counts_do_not_grow(client, django_assert_num_queries, society, count):
    article = ArticleFactory(category=society, author=UserFactory())
    for n in range(count):
        ArticleFactory(category=society, author=UserFactory())
        comment(article, body=f"№{n}")
    for url in ("/feeds/", "/feeds/society/", f"/feeds/comments/{article.pk}/"):
        client.get(url)  # the Sites framework caches its row once per process

    with django_assert_num_queries(1):  # articles with sections and authors
        client.get("/feeds/")
    with django_assert_num_queries(2):  # the section, its articles
        client.get("/feeds/society/")
    with django_assert_num_queries(2):  # the article, its comments with authors
        client.get(f"/feeds/comments/{article.pk}/")


def test_pages_announce_their_feeds(russian, story, draft):
    home_links = head(russian, "/").link_hrefs("alternate", "application/rss+xml")
    assert home_links == ["/feeds/"]
    category_links = head(russian, "/society/").link_hrefs("alternate", "application/rss+xml")
    assert category_links == ["/feeds/", "/feeds/society/"]
    article_links = head(russian, story.get_absolute_url()).link_hrefs(
        "alternate", "application/rss+xml"
    )
    assert article_links == ["/feeds/", f"/feeds/comments/{story.pk}/"]
    for href in (*home_links, *category_links, *article_links):
        assert russian.get(href).status_code == 200

    russian.force_login(editor())
    preview_links = head(russian, draft.get_absolute_url()).link_hrefs(
        "alternate", "application/rss+xml"
    )
    assert preview_links == ["/feeds/"]


# Sitemaps and robots.txt


def test_sitemap_index_points_to_every_section(client, story):
    response = client.get("/sitemap.xml")
    root = xml(response)
    assert root.tag == f"{SITEMAP}sitemapindex"
    entries = {
        entry.findtext(f"{SITEMAP}loc"): entry.findtext(f"{SITEMAP}lastmod")
        for entry in root.findall(f"{SITEMAP}sitemap")
    }
    assert set(entries) == {
        f"{HOST}/sitemap-articles.xml",
        f"{HOST}/sitemap-categories.xml",
        f"{HOST}/sitemap-authors.xml",
    }
    assert iso_with_offset(entries[f"{HOST}/sitemap-articles.xml"]) == story.updated_at
    for location in entries:
        assert client.get(location.removeprefix(HOST)).status_code == 200
    assert response["X-Robots-Tag"].startswith("noindex")


def sitemap_urls(client, path, **extra):
    root = xml(client.get(path, **extra))
    assert root.tag == f"{SITEMAP}urlset"
    return {
        url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
        for url in root.findall(f"{SITEMAP}url")
    }


def test_articles_sitemap_lists_published_articles_with_lastmod(client, story, draft, scheduled):
    other = ArticleFactory(category=story.category)
    urls = sitemap_urls(client, "/sitemap-articles.xml")
    assert urls == {
        f"{HOST}{story.get_absolute_url()}": timezone.localdate(story.updated_at).isoformat(),
        f"{HOST}{other.get_absolute_url()}": timezone.localdate(other.updated_at).isoformat(),
    }


def test_categories_and_authors_sitemaps_list_only_what_has_published_articles(
    client, story, economy, writer
):
    empty_section = CategoryFactory(slug="culture")
    drafts_only = UserFactory(username="drafter")
    ArticleFactory(category=empty_section, author=drafts_only, status=Article.Status.DRAFT)
    ArticleFactory(
        category=economy, author=drafts_only, published_at=timezone.now() + timedelta(days=1)
    )

    categories = sitemap_urls(client, "/sitemap-categories.xml")
    assert categories == {
        f"{HOST}/society/": timezone.localdate(story.published_at).isoformat(),
    }
    authors = sitemap_urls(client, "/sitemap-authors.xml")
    assert authors == {
        f"{HOST}/authors/aigerim/": timezone.localdate(story.published_at).isoformat(),
    }


def test_unknown_sitemap_section_is_404(client):
    assert client.get("/sitemap-everything.xml").status_code == 404
    assert client.get("/sitemap-articles.xml?p=5").status_code == 404


def test_news_sitemap_lists_the_last_two_days(client, society, draft, scheduled):
    fresh = ArticleFactory(category=society, title="Свежая новость & «цитата»")
    kazakh = ArticleFactory(
        category=society,
        language="kk",
        title="Алматыда жаңа саябақ ашылды",
        published_at=timezone.now() - timedelta(hours=40),
    )
    ArticleFactory(category=society, published_at=timezone.now() - timedelta(days=3))

    response = client.get("/sitemap-news.xml")
    root = xml(response)
    assert root.tag == f"{SITEMAP}urlset"
    urls = root.findall(f"{SITEMAP}url")
    assert [url.findtext(f"{SITEMAP}loc") for url in urls] == [
        f"{HOST}{fresh.get_absolute_url()}",
        f"{HOST}{kazakh.get_absolute_url()}",
    ]
    for url, article in zip(urls, (fresh, kazakh), strict=True):
        news = url.find(f"{NEWS}news")
        publication = news.find(f"{NEWS}publication")
        assert publication.findtext(f"{NEWS}name") == "Степной вестник"
        assert publication.findtext(f"{NEWS}language") == article.language
        published = iso_with_offset(news.findtext(f"{NEWS}publication_date"))
        assert published == article.published_at.replace(microsecond=0)
        assert news.findtext(f"{NEWS}title") == article.title
    assert response["X-Robots-Tag"].startswith("noindex")


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = [line for line in response.content.decode().splitlines() if line]
    assert lines == [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /moderation/",
        "Disallow: /comments/",
        f"Sitemap: {HOST}/sitemap.xml",
        f"Sitemap: {HOST}/sitemap-news.xml",
    ]


def test_sitemaps_and_feeds_follow_the_requested_host(client, story, settings):
    settings.ALLOWED_HOSTS = ["news.example.kz"]
    secure = {"HTTP_HOST": "news.example.kz", "secure": True}
    robots = client.get("/robots.txt", **secure).content.decode()
    assert "Sitemap: https://news.example.kz/sitemap.xml" in robots
    urls = sitemap_urls(client, "/sitemap-articles.xml", **secure)
    assert list(urls) == [f"https://news.example.kz{story.get_absolute_url()}"]
    item = rss(client.get("/feeds/", **secure)).find("item")
    assert item.findtext("link") == f"https://news.example.kz{story.get_absolute_url()}"


@pytest.mark.parametrize("count", [3, 30])
def test_sitemap_query_counts_do_not_grow(client, django_assert_num_queries, count):
    categories = [CategoryFactory() for _ in range(3)]
    authors = [UserFactory() for _ in range(3)]
    for n in range(count):
        ArticleFactory(category=categories[n % 3], author=authors[n % 3])
    client.get("/sitemap-articles.xml")  # the Sites framework caches its row once per process

    with django_assert_num_queries(6):  # per section: its latest change, its page count
        client.get("/sitemap.xml")
    for section in ("articles", "categories", "authors"):
        with django_assert_num_queries(2):  # count for the paginator, the page
            client.get(f"/sitemap-{section}.xml")
    with django_assert_num_queries(1):
        client.get("/sitemap-news.xml")
    with django_assert_num_queries(0):
        client.get("/robots.txt")


# Link previews and structured data


def test_article_page_has_previews_and_news_article_data(russian, story):
    page = head(russian, story.get_absolute_url())
    url = f"{HOST}{story.get_absolute_url()}"
    author_page = f"{HOST}/authors/aigerim/"

    assert page.link_hrefs("canonical") == [url]
    assert page.first("og:type") == "article"
    assert page.first("og:title") == story.title
    assert page.first("og:description") == "Закон вступит в силу в следующем году."
    assert page.first("og:url") == url
    assert page.first("og:site_name") == "Степной вестник"
    assert page.first("og:locale") == "ru_RU"
    image = page.first("og:image")
    assert image.startswith(f"{HOST}/media/renditions/") and image.endswith("/1200.jpg")
    assert default_storage.exists(image.removeprefix(f"{HOST}/media/"))
    assert (page.first("og:image:width"), page.first("og:image:height")) == ("1200", "675")
    assert page.first("og:image:alt") == "Здание акимата"
    published = iso_with_offset(page.first("article:published_time"))
    assert published == story.published_at
    assert page.first("article:published_time") == "2024-09-02T11:30:00+05:00"
    assert iso_with_offset(page.first("article:modified_time")) >= published
    assert page.first("article:section") == "Общество"
    assert page.first("article:author") == author_page
    assert page.first("twitter:card") == "summary_large_image"
    assert page.first("twitter:title") == story.title
    assert page.first("twitter:image") == image
    assert page.all("robots") == []

    [data] = [json.loads(text) for text in page.json_ld]
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == story.title
    assert data["description"] == story.description
    assert data["inLanguage"] == "ru"
    assert data["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
    assert iso_with_offset(data["datePublished"]) == story.published_at
    modified = iso_with_offset(data["dateModified"])
    assert modified == story.updated_at.replace(microsecond=0)
    assert data["image"][0]["url"] == image
    assert (data["image"][0]["width"], data["image"][0]["height"]) == (1200, 675)
    assert data["author"] == [{"@type": "Person", "name": "Айгерим Нурланова", "url": author_page}]
    publisher = data["publisher"]
    assert publisher["@type"] == "Organization" and publisher["name"] == "Степной вестник"
    assert publisher["logo"]["url"] == f"{HOST}/static/img/logo.png"
    assert finders.find("img/logo.png")


def test_kazakh_article_without_author_or_cover(russian, society):
    article = ArticleFactory(category=society, language="kk", title="Алматыда жаңа саябақ")
    page = head(russian, article.get_absolute_url())
    assert page.first("og:locale") == "kk_KZ"
    assert page.first("og:image") is None
    assert page.first("twitter:card") == "summary"
    assert page.first("article:author") is None
    [data] = [json.loads(text) for text in page.json_ld]
    assert data["inLanguage"] == "kk"
    assert "image" not in data
    assert data["author"] == [
        {"@type": "Organization", "name": "Степной вестник", "url": HOST + "/"}
    ]


def test_json_ld_cannot_be_broken_out_of(russian, society):
    title = 'Тест </script><script>alert("x")</script> & <!-- конец'
    article = ArticleFactory(category=society, title=title, lead="Лид </script> &amp;")
    html = russian.get(article.get_absolute_url()).content.decode()
    ld_start = html.index('<script type="application/ld+json">')
    ld_text = html[ld_start : html.index("</script>", ld_start)]
    assert "<" not in ld_text.removeprefix('<script type="application/ld+json">')
    assert '<script>alert("x")' not in html
    [data] = [json.loads(text) for text in head(russian, article.get_absolute_url()).json_ld]
    assert data["headline"] == title
    assert data["description"] == article.description


def test_scheduled_article_is_never_modified_before_it_appears(russian, society):
    # Written an hour before it was scheduled to appear, and never touched since.
    article = ArticleFactory(category=society)
    Article.objects.filter(pk=article.pk).update(
        updated_at=timezone.now() - timedelta(hours=2),
        published_at=timezone.now() - timedelta(hours=1),
    )
    article.refresh_from_db()
    assert article.updated_at < article.published_at
    page = head(russian, article.get_absolute_url())
    [data] = [json.loads(text) for text in page.json_ld]
    assert iso_with_offset(data["dateModified"]) == article.published_at.replace(microsecond=0)
    lastmod = sitemap_urls(russian, "/sitemap-articles.xml")[f"{HOST}{article.get_absolute_url()}"]
    assert lastmod == timezone.localdate(article.published_at).isoformat()


@pytest.mark.parametrize("which", ["draft", "scheduled"])
def test_previews_say_noindex_and_nothing_else(russian, request, which):
    article = request.getfixturevalue(which)
    russian.force_login(editor())
    page = head(russian, article.get_absolute_url())
    assert page.all("robots") == ["noindex"]
    assert page.link_hrefs("canonical") == []
    assert [name for name, _ in page.meta if name.startswith(("og:", "twitter:", "article:"))] == []
    assert page.json_ld == []


def test_category_and_home_pages_have_canonical_and_basics(russian, story, economy):
    home = head(russian, "/?utm_source=telegram")
    assert home.link_hrefs("canonical") == [f"{HOST}/"]
    assert home.first("og:type") == "website"
    assert home.first("og:title") == "Степной вестник"
    assert home.first("og:url") == f"{HOST}/"
    assert home.first("og:locale") == "ru_RU"
    assert home.first("og:image") == f"{HOST}/static/img/logo.png"
    assert home.json_ld == []

    section = head(russian, "/economy/")
    assert section.link_hrefs("canonical") == [f"{HOST}/economy/"]
    assert section.first("og:title") == "Экономика — Степной вестник"
    assert section.first("og:description") == "Деньги и рынки."
    assert section.first("og:url") == f"{HOST}/economy/"

    for _ in range(13):
        ArticleFactory(category=economy)
    second = head(russian, "/economy/?page=2")
    assert second.link_hrefs("canonical") == [f"{HOST}/economy/?page=2"]

    # Pages that are none of these get no canonical guessed for them.
    assert head(russian, "/users/aigerim/").link_hrefs("canonical") == []


def test_previews_follow_the_interface_language(client, story):
    client.post("/i18n/setlang/", {"language": "kk", "next": "/"})
    assert head(client, "/").first("og:locale") == "kk_KZ"
    # The article's own language, not the reader's.
    assert head(client, story.get_absolute_url()).first("og:locale") == "ru_RU"


# Author pages


def test_author_page_lists_only_their_published_articles(russian, story, draft, scheduled, writer):
    someone_else = ArticleFactory(category=story.category, author=UserFactory())
    kazakh = ArticleFactory(category=story.category, author=writer, language="kk")

    response = russian.get("/authors/aigerim/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 class="page-title">Айгерим Нурланова</h1>' in page
    assert "2 статьи" in page
    assert story.title in page and kazakh.title in page
    for hidden in (draft, scheduled, someone_else):
        assert hidden.title not in page
    meta = head(russian, "/authors/aigerim/")
    assert meta.link_hrefs("canonical") == [f"{HOST}/authors/aigerim/"]
    assert meta.first("og:type") == "profile"


def test_author_page_is_paginated_by_twelve(russian, society, writer):
    for n in range(13):
        ArticleFactory(
            category=society, author=writer, published_at=timezone.now() - timedelta(hours=n + 1)
        )
    first = russian.get("/authors/aigerim/").content.decode()
    second = russian.get("/authors/aigerim/?page=2").content.decode()
    assert first.count('<article class="card') == 12
    assert second.count('<article class="card') == 1
    assert "13 статей" in first
    assert 'href="?page=2"' in first
    assert head(russian, "/authors/aigerim/?page=2").link_hrefs("canonical") == [
        f"{HOST}/authors/aigerim/?page=2"
    ]


def test_author_page_needs_published_articles(client, draft, writer):
    assert client.get("/authors/aigerim/").status_code == 404  # only a draft
    assert client.get("/authors/nobody/").status_code == 404


def test_author_page_address_follows_the_username_case(client, story):
    response = client.get("/authors/AIGERIM/?page=1")
    assert response.status_code == 301
    assert response["Location"] == "/authors/aigerim/?page=1"


def test_article_page_links_to_its_author(russian, story):
    page = russian.get(story.get_absolute_url()).content.decode()
    assert '<a href="/authors/aigerim/" rel="author">Айгерим Нурланова</a>' in page


def test_author_with_cyrillic_username(russian, society):
    author = UserFactory(username="Айбалта")
    ArticleFactory(category=society, author=author)
    url = reverse("author", kwargs={"username": "Айбалта"})
    assert russian.get(url).status_code == 200
    assert f"{HOST}{url}" in sitemap_urls(russian, "/sitemap-authors.xml")


@pytest.mark.parametrize("count", [3, 30])
def test_author_page_query_count(client, django_assert_num_queries, society, writer, count):
    for _ in range(count):
        ArticleFactory(category=society, author=writer)
    client.get("/authors/aigerim/")  # warm the navigation cache
    with django_assert_num_queries(3):  # the person, the count, the page with sections
        response = client.get("/authors/aigerim/")
    assert response.status_code == 200


def test_previews_and_structured_data_cost_no_queries(rf, story, django_assert_num_queries):
    # The article view loads its category and author with it; the partial asks for nothing.
    article = Article.objects.select_related("category", "author").get(pk=story.pk)
    request = rf.get(article.get_absolute_url())
    with django_assert_num_queries(0):
        html = render_to_string(
            "articles/_seo_head.html", {"seo_article": article}, request=request
        )
    assert 'property="og:title"' in html and "application/ld+json" in html
