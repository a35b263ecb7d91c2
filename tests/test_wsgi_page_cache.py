"""Stored pages are answered at the WSGI door, before Django's request handling
(newsportal.pagecache.CachedPagesApplication); the answer must be the one Django gave."""

import io
import sys

import pytest
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from articles import popularity
from newsportal.wsgi import application

from .factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/130"


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 30


def wsgi(path, method="GET", cookie="", host="testserver", query=""):
    """(status line, headers, body) as gunicorn would get them."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "HTTP_USER_AGENT": BROWSER,
        "HTTP_COOKIE": cookie,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
    }
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, headers

    # As Django's test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        chunks = application(environ, start_response)
        body = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], dict(answer["headers"]), body


def test_a_stored_page_is_answered_at_the_door_as_django_answered_it():
    url = ArticleFactory().get_absolute_url()
    status, headers, body = wsgi(url)
    assert status == "200 OK" and "X-Page-Cache" not in headers

    again_status, again_headers, again_body = wsgi(url)

    assert again_headers.pop("X-Page-Cache") == "hit"
    assert (again_status, again_headers, again_body) == (status, headers, body)
    assert "public" in headers["Cache-Control"] and "Set-Cookie" not in headers


def test_a_head_request_gets_the_headers_alone():
    url = ArticleFactory().get_absolute_url()
    wsgi(url)
    status, headers, body = wsgi(url, method="HEAD")
    assert status == "200 OK" and headers["X-Page-Cache"] == "hit" and body == b""


def test_signed_in_readers_and_other_hosts_go_to_django(client):
    url = ArticleFactory().get_absolute_url()
    wsgi(url)
    client.force_login(UserFactory(display_name="Айдос Читатель"))
    session = f"sessionid={client.cookies['sessionid'].value}"
    _status, headers, body = wsgi(url, cookie=session)
    assert "X-Page-Cache" not in headers and "Айдос Читатель".encode() in body

    status, _headers, _body = wsgi(url, host="evil.example")
    assert status.startswith("400")


def test_views_of_pages_answered_at_the_door_are_counted(settings):
    settings.ARTICLE_VIEWS_FLUSH_EVERY = 10**9
    article = ArticleFactory()
    for _ in range(3):
        wsgi(article.get_absolute_url())
    today = popularity.timezone.localdate()
    assert cache.get(popularity.count_key(today, article.pk)) == 3


def test_copies_near_the_process_stay_small_and_expire(monkeypatch):
    from newsportal import cache as resilient

    copies = resilient.NearCopies()
    monkeypatch.setattr(copies, "MAX_BYTES", 1000)
    for number in range(10):
        copies.keep(f"page-{number}", b"s" * 40, f"page {number}", 300, 60_000)
    kept = [number for number in range(10) if copies.get(f"page-{number}")]
    assert kept == [7, 8, 9]  # the least recently used went first

    copies.keep("brief", b"s" * 40, "brief page", 10, 1)  # one millisecond to live
    monkeypatch.setattr(resilient.time, "monotonic", lambda: 10**9)
    assert copies.get("brief") is None
    copies.keep("too big", b"s" * 40, "huge page", 5000, 60_000)
    assert copies.get("too big") is None


def test_a_fault_in_the_cache_lookup_leaves_the_page_to_django(monkeypatch):
    from newsportal import pagecache

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the lookup")

    url = ArticleFactory(title="Новость при сбое кеша").get_absolute_url()
    monkeypatch.setattr(pagecache, "look_up", broken)
    status, _headers, body = wsgi(url)
    assert status == "200 OK" and "Новость при сбое кеша".encode() in body


def as_gunicorn_passes(path):
    """PATH_INFO as a WSGI server gives it (PEP 3333): the URL's bytes, decoded as latin-1."""
    return path.encode().decode("latin-1")


def test_an_address_in_cyrillic_is_answered_not_refused():
    UserFactory(username="Айбалта")
    status, _headers, body = wsgi(as_gunicorn_passes("/users/Айбалта/"))
    assert status == "200 OK" and "Айбалта" in body.decode()
    assert wsgi(as_gunicorn_passes("/users/Айбалта/"))[0] == "200 OK"  # and again
    assert wsgi(as_gunicorn_passes("/жоқ/"))[0] == "404 Not Found"
