"""Forged requests and open redirects.

Every write is a POST that Django's CSRF protection guards: without the token (or with
someone else's) it answers 403 and changes nothing, by form and by the page's script
alike; with the token the same request goes through, so the 403 is the token's doing.

Wherever a `next` sends the visitor on (log-in, sign-up, log-out, both language switches,
moderation actions), an address off the site is replaced by one on it. The Location is
resolved as a browser would (backslashes are slashes, a scheme other than the page's makes
the address absolute) before it is compared.
"""

import re
from urllib.parse import quote, urljoin, urlsplit

import pytest
from django.test import Client

from articles.models import ArticleReaction
from comments.models import Comment, CommentVote
from moderation.models import Report

from .factories import PASSWORD, ArticleFactory, UserFactory, comment, moderator

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture
def browser():
    """A client that checks CSRF tokens as a real deployment does."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def article():
    return ArticleFactory(title="Тарифы на тепло пересмотрят")


@pytest.fixture
def reader():
    return UserFactory(username="Читатель")


@pytest.fixture
def others(article):
    return comment(article, author=UserFactory(username="Собеседник"), body="Чужое мнение.")


def token_of(client, page="/"):
    """The CSRF token a page of the site gives the signed-in visitor."""
    client.get(page)
    return client.cookies["csrftoken"].value


# What each write changes, so that "nothing changed" can be checked.


def state(article, reader, others):
    own = Comment.objects.filter(author=reader).order_by("pk")
    return {
        "comments": list(own.values_list("pk", "body", "status")),
        "others": Comment.objects.filter(pk=others.pk).values_list("status", "body")[0],
        "votes": CommentVote.objects.count(),
        "reactions": ArticleReaction.objects.count(),
        "reports": Report.objects.count(),
        "name": type(reader).objects.filter(pk=reader.pk).values_list("display_name")[0],
    }


def write(name, article, own, others):
    """(url, data) of each write a reader or a moderator makes."""
    return {
        "post a comment": (f"/comments/post/{article.pk}/", {"body": "Подделка"}),
        "reply": (f"/comments/post/{article.pk}/", {"body": "Подделка", "parent": others.pk}),
        "edit": (f"/comments/{own.pk}/edit/", {"body": "Подделка"}),
        "delete": (f"/comments/{own.pk}/delete/", {}),
        "vote": (f"/comments/{others.pk}/vote/", {"value": "1"}),
        "react": (f"/articles/{article.pk}/react/", {"kind": "like"}),
        "report": (f"/moderation/comments/{others.pk}/report/", {"reason": "spam"}),
        "hide": (f"/moderation/comments/{others.pk}/hide/", {"reason": "spam"}),
        "settings": ("/accounts/profile/", {"display_name": "Подделка"}),
    }[name]


WRITES = ["post a comment", "reply", "edit", "delete", "vote", "react", "report", "hide"]
WRITES += ["settings"]


@pytest.mark.parametrize("headers", [{}, JSON], ids=["form", "script"])
@pytest.mark.parametrize("name", WRITES)
def test_writes_need_the_csrf_token(browser, article, reader, others, name, headers):
    own = comment(article, author=reader, body="Моё мнение.")
    browser.force_login(moderator(username="Модератор") if name == "hide" else reader)
    url, data = write(name, article, own, others)
    before = state(article, reader, others)

    # No token at all, as a form on another site would send it...
    assert browser.post(url, data, **headers).status_code == 403
    # ...or a token of the attacker's own (the cookie is this visitor's).
    token = token_of(browser, article.get_absolute_url())
    forged = "A" * len(token)
    assert browser.post(url, {**data, "csrfmiddlewaretoken": forged}, **headers).status_code == 403
    assert browser.post(url, data, HTTP_X_CSRFTOKEN=forged, **headers).status_code == 403
    assert state(article, reader, others) == before

    # The page's own token lets the very same request through.
    response = browser.post(url, {**data, "csrfmiddlewaretoken": token}, **headers)
    assert response.status_code != 403
    assert state(article, reader, others) != before


def test_logout_needs_the_csrf_token(browser, reader):
    browser.force_login(reader)

    assert browser.post("/accounts/logout/").status_code == 403
    assert browser.get("/").wsgi_request.user == reader

    token = token_of(browser, "/accounts/logout/")
    assert browser.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert not browser.get("/").wsgi_request.user.is_authenticated


def test_login_needs_the_csrf_token(browser, reader):
    # Login CSRF: a forged log-in would sign the victim into the attacker's account.
    data = {"login": reader.username, "password": PASSWORD}
    assert browser.post("/accounts/login/", data).status_code == 403
    assert not browser.get("/").wsgi_request.user.is_authenticated


def test_anonymous_pages_carry_no_token_but_forms_still_need_one(browser, article, reader):
    # Anonymous article pages are cached publicly, so they carry no token; a reader who
    # signs in gets one with the next page.
    page = browser.get(article.get_absolute_url())
    assert "csrfmiddlewaretoken" not in page.content.decode()
    assert browser.post(f"/comments/post/{article.pk}/", {"body": "x"}).status_code == 403


# Open redirects -------------------------------------------------------------------------------

OFF_SITE = [
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "\\\\evil.example",
    " //evil.example",
    "\t//evil.example",
    "http://testserver@evil.example/",
    "/%5Cevil.example",
]


def where_a_browser_goes(response, from_url="http://testserver/"):
    """The absolute address a browser would follow the response's Location to."""
    assert response.status_code in (301, 302, 303), response.status_code
    location = response["Location"]
    # WHATWG URL parsing: leading/trailing C0 controls and spaces are stripped, tabs and
    # newlines removed, and "\" is "/" in http(s) addresses.
    location = re.sub(r"[\t\n\r]", "", location.strip("\x00\x20\t\n\r\x0b\x0c"))
    location = location.replace("\\", "/")
    return urljoin(from_url, location)


