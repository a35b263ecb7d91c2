"""Cached discussions never show anything stale after a write: a new comment, an edit, a
vote, a hide or a deletion is on the very next request of everyone it concerns."""

import re
import uuid

import pytest

from moderation import services as moderation

from .factories import ArticleFactory, UserFactory, comment, moderator

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return ArticleFactory()


def anonymous_page(client, article):
    client.logout()
    return client.get(article.get_absolute_url()).content.decode()


def text(page):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))


def test_a_new_comment_is_on_the_next_anonymous_page(client, article):
    assert "Всего комментариев: 0" in text(anonymous_page(client, article))  # now cached
    client.force_login(UserFactory())
    client.post(
        f"/comments/post/{article.pk}/",
        {"body": "Свежее мнение", "submission_token": str(uuid.uuid4())},
    )
    page = anonymous_page(client, article)
    assert "Свежее мнение" in page and "Всего комментариев: 1" in text(page)


def test_an_edit_and_a_vote_are_on_the_next_anonymous_page(client, article):
    author = UserFactory()
    own = comment(article, author=author, body="Черновая мысль")
    anonymous_page(client, article)
    client.force_login(author)
    client.post(f"/comments/{own.pk}/edit/", {"body": "Исправленная мысль"})
    assert "Исправленная мысль" in anonymous_page(client, article)

    client.force_login(UserFactory())
    client.post(f"/comments/{own.pk}/vote/", {"value": 1})
    element = anonymous_page(client, article).split(f'id="comment-{own.pk}"')[1]
    assert "<span data-likes>1</span>" in element.split("</article>")[0]


def test_a_hidden_comment_is_gone_from_every_cached_page(client, article):
    rude = comment(article, body="Грубость, которую скроют")
    for sort in ("newest", "oldest", "replies", "liked"):
        client.get(f"{article.get_absolute_url()}?csort={sort}")  # all cached now
    moderation.hide(moderator(), rude, "Оскорбление")
    for sort in ("newest", "oldest", "replies", "liked"):
        page = client.get(f"{article.get_absolute_url()}?csort={sort}").content.decode()
        assert "Грубость, которую скроют" not in page
        assert "Комментарий скрыт модератором" in page


def test_a_deleted_comment_is_gone_from_the_next_page(client, article):
    author = UserFactory()
    own = comment(article, author=author, body="Передумаю и удалю")
    anonymous_page(client, article)
    client.force_login(author)
    client.post(f"/comments/{own.pk}/delete/")
    assert "Передумаю и удалю" not in anonymous_page(client, article)


def test_signed_in_readers_never_get_the_anonymous_copy(client, article):
    anonymous_page(client, article)
    client.force_login(UserFactory())
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'name="body"' in page  # their own comment form, not the cached login sentence
