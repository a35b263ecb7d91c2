"""Faults that must not take the site down or leave half-written data."""

import uuid

import pytest
from django.db import IntegrityError

from comments import tree
from comments.models import Comment

from .factories import ArticleFactory, UserFactory, comment

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "newsportal.cache.ResilientRedisCache",
        # A port nothing listens on: every call fails like a stopped Redis.
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture
def redis_down(settings):
    # Django rebuilds its cache handlers when CACHES changes (the setting_changed signal).
    settings.CACHES = UNREACHABLE_REDIS


def test_pages_serve_and_comments_post_with_redis_stopped(client, redis_down, caplog):
    article = ArticleFactory()
    comment(article, body="Комментарий до сбоя")
    assert client.get("/").status_code == 200
    assert "Комментарий до сбоя" in client.get(article.get_absolute_url()).content.decode()

    client.force_login(UserFactory())
    response = client.post(
        f"/comments/post/{article.pk}/",
        {"body": "Пишу, пока Redis лежит", "submission_token": uuid.uuid4()},
    )
    assert response.status_code == 302
    assert Comment.objects.filter(body="Пишу, пока Redis лежит").exists()
    assert "rate limits are off" in caplog.text or "cache unavailable" in caplog.text


@pytest.mark.parametrize("failure", ["after the row is written", "the row is refused"])
def test_a_failed_comment_transaction_leaves_nothing_half_written(monkeypatch, failure):
    article = ArticleFactory()
    root = comment(article)
    before = list(Comment.objects.values_list("pk", "lft", "rght", "tree_id"))

    def explode(self, *args, **kwargs):
        raise IntegrityError("the database refused the write")

    reply = Comment(article=article, author=root.author, parent=root, body="x")
    if failure == "after the row is written":
        # The reply's own row fails after its parent's numbers were shifted: on SQLite
        # the row goes in through save(), on PostgreSQL with the shift in one message.
        original_save = Comment.save
        original_execute = tree._execute_returning

        def save_then_fail(self, *args, **kwargs):
            original_save(self, *args, **kwargs)
            explode(self)

        def execute_then_fail(sql, params):
            original_execute(sql, params)
            explode(None)

        monkeypatch.setattr(Comment, "save", save_then_fail)
        monkeypatch.setattr(tree, "_execute_returning", execute_then_fail)
    else:
        reply.status = None  # NOT NULL: the INSERT itself fails, after the shift
    with pytest.raises(IntegrityError):
        tree.insert_comment(reply)
    monkeypatch.undo()

    assert list(Comment.objects.values_list("pk", "lft", "rght", "tree_id")) == before
    assert tree.broken_trees() == []
    assert (root.lft, root.rght) == (1, 2)  # the parent in hand was not moved either


def test_logging_in_works_with_redis_stopped(client, redis_down):
    from .factories import PASSWORD

    UserFactory(username="Читатель")
    response = client.post("/accounts/login/", {"login": "Читатель", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_a_hung_redis_costs_one_timeout_not_one_per_call(redis_down):
    import time

    from django.core.cache import cache

    cache.get("first")  # fails after its timeout and opens the breaker
    started = time.monotonic()
    for n in range(50):
        cache.get(f"key-{n}")
        cache.set(f"key-{n}", n)
    assert time.monotonic() - started < 0.5


def test_after_an_outage_everything_cached_before_is_stale(settings):
    from django.core.cache import cache

    from comments import fragments
    from newsportal import cache as resilient

    settings.CACHES = {
        "default": {
            "BACKEND": "newsportal.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/12",
            "KEY_PREFIX": f"faults-{uuid.uuid4().hex[:8]}",
        }
    }
    before = fragments.tokens()
    resilient.note_failure("test", "Redis went away")
    resilient._down_until = 0.0  # the breaker closes; Redis answers again
    cache.get("anything")
    assert fragments.tokens() != before


def test_a_cached_pages_script_survives_a_redis_that_forgot_it_or_dropped_the_connection():
    """The hot path's own connection (newsportal.cache.run_script): a restarted Redis
    has no scripts and has closed every connection; the next page must still come."""
    import redis as redis_py

    from newsportal import cache as resilient

    client = redis_py.Redis.from_url("redis://127.0.0.1:6379/12")
    script = client.register_script("return ARGV[1] .. KEYS[1]")
    assert resilient.run_script(client, script, ["k"], ["v"]) == b"vk"

    client.script_flush()
    assert resilient.run_script(client, script, ["k"], ["w"]) == b"wk"

    own = resilient._own.connection
    assert client.client_kill_filter(addr="{}:{}".format(*own._sock.getsockname())) == 1
    assert resilient.run_script(client, script, ["k"], ["x"]) == b"xk"
    assert resilient._own.connection is not own
