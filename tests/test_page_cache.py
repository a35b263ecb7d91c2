"""Whole pages for anonymous readers from the shared cache: fast, and never stale after a
write that goes through the portal."""

import uuid

import pytest
from django.db.models import Sum

from articles.models import ArticleStats
from moderation import services as moderation

from .factories import ArticleFactory, UserFactory, comment, moderator

pytestmark = pytest.mark.django_db

BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Chrome/130"}


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 30
    settings.ARTICLE_VIEWS_FLUSH_EVERY = 1  # every view flushes: the count is visible


@pytest.fixture
def article():
    return ArticleFactory()


def test_second_anonymous_request_is_served_without_the_database(
    client, article, django_assert_num_queries
):
    first = client.get(article.get_absolute_url())
    assert "X-Page-Cache" not in first
    with django_assert_num_queries(0):
        second = client.get(article.get_absolute_url())
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert "public" in second["Cache-Control"] and second.cookies == {}


def test_cached_views_are_still_counted(client, article):
    for _ in range(3):
        client.get(article.get_absolute_url(), **BROWSER)
    total = ArticleStats.objects.aggregate(views=Sum("views"))["views"]
    assert total == 3


def test_signed_in_readers_and_other_languages_get_their_own_page(client, article):
    client.get(article.get_absolute_url())
    client.cookies["django_language"] = "kk"
    kazakh = client.get(article.get_absolute_url())
    assert "X-Page-Cache" not in kazakh and '<html lang="kk">' in kazakh.content.decode()
    del client.cookies["django_language"]
    client.force_login(UserFactory())
    signed_in = client.get(article.get_absolute_url())
    assert "X-Page-Cache" not in signed_in
    assert 'name="body"' in signed_in.content.decode()


def test_writes_through_the_portal_show_on_the_next_request(client, article):
    target = comment(article, body="Первое мнение")
    client.get(article.get_absolute_url())  # cached

    writer = UserFactory()
    client.force_login(writer)
    client.post(
        f"/comments/post/{article.pk}/",
        {"body": "Новое мнение", "submission_token": str(uuid.uuid4())},
    )
    client.post(f"/articles/{article.pk}/react/", {"kind": "wow"})
    client.logout()
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Новое мнение" in page
    assert '<span class="reaction__count">1</span>' in page

    moderation.hide(moderator(), target, "Оскорбление")
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Первое мнение" not in page and "Комментарий скрыт модератором" in page


def test_pages_with_messages_or_sessions_are_never_stored(client, article):
    client.get(article.get_absolute_url())
    client.cookies["messages"] = "something"
    assert "X-Page-Cache" not in client.get(article.get_absolute_url())


def test_cached_pages_keep_their_security_headers(client, article):
    client.get(article.get_absolute_url())
    hit = client.get(article.get_absolute_url())
    assert hit["X-Page-Cache"] == "hit"
    assert "frame-ancestors 'none'" in hit["Content-Security-Policy"]
    assert hit["X-Content-Type-Options"] == "nosniff"


def test_unknown_hosts_are_refused_even_when_cached(client, article):
    client.get(article.get_absolute_url())
    assert client.get(article.get_absolute_url(), HTTP_HOST="evil.example").status_code == 400


def test_a_cached_article_costs_one_round_trip_to_redis(
    client, settings, monkeypatch, redis_round_trips
):
    """The page, its tokens and the view count in one script."""
    import time

    from django.core.cache import cache

    from articles import popularity
    from tests.factories import ArticleFactory

    if not hasattr(cache, "incr_counters"):
        pytest.skip("the cache is not Redis (REDIS_URL unset)")
    settings.PAGE_CACHE_SECONDS = 30
    # No flush of the view counters in the middle (it is a request's job now and then).
    settings.ARTICLE_VIEWS_FLUSH_EVERY = 10**9
    monkeypatch.setattr(popularity, "_next_time_check", time.monotonic() + 3600)
    url = ArticleFactory().get_absolute_url()
    browser = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"}
    client.get(url, **browser)
    client.get(url, **browser)  # the view counter's script is loaded by now
    sent = redis_round_trips()
    response = client.get(url, **browser)
    assert response.headers["X-Page-Cache"] == "hit"
    assert len(sent) == 1
