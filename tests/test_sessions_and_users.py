"""Sessions and the signed-in user are read with written-out queries (newsportal.sessions,
accounts.backends) and, with a shared cache, kept there for a short while
(newsportal.snapshots); everything Django guarantees about them must still hold, whether
they come from the database or from the cache."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts.backends import snapshot_key, user_by_pk
from newsportal import cache as resilient
from newsportal import sessions, snapshots
from tests.factories import PASSWORD, ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["database", "cache"])
def auth_cache(request, settings):
    settings.AUTH_CACHE_SECONDS = 60 if request.param == "cache" else 0
    return request.param == "cache"


def signed_in(client):
    return "/accounts/logout/" in client.get("/").content.decode()


def copies_of(client):
    """The cache keys of the client's session and user copies."""
    session = client.session
    return [
        f"snapshot:session:{session.session_key}",
        snapshot_key(session["_auth_user_id"]),
    ]


def served_from_the_cache(client):
    """Let the markers of the login's writes lapse (as GONE_SECONDS would) and sign in
    once more, so that the copies are taken: later requests are served from them."""
    keys = copies_of(client)
    cache.delete_many(keys)
    assert signed_in(client)
    assert all(not isinstance(cache.get(key), (type(None), str)) for key in keys)


@pytest.fixture
def reader():
    return UserFactory(username="Мадина", display_name="Мадина Ахметова")


@pytest.fixture
def logged_in(reader, auth_cache):
    client = Client(headers={"accept-language": "ru"})
    response = client.post("/accounts/login/", {"login": "Мадина", "password": PASSWORD})
    assert response.status_code == 302
    if auth_cache:
        served_from_the_cache(client)
    return client


def test_a_reader_who_logs_in_stays_signed_in_with_their_name(logged_in):
    page = logged_in.get("/").content.decode()
    assert "Мадина Ахметова" in page and "/accounts/logout/" in page


def test_an_expired_session_signs_the_reader_out(logged_in, monkeypatch):
    expiry = Session.objects.get().expire_date
    assert signed_in(logged_in)

    class AfterExpiry:
        @staticmethod
        def now():
            return expiry + timedelta(seconds=1)

    monkeypatch.setattr(sessions, "timezone", AfterExpiry)
    assert not signed_in(logged_in)


def test_an_unknown_session_key_signs_nobody_in(client):
    client.cookies["sessionid"] = "x" * 32
    assert not signed_in(client)


def test_logging_out_ends_the_session(logged_in):
    old_cookie = logged_in.cookies["sessionid"].value
    logged_in.post("/accounts/logout/")
    assert not signed_in(logged_in)
    assert Session.objects.count() == 0
    # The cookie, kept by someone else (a shared computer), no longer signs anyone in.
    replay = Client()
    replay.cookies["sessionid"] = old_cookie
    assert not signed_in(replay)


def test_a_deactivated_account_is_signed_out(logged_in, reader):
    reader.is_active = False
    reader.save()
    assert not signed_in(logged_in)


def test_a_password_change_elsewhere_signs_other_browsers_out(logged_in, reader):
    reader.set_password("совсем-другой-пароль-2026")
    reader.save()
    assert not signed_in(logged_in)


def test_the_loaded_user_is_the_ORMs_user(reader):
    """Types included: dates are aware, flags are booleans, on either database."""
    reader.last_login = timezone.now()
    reader.save()
    loaded = user_by_pk(reader.pk)
    expected = get_user_model().objects.get(pk=reader.pk)
    for field in get_user_model()._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded.is_active is True and timezone.is_aware(loaded.date_joined)
    assert user_by_pk(reader.pk + 1000) is None
    assert user_by_pk("not a key") is None


@pytest.mark.parametrize(
    "former_backend",
    [
        "django.contrib.auth.backends.ModelBackend",
        "allauth.account.auth_backends.AuthenticationBackend",
    ],
)
def test_readers_signed_in_before_the_backends_moved_stay_signed_in(reader, former_backend):
    client = Client(headers={"accept-language": "ru"})
    client.force_login(reader, backend="accounts.backends.ModelBackend")
    session = client.session
    session["_auth_user_backend"] = former_backend
    session.save()
    assert signed_in(client)


def test_a_signed_in_page_from_the_cache_costs_no_query(
    logged_in, auth_cache, settings, django_assert_num_queries
):
    if not auth_cache:
        pytest.skip("the database-only run reads the session and the user")
    settings.READER_PAGE_SECONDS = 30
    url = ArticleFactory().get_absolute_url()
    logged_in.get(url)
    with django_assert_num_queries(0):
        page = logged_in.get(url).content.decode()
    assert "Мадина Ахметова" in page and "/accounts/logout/" in page


def test_a_copy_read_before_a_change_cannot_come_back_after_it(logged_in, reader, auth_cache):
    if not auth_cache:
        pytest.skip("nothing is copied")
    stale = user_by_pk(reader.pk)  # read from the cache, before the change
    reader.set_password("совсем-другой-пароль-2026")
    reader.save()
    snapshots.fill(snapshot_key(reader.pk), stale)  # a slow reader filling in late
    assert not signed_in(logged_in)


