"""Hostile input through every way text gets into the portal.

A corpus of markup injections, URL schemes, template syntax, SQL-looking text, invisible
and bidi characters, huge and broken text is pushed through each input: comment bodies
(posted and edited, by form and by the page's script), report and appeal texts, display
names, usernames at sign-up, search queries, the language switch's next=, the importer,
the article fields an editor types in the admin, and tag names.

Each input either refuses the text with a message (never a 500), or stores it and shows
it inert everywhere it appears: no script or event handler from the input, no
javascript: or data:text/html address in a link or a source, no template syntax
evaluated, no bidi override reaching the page (`assert_inert`). Where the text was
stored, the page also shows it as text (`assert_shown`), so the check looked at the right
page.
"""

import html
import json
import re
import uuid
from html.parser import HTMLParser
from urllib.parse import quote, quote_from_bytes, urljoin, urlsplit
from xml.etree import ElementTree

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.html import escape

from accounts.models import User
from articles.models import Article, Tag
from comments.formatting import normalize_body
from comments.models import Comment
from moderation import services as moderation
from moderation.models import Appeal, Report

from .factories import (
    PASSWORD,
    ArticleFactory,
    CategoryFactory,
    UserFactory,
    comment,
    editor,
    image_upload,
    moderator,
)

pytestmark = pytest.mark.django_db

# The corpus --------------------------------------------------------------------------------

ONE_MEGABYTE = (
    "Тест <script>alert(1)</script> <img src=x onerror=alert(1)> javascript:alert(1) {{ 7*7 }} "
    * 12_000
)[: 1024 * 1024]

