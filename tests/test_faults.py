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


def test_a_failed_comment_transaction_leaves_nothing_half_written(monkeypatch):
    article = ArticleFactory()
    root = comment(article)
    before = list(Comment.objects.values_list("pk", "lft", "rght", "tree_id"))

    def explode(self, *args, **kwargs):
        raise IntegrityError("the database refused the write")

    # The reply's own row fails after mptt has already shifted its parent's numbers.
    original_save = Comment.save

    def save_then_fail(self, *args, **kwargs):
        original_save(self, *args, **kwargs)
        explode(self)

    monkeypatch.setattr(Comment, "save", save_then_fail)
    with pytest.raises(IntegrityError):
        tree.insert_comment(Comment(article=article, author=root.author, parent=root, body="x"))
    monkeypatch.undo()

    assert list(Comment.objects.values_list("pk", "lft", "rght", "tree_id")) == before
    assert tree.broken_trees() == []