@pytest.fixture
def on_redis(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "newsportal.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/12",
            "KEY_PREFIX": f"snapshots-{uuid.uuid4().hex[:8]}",
        }
    }
    settings.AUTH_CACHE_SECONDS = 60
    settings.READER_PAGE_SECONDS = 30


def test_what_changed_while_redis_was_away_is_forgotten_when_it_answers(on_redis, reader):
    key = snapshot_key(reader.pk)
    snapshots.fill(key, user_by_pk(reader.pk))
    assert user_by_pk(reader.pk) == reader

    resilient.note_failure("test", "Redis went away")  # the breaker opens
    reader.is_active = False
    reader.save()  # its copy cannot be forgotten now
    assert cache.get(key) is None  # nothing is read from Redis while it is away

    resilient._down_until = 0.0  # the breaker closes; Redis answers again
    # The very first read after the outage already finds the copy forgotten.
    assert cache.get(key) == snapshots.GONE
    assert user_by_pk(reader.pk).is_active is False


def test_a_signed_in_page_from_the_cache_costs_one_round_trip_to_redis(
    on_redis, settings, monkeypatch, redis_round_trips, django_assert_num_queries
):
    """The session (confirmed against the copy the process read last), the page's parts,
    the reader's state and user copy at once, the view counted in the same script."""
    import time

    from articles import popularity

    settings.ARTICLE_VIEWS_FLUSH_EVERY = 10**9
    monkeypatch.setattr(popularity, "_next_time_check", time.monotonic() + 3600)
    UserFactory(username="Мадина", display_name="Мадина Ахметова")
    client = Client(headers={"accept-language": "ru"})
    client.post("/accounts/login/", {"login": "Мадина", "password": PASSWORD})
    served_from_the_cache(client)
    article = ArticleFactory()
    url = article.get_absolute_url()
    client.get(url)
    client.get(url, HTTP_USER_AGENT="Mozilla/5.0 Firefox/140.0")  # scripts loaded by now

    sent = redis_round_trips()
    with django_assert_num_queries(0):
        page = client.get(url).content.decode()
    assert len(sent) == 1
    assert "Мадина Ахметова" in page
    # The frame and the discussion, tens of kilobytes, stay in the process (articles.frames).
    assert b"frame:reader" not in b"".join(sent[0]) and b"discussion:reader" not in b"".join(
        sent[0]
    )

    counter = popularity.count_key(timezone.localdate(), article.pk)
    views = cache.get(counter)
    sent = redis_round_trips()
    client.get(url, HTTP_USER_AGENT="Mozilla/5.0 Firefox/140.0")
    assert len(sent) == 1
    assert cache.get(counter) == views + 1


@pytest.mark.parametrize("change", ["log out", "deactivate", "new password"])
def test_a_signed_in_page_served_in_one_round_trip_still_follows_every_change(
    on_redis, reader, change
):
    """The session's copy is confirmed with Redis on every request: whatever ends the
    session or changes the reader shows on the next page, in this very process."""
    browser = Client(headers={"accept-language": "ru"})
    browser.post("/accounts/login/", {"login": "Мадина", "password": PASSWORD})
    served_from_the_cache(browser)
    url = ArticleFactory().get_absolute_url()
    for _ in range(2):
        assert "/accounts/logout/" in browser.get(url).content.decode()
    stolen = Client(headers={"accept-language": "ru"})
    stolen.cookies["sessionid"] = browser.cookies["sessionid"].value
    assert "/accounts/logout/" in stolen.get(url).content.decode()

    if change == "log out":
        browser.post("/accounts/logout/")
    elif change == "deactivate":
        reader.is_active = False
        reader.save()
    else:
        reader.set_password("совсем-другой-пароль-2026")
        reader.save()
    assert "/accounts/logout/" not in stolen.get(url).content.decode()


def test_a_sessions_copy_is_confirmed_only_by_the_very_same_copy(on_redis, reader):
    browser = Client()
    browser.force_login(reader)
    key = browser.cookies["sessionid"].value
    cache.delete(f"snapshot:session:{key}")
    sessions.SessionStore(key).load()  # from the database, copied into the cache
    sessions.SessionStore(key).load()  # read from the cache by this process: now seen
    seen = cache.get(f"snapshot:session:{key}")
    session_data, expires_at = seen

    def confirmed(answer):
        store = sessions.SessionStore(key)
        assert str(store.near_user_pk()) == str(reader.pk)
        return store.confirm_near(answer), store

    ok, store = confirmed(seen)
    assert ok and store["_auth_user_id"] == str(reader.pk)
    sessions.SessionStore(key).load()
    for answer in [None, snapshots.GONE, (session_data + "x", expires_at)]:
        sessions.SessionStore(key).load()
        ok, store = confirmed(answer)
        assert not ok and not hasattr(store, "_session_cache")
    sessions.SessionStore(key).load()
    assert not confirmed((session_data, timezone.now().timestamp() - 1))[0]


def test_saving_a_session_leaves_no_copy_of_it_in_the_cache(logged_in, auth_cache):
    """Only readers put copies, with add: a copy written by a save could land after a
    sign-out on another server had forgotten the session, and bring it back."""
    if not auth_cache:
        pytest.skip("nothing is copied")
    session = logged_in.session
    session["seen_intro"] = True
    session.save()
    assert cache.get(f"snapshot:session:{session.session_key}") == snapshots.GONE
    assert signed_in(logged_in)