CORPUS = [
    ("script", "<script>alert(1)</script>"),
    ("img-onerror", "<img src=x onerror=alert(1)>"),
    ("svg-onload", "<svg onload=alert(1)>"),
    ("svg-script", "<svg><script>alert(1)</script></svg>"),
    ("javascript-url", "javascript:alert(1)"),
    ("javascript-url-mixed-case", "JaVaScRiPt:alert(1)"),
    ("data-url", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
    ("attribute-breakout-double", '"><script>alert(1)</script>'),
    ("attribute-breakout-single", "'><img src=x onerror=alert(1)>"),
    ("anchor-javascript", '<a href="javascript:alert(1)">x</a>'),
    ("nested-script", "<<script>script>alert(1)<</script>/script>"),
    ("style-javascript-url", "<style>body{background:url(javascript:alert(1))}</style>"),
    ("css-expression", '<div style="width: expression(alert(1))">'),
    ("style-breakout", "</style><script>alert(1)</script>"),
    ("bidi-override", "Цена \u202e005 тг\u202c за литр"),
    ("bidi-override-word", "Ерлан\u202eналрЕ"),
    ("zero-width", "Сло\u200bво\ufeff с невидимками"),
    ("long-word", "ы" * 100_000),
    ("one-megabyte", ONE_MEGABYTE),
    ("nul-byte", "До\x00после"),
    ("sql-drop", "'; DROP TABLE comments_comment; --"),
    ("sql-or", "1 OR 1=1"),
    ("template-request", "{{ request }}"),
    ("template-debug", "{% debug %}"),
    ("template-math", "{{ 7*7 }}"),
    ("js-template", "${7*7}"),
    ("markdown-link", "[x](javascript:alert(1))"),
    ("markdown-image", "![x](javascript:alert(1))"),
    ("iframe", "<iframe src=//evil>"),
]
# Not text at all: bytes that are not UTF-8 (an overlong sequence, a lone surrogate, 0xFF),
# sent as they are in form bodies and query strings; Django decodes them with U+FFFD.
INVALID_UTF8 = b"Bad \xff\xfe \xc0\xaf \xed\xa0\x80 bytes"

BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def payloads(*, with_bytes=False):
    """The corpus as pytest params."""
    items = [*CORPUS, ("invalid-utf8", INVALID_UTF8)] if with_bytes else CORPUS
    return [
        pytest.param(
            text,
            id=name,
        )
        for name, text in items
    ]


# What "inert" means ---------------------------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data", "xlink:href", "srcset"}
# (<svg> itself is drawn by the admin; its scripts and handlers are caught as any others.)
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "style", "base"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
SCRIPT_DATA_TYPES = {"application/ld+json", "application/json"}


class _MarkupCheck(HTMLParser):
    """Collects what a browser would run or load from a page's markup."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        self.check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self.check(tag, attrs)

    def check(self, tag, attrs):
        attributes = dict(attrs)
        shown = self.get_starttag_text()
        if tag == "script":
            src = attributes.get("src") or ""
            same_site = src.startswith("/") and not src.startswith(("//", "/\\"))
            if not same_site and attributes.get("type") not in SCRIPT_DATA_TYPES:
                self.problems.append(f"a script that runs: {shown}")
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"a <{tag}> element: {shown}")
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            self.problems.append(f"a refresh: {shown}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"an event handler: {shown}")
            value = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name in URL_ATTRIBUTES and value.startswith(DANGEROUS_SCHEMES):
                self.problems.append(f"a dangerous address: {shown}")
            if name == "style" and ("expression(" in value or "javascript:" in value):
                self.problems.append(f"a script in a style: {shown}")


def assert_inert(page, where="", echo=None):
    """Nothing in the markup `page` runs or loads code, and no bidi override reaches it.

    `echo` is what the visitor just typed, when a refused form gives it back to them in its
    field to correct: the only place a bidi control may stay.
    """
    if isinstance(page, bytes):
        page = page.decode("utf-8", "replace")
    checker = _MarkupCheck()
    checker.feed(page)
    checker.close()
    problems = checker.problems
    if echo is not None:
        page = page.replace(escape(as_text(echo)), "")
    if BIDI_CONTROLS.search(page):
        problems.append("a bidi override character")
    # Template syntax, had it been evaluated: {{ request }} and {% debug %} print these.
    for evaluated in ("WSGIRequest", "sql_queries", "&lt;module &#x27;"):
        if evaluated in page:
            problems.append(f"evaluated template output: {evaluated}")
    assert not problems, f"{where}: {problems[:5]}"


def assert_shown(page, text, where=""):
    """`text` is on the page as text (escaped as needed): the page shows the stored input."""
    if isinstance(page, bytes):
        page = page.decode()
    assert text in html.unescape(page), f"{where}: the text is not on the page"


def refused_with_message(page, *messages):
    """A refusal must say something to act on: one of `messages` is on the page."""
    text = html.unescape(page.decode() if isinstance(page, bytes) else page)
    assert any(message in text for message in messages), f"no message among {messages}"


LIVE_MARKUP = {
    "script", "img-onerror", "svg-onload", "svg-script", "attribute-breakout-double",
    "attribute-breakout-single", "anchor-javascript", "nested-script", "style-javascript-url",
    "css-expression", "style-breakout", "iframe", "bidi-override", "bidi-override-word",
}  # fmt: skip


@pytest.mark.parametrize(("name", "text"), CORPUS, ids=[name for name, _text in CORPUS])
def test_the_inert_check_tells_live_markup_from_text(name, text):
    """The check is not vacuous: the corpus unescaped in a page fails it, escaped passes."""
    shown = escape(BIDI_CONTROLS.sub("", text))
    assert_inert(f'<html><body><p>{shown}</p><input value="{shown}"></body></html>')
    if name in LIVE_MARKUP:
        with pytest.raises(AssertionError):
            assert_inert(f"<html><body><p>{text}</p></body></html>")
    if name.startswith(("javascript-url", "data-url")):
        # Escaping is not enough inside an address: the scheme is what matters.
        with pytest.raises(AssertionError):
            assert_inert(f'<a href="{shown}">x</a>')


# Sending raw text and bytes -------------------------------------------------------------------


def encode_value(value):
    if isinstance(value, bytes):
        return quote_from_bytes(value, safe="")
    return quote(str(value), safe="")


def form_body(fields):
    """An application/x-www-form-urlencoded body; bytes values are sent as they are."""
    return "&".join(f"{encode_value(name)}={encode_value(value)}" for name, value in fields.items())


def post_form(client, url, fields, **headers):
    return client.post(
        url, data=form_body(fields), content_type="application/x-www-form-urlencoded", **headers
    )


def as_text(value):
    """What Django reads from a form field: bytes decoded as UTF-8 with replacement."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    # Rate limits have their own tests; here every submission must reach the checks.
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture
def article():
    return ArticleFactory(title="Тарифы на тепло пересмотрят")


@pytest.fixture
def reader(client):
    user = UserFactory(username="Читатель")
    client.force_login(user)
    return user


def comment_pages(client, comment):
    """Every page that shows a comment to its author (and the comments feed)."""
    pages = {"article": client.get(comment.article.get_absolute_url())}
    if comment.status == Comment.Status.VISIBLE:
        pages["profile"] = client.get(comment.author.get_absolute_url())
        pages["feed"] = client.get(f"/feeds/comments/{comment.article_id}/")
    for name, response in pages.items():
        assert response.status_code == 200, name
    return {name: response.content.decode() for name, response in pages.items()}


def feed_descriptions(feed):
    """The HTML a feed reader renders: each item's description, XML-decoded."""
    root = ElementTree.fromstring(feed.encode())
    return [item.findtext("description") or "" for item in root.iter("item")]


def assert_comment_pages_inert(client, stored):
    pages = comment_pages(client, stored)
    for name, page in pages.items():
        if name == "feed":
            for description in feed_descriptions(page):
                assert_inert(description, "comments feed")
        else:
            assert_inert(page, name)
    assert_shown(pages["article"], stored.body, "article page")


# Comments: posted and edited, by form and by script --------------------------------------------


COMMENT_REFUSALS = ("ноль-байт", "а можно не больше 3000")


@pytest.mark.parametrize("payload", payloads(with_bytes=True))
def test_comment_posted_by_form(client, article, reader, payload):
    response = post_form(
        client,
        f"/comments/post/{article.pk}/",
        {"body": payload, "submission_token": uuid.uuid4()},
    )

    assert response.status_code in (302, 400)
    stored = Comment.objects.filter(author=reader).first()
    if response.status_code == 400:
        assert stored is None
        page = response.content.decode()
        refused_with_message(page, *COMMENT_REFUSALS)
        assert_inert(page, "the form again, with the message", echo=payload)
        return
    assert stored.body == normalize_body(as_text(payload))
    assert_comment_pages_inert(client, stored)


@pytest.mark.parametrize("payload", payloads(with_bytes=True))
def test_comment_posted_by_script(client, article, reader, payload):
    response = post_form(
        client,
        f"/comments/post/{article.pk}/",
        {"body": payload, "submission_token": uuid.uuid4()},
        **JSON,
    )

    assert response.status_code in (201, 400)
    data = response.json()
    if response.status_code == 400:
        assert data["errors"]["body"]
        assert not Comment.objects.filter(author=reader).exists()
        return
    # The page's script puts this HTML in place with innerHTML.
    assert_inert(data["html"], "the comment's HTML for the script")
    assert_shown(data["html"], normalize_body(as_text(payload)))
    assert_comment_pages_inert(client, Comment.objects.get(pk=data["id"]))


@pytest.mark.parametrize("payload", payloads(with_bytes=True))
def test_comment_edited_by_form(client, article, reader, payload):
    own = comment(article, author=reader, body="Было так.")

    response = post_form(client, f"/comments/{own.pk}/edit/", {"body": payload})

    assert response.status_code in (302, 400)
    own.refresh_from_db()
    if response.status_code == 400:
        assert own.body == "Было так."
        refused_with_message(response.content, *COMMENT_REFUSALS)
        assert_inert(response.content, "the edit form again", echo=payload)
        return
    assert own.body == normalize_body(as_text(payload))
    edit_page = client.get(f"/comments/{own.pk}/edit/")
    assert_inert(edit_page.content, "edit page")
    assert_comment_pages_inert(client, own)


@pytest.mark.parametrize("payload", payloads(with_bytes=True))
def test_comment_edited_by_script(client, article, reader, payload):
    own = comment(article, author=reader, body="Было так.")

    response = post_form(client, f"/comments/{own.pk}/edit/", {"body": payload}, **JSON)

    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.json()["errors"]["body"]
        return
    assert_inert(response.json()["html"], "the edited comment's HTML for the script")
    own.refresh_from_db()
    assert_comment_pages_inert(client, own)


# Reports and appeals ----------------------------------------------------------------------------


@pytest.fixture
def mod():
    return moderator(username="Модератор")


@pytest.fixture
def someone_elses(article):
    return comment(article, author=UserFactory(username="Автор"), body="Спорное мнение.")


@pytest.mark.parametrize("payload", payloads(with_bytes=True))
def test_report_text(client, reader, mod, someone_elses, payload):
    url = f"/moderation/comments/{someone_elses.pk}/report/"

    response = post_form(client, url, {"reason": "other", "text": payload})

    assert response.status_code in (302, 400)
    report = Report.objects.filter(reporter=reader).first()
    if response.status_code == 400:
        assert report is None
        assert_inert(response.content, "the report form again", echo=payload)
        refused_with_message(response.content, "не более", "ноль-байт", "Напишите модераторам")
        return
    client.force_login(mod)
    for page in (
        client.get("/moderation/?queue=reports"),
        client.get(f"/moderation/comments/{someone_elses.pk}/"),
    ):
        assert page.status_code == 200
        assert_inert(page.content, page.wsgi_request.get_full_path())
        assert_shown(page.content, report.text)


@pytest.mark.parametrize("payload", payloads(with_bytes=True))
def test_appeal_text(client, article, reader, mod, payload):
    own = comment(article, author=reader, body="Моё мнение.")
    moderation.hide(mod, own, "Оскорбление")
    url = f"/moderation/comments/{own.pk}/appeal/"

    response = post_form(client, url, {"text": payload})

    assert response.status_code in (302, 400)
    appeal = Appeal.objects.filter(comment=own).first()
    if response.status_code == 400:
        assert appeal is None
        assert_inert(response.content, "the appeal form again", echo=payload)
        return
    pages = [client.get(url)]
    client.force_login(mod)
    pages += [client.get("/moderation/?queue=appeals"), client.get(url)]
    for page in pages:
        assert page.status_code == 200
        assert_inert(page.content, page.wsgi_request.get_full_path())
        assert_shown(page.content, appeal.text)


# Names ----------------------------------------------------------------------------------------


DISPLAY_NAME_REFUSALS = ("невидимые или управляющие", "буквы или цифры", "не более", "ноль-байт")


@pytest.mark.parametrize("payload", payloads(with_bytes=True))
def test_display_name(client, article, reader, mod, payload):
    said = comment(article, author=reader, body="Подписываюсь под каждым словом.")
    moderation.report(UserFactory(), said, "spam")

    response = post_form(client, "/accounts/profile/", {"display_name": payload})

    reader.refresh_from_db()
    if response.status_code == 200:  # the settings page again, with the message
        assert reader.display_name == ""
        assert_inert(response.content, "the settings form again", echo=payload)
        refused_with_message(
            response.content,
            "невидимые или управляющие",
            "буквы или цифры",
            "не более",
            "ноль-байт",
        )
        return
    assert response.status_code == 302
    assert reader.display_name
    pages = {
        "settings": client.get("/accounts/profile/"),
        "profile": client.get(reader.get_absolute_url()),
        "article": client.get(article.get_absolute_url()),
    }
    client.force_login(mod)
    pages["queue"] = client.get("/moderation/?queue=reports")
    pages["moderation user page"] = client.get(f"/moderation/users/{reader.pk}/")
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert_inert(page.content, name)
        assert_shown(page.content, reader.display_name, name)


@pytest.mark.parametrize(
    "payload",
    payloads(with_bytes=True),
)
def test_username_at_sign_up(client, payload):
    response = post_form(
        client,
        "/accounts/signup/",
        {
            "username": payload,
            "email": "new.reader@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code in (200, 302)
    created = User.objects.filter(email="new.reader@example.com").first()
    if response.status_code == 200:
        assert created is None
        assert_inert(response.content, "the sign-up form again", echo=payload)
        refused_with_message(response.content, "Имя пользователя", "имя пользователя")
        return
    profile = client.get(created.get_absolute_url())
    assert profile.status_code == 200
    assert_inert(profile.content, "the new reader's profile")


# Search ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", payloads(with_bytes=True))
def test_search_query(client, payload):
    # An article with the same hostile text, so the query finds it and its snippet is built.
    # (Its text without NUL and bidi controls: the article fields have their own tests.)
    text = BIDI_CONTROLS.sub("", as_text(payload).replace("\x00", ""))
    ArticleFactory(title=text[:150], lead=text[:500], body=text[:5000])

    response = client.get(f"/search/?q={encode_value(payload)}")

    assert response.status_code == 200
    assert_inert(response.content, "search page")


# The language switch ----------------------------------------------------------------------------


@pytest.mark.parametrize("payload", payloads(with_bytes=True))
def test_language_switch_next(client, payload):
    response = client.get(f"/i18n/kk/?next={encode_value(payload)}")

    assert response.status_code == 302
    target = urljoin("http://testserver/i18n/kk/", response["Location"])
    assert urlsplit(target)[:2] == ("http", "testserver"), response["Location"]
    landing = client.get(target)
    assert landing.status_code in (200, 404)
    assert_inert(landing.content, "where the switch leads")


# The importer ---------------------------------------------------------------------------------

IMPORTED_URL = "https://old.example.kz/society/2024/09/02/hostile"
IMPORT_PLACES = re.compile(r"articles\[0\]\.(title|lead|body|comments\[[01]\]\.(?:body|author))")
BENIGN_IMPORT = {
    "title": "Заголовок без подвоха",
    "lead": "Вступление без подвоха.",
    "body": "Текст без подвоха.",
    "comments[0].body": "Комментарий без подвоха.",
    "comments[1].author": "Собеседник",
}


def hostile_archive(values):
    def value(place):
        return values.get(place, BENIGN_IMPORT[place])

    return {
        "articles": [
            {
                "source_url": IMPORTED_URL,
                "category": {"slug": "society", "name": "Общество"},
                "title": value("title"),
                "lead": value("lead"),
                "body": value("body"),
                "language": "ru",
                "published_at": "2024-09-02T11:30:00+05:00",
                "comments": [
                    {
                        "key": "c1",
                        "author": "Читатель",
                        "body": value("comments[0].body"),
                        "created_at": "2024-09-02T12:00:00+05:00",
                        "parent": None,
                    },
                    {
                        "key": "c2",
                        "author": value("comments[1].author"),
                        "body": "Согласен.",
                        "created_at": "2024-09-02T12:10:00+05:00",
                        "parent": "c1",
                    },
                ],
            }
        ]
    }


def run_import(tmp_path, archive):
    path = tmp_path / "archive.json"
    path.write_text(json.dumps(archive, ensure_ascii=False), encoding="utf-8")
    call_command("import_articles", str(path), "--quiet", verbosity=0)


def test_importer_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "archive.json"
    marker = "@@@"
    text = json.dumps(hostile_archive({"title": marker}), ensure_ascii=False)
    path.write_bytes(text.encode().replace(marker.encode(), INVALID_UTF8))

    with pytest.raises(CommandError) as refused:
        call_command("import_articles", str(path), "--quiet", verbosity=0)

    assert "UTF-8" in str(refused.value)
    assert not Article.objects.exists()


# Messages for the checks below.
BODY_UNBOUNDED = "an article body over the length limit must be refused, not rendered"
IMPORT_KEEPS_NUL = "NUL characters must not reach an article"


@pytest.mark.parametrize(
    "payload",
    payloads(),
)
def test_importer(client, tmp_path, payload):
    values = dict.fromkeys(BENIGN_IMPORT, payload)
    try:
        run_import(tmp_path, hostile_archive(values))
    except CommandError as error:
        report = str(error)
        assert not Article.objects.exists()
        refused = set(IMPORT_PLACES.findall(report))
        # Refused in the checks, before anything is written, each field named with its place.
        assert refused, report
        assert len(payload) < 1024 * 1024 or "body" in refused, BODY_UNBOUNDED
        for place in refused:
            del values[place]
        run_import(tmp_path, hostile_archive(values))
    article = Article.objects.get()
    for name in ("title", "lead", "body"):
        assert "\x00" not in getattr(article, name), IMPORT_KEEPS_NUL
    first, reply = Comment.objects.order_by("created_at")
    pages = {
        "article": client.get(article.get_absolute_url()),
        "home": client.get("/"),
        "profile": client.get(reply.author.get_absolute_url()),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert_inert(page.content, name)
    for feed in ("/feeds/", f"/feeds/comments/{article.pk}/"):
        for description in feed_descriptions(client.get(feed).content.decode()):
            assert_inert(description, feed)
    assert_shown(pages["article"].content, article.title)
    assert_shown(pages["article"].content, first.body)
    assert_shown(pages["profile"].content, reply.author.username)


# Article fields an editor types in the admin --------------------------------------------------

ARTICLE_TEXT = {
    "title": "Заголовок без подвоха",
    "lead": "Вступление без подвоха.",
    "body": "Текст без подвоха.",
    "cover_caption": "Фото редакции",
}


def post_multipart(client, url, fields, files=None):
    """A multipart/form-data POST whose bytes values are sent as they are."""
    boundary = f"hostile-{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        data = value if isinstance(value, bytes) else str(value).encode()
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    for name, (filename, data, content_type) in (files or {}).items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def admin_article(client, category, text, source_url=""):
    fields = {
        **text,
        "slug": "",
        "category": category.pk,
        "author": "",
        "status": "published",
        "published_at_0": "",
        "published_at_1": "",
        "language": "ru",
        "comments_enabled": "on",
        "source_url": source_url,
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
    }
    cover = ("cover.jpg", image_upload(width=480, height=270).read(), "image/jpeg")
    return post_multipart(client, "/admin/articles/article/add/", fields, {"cover": cover})


def article_pages(client, article):
    pages = {
        "article": client.get(article.get_absolute_url()),
        "home": client.get("/"),
        "section": client.get(article.category.get_absolute_url()),
        "admin list": client.get("/admin/articles/article/"),
        "admin form": client.get(f"/admin/articles/article/{article.pk}/change/"),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert_inert(page.content, name)
    for description in feed_descriptions(client.get("/feeds/").content.decode()):
        assert_inert(description, "site feed")
    return {name: page.content.decode() for name, page in pages.items()}


@pytest.fixture
def newsroom(client):
    client.force_login(editor())
    return CategoryFactory(slug="society", name="Общество")


@pytest.mark.parametrize(
    "payload",
    payloads(with_bytes=True),
)
def test_article_fields_in_the_admin(client, newsroom, payload):
    text = dict.fromkeys(ARTICLE_TEXT, payload)

    response = admin_article(client, newsroom, text)

    if response.status_code == 200:
        errors = response.context["adminform"].form.errors
        assert errors and set(errors) <= set(ARTICLE_TEXT), errors
        assert 'class="errorlist' in response.content.decode()
        assert_inert(response.content, "the admin form again", echo=payload)
        # Checked before saving: a 1 MB body would take half a minute to render.
        assert len(payload) < 1024 * 1024 or "body" in errors, BODY_UNBOUNDED
        text.update({name: ARTICLE_TEXT[name] for name in errors})
        response = admin_article(client, newsroom, text)
    assert response.status_code == 302
    article = Article.objects.get()
    pages = article_pages(client, article)
    for name in ("title", "lead", "cover_caption"):
        assert_shown(pages["article"], getattr(article, name), name)


@pytest.mark.parametrize("payload", payloads(with_bytes=True))
def test_source_url_in_the_admin(client, newsroom, payload):
    response = admin_article(client, newsroom, ARTICLE_TEXT, source_url=payload)

    if response.status_code == 200:
        assert "source_url" in response.context["adminform"].form.errors
        assert_inert(response.content, "the admin form again", echo=payload)
        assert not Article.objects.exists()
        return
    assert response.status_code == 302
    article = Article.objects.get()
    assert urlsplit(article.source_url).scheme in ("http", "https")
    article_pages(client, article)


@pytest.mark.parametrize(
    "payload",
    payloads(with_bytes=True),
)
def test_tag_name(client, newsroom, payload):
    response = post_form(client, "/admin/articles/tag/add/", {"name": payload, "slug": ""})

    if response.status_code == 200:
        assert response.context["adminform"].form.errors
        assert_inert(response.content, "the admin form again", echo=payload)
        assert not Tag.objects.exists()
        return
    assert response.status_code == 302
    tag = Tag.objects.get()
    article = ArticleFactory(category=newsroom)
    article.tags.add(tag)
    pages = {
        "tag page": client.get(tag.get_absolute_url()),
        "article": client.get(article.get_absolute_url()),
        "admin list": client.get("/admin/articles/tag/"),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert_inert(page.content, name)
        assert_shown(page.content, tag.name, name)
