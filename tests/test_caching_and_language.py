"""Anonymous pages a shared proxy may keep; personal ones it must not; the language the
reader chose, remembered, and never an open redirect."""

import pytest

from .factories import ArticleFactory, UserFactory, comment

pytestmark = pytest.mark.django_db


def test_anonymous_article_page_is_publicly_cacheable(client):
    article = ArticleFactory()
    comment(article)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"public", "max-age=0"} <= cache_control
    assert any(part.startswith("s-maxage=") for part in cache_control)
    assert response.cookies == {}  # no Set-Cookie: no CSRF token, no session
    assert response["Vary"] == "Cookie"
    assert "csrfmiddlewaretoken" not in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/search/?q=test"])
def test_other_anonymous_pages_set_no_cookie(client, path):
    ArticleFactory()
    response = client.get(path)
    assert response.cookies == {}


def test_signed_in_pages_are_private(client):
    article = ArticleFactory()
    client.force_login(UserFactory())
    response = client.get(article.get_absolute_url())
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_interface_is_russian_whatever_the_browser_says(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="ru">' in page


@pytest.mark.parametrize(
    ("code", "marker"), [("kk", '<html lang="kk">'), ("en", '<html lang="en">')]
)
def test_reader_switches_language_and_it_is_remembered(client, code, marker):
    article = ArticleFactory()
    response = client.get(f"/i18n/{code}/?next={article.get_absolute_url()}")
    assert response.status_code == 302
    assert response["Location"] == article.get_absolute_url()
    assert response.cookies["django_language"].value == code
    assert marker in client.get("/").content.decode()


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil.example"],
)
def test_language_switch_never_leaves_the_site(client, target):
    response = client.get("/i18n/kk/", {"next": target})
    assert response["Location"] == "/"