def assert_stays_on_site(response, from_url="http://testserver/"):
    target = urlsplit(where_a_browser_goes(response, from_url))
    assert (target.scheme, target.netloc) == ("http", "testserver"), response["Location"]
    assert "evil" not in target.path.split("/")[1:2]


@pytest.fixture
def logged_in_reader(client, reader):
    client.force_login(reader)
    return reader


@pytest.mark.parametrize("target", OFF_SITE)
def test_log_in_next(client, reader, target):
    response = client.post(
        "/accounts/login/", {"login": reader.username, "password": PASSWORD, "next": target}
    )
    assert_stays_on_site(response)

    # Signed in already, the log-in page sends the reader on at once: still on the site.
    response = client.get("/accounts/login/", {"next": target})
    if response.status_code != 200:
        assert_stays_on_site(response)


@pytest.mark.parametrize("target", OFF_SITE)
def test_log_in_next_in_the_query_string(client, reader, target):
    # As a link would carry it: percent-decoded once by Django before it is checked.
    response = client.post(
        f"/accounts/login/?next={target}", {"login": reader.username, "password": PASSWORD}
    )
    assert_stays_on_site(response)


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_up_next(client, target):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "Новичок",
            "email": "novichok@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": target,
        },
    )
    assert_stays_on_site(response)
    assert client.get("/").wsgi_request.user.username == "Новичок"


@pytest.mark.parametrize("target", OFF_SITE)
def test_log_out_next(client, logged_in_reader, target):
    response = client.post("/accounts/logout/", {"next": target})
    assert_stays_on_site(response)
    assert not client.get("/").wsgi_request.user.is_authenticated


@pytest.mark.parametrize("target", OFF_SITE)
def test_language_switch_next(client, target):
    for url in (f"/i18n/kk/?next={quote(target, safe='')}", f"/i18n/kk/?next={target}"):
        response = client.get(url)
        assert_stays_on_site(response, "http://testserver/i18n/kk/")


@pytest.mark.parametrize("target", OFF_SITE)
def test_django_set_language_next_and_referer(client, target):
    # django.conf.urls.i18n is mounted too: POST /i18n/setlang/ follows next, or Referer.
    response = client.post("/i18n/setlang/", {"language": "kk", "next": target})
    assert_stays_on_site(response)
    response = client.post("/i18n/setlang/", {"language": "kk"}, HTTP_REFERER=target)
    if response.status_code != 204:
        assert_stays_on_site(response)


@pytest.fixture
def mod(client):
    user = moderator(username="Модератор")
    client.force_login(user)
    return user


@pytest.mark.parametrize("target", OFF_SITE)
def test_moderation_actions_next(client, article, mod, target):
    first = comment(article, body="Первый.")
    second = comment(article, body="Второй.")
    Report.objects.create(comment=second, reporter=UserFactory(), reason="spam")

    hide = client.post(f"/moderation/comments/{first.pk}/hide/", {"reason": "spam", "next": target})
    show = client.post(f"/moderation/comments/{first.pk}/show/", {"next": target})
    refused = client.post(f"/moderation/comments/{first.pk}/show/", {"next": target})
    bulk = client.post(
        "/moderation/bulk/",
        {"action": "dismiss", "comment": [second.pk], "next": target},
    )

    for response in (hide, show, refused, bulk):
        assert_stays_on_site(response)
    assert Comment.objects.get(pk=first.pk).status == Comment.Status.VISIBLE
    assert Report.objects.get().resolved_at is not None


@pytest.mark.parametrize("target", OFF_SITE)
def test_moderation_next_in_the_query_string(client, article, mod, target):
    first = comment(article, body="Первый.")
    response = client.post(
        f"/moderation/comments/{first.pk}/hide/?next={target}", {"reason": "spam"}
    )
    assert_stays_on_site(response)


@pytest.mark.parametrize(
    "target",
    ["/society/12-slug/#comment-form", "/search/?q=%D0%B2%D1%8B%D0%B1%D0%BE%D1%80%D1%8B"],
)
def test_same_site_next_is_followed(client, reader, target):
    response = client.post(
        "/accounts/login/", {"login": reader.username, "password": PASSWORD, "next": target}
    )
    assert response["Location"] == target
    assert client.get(f"/i18n/en/?next={quote(target, safe='')}")["Location"] == target


def test_the_fast_csrf_mask_gives_tokens_django_accepts():
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token
    from django.test import RequestFactory

    from newsportal.csrf import masked_token, random_string

    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret = random_string(32)
    tokens = {masked_token(request) for _ in range(200)}
    assert len(tokens) == 200  # masked afresh every time
    for token in tokens:
        assert len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    # Every character of the alphabet turns up, about equally often.
    drawn = random_string(62 * 200)
    counts = [drawn.count(char) for char in CSRF_ALLOWED_CHARS]
    assert min(counts) > 100 and max(counts) < 300
