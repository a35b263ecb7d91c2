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


def test_pages_of_a_sort_follow_a_vote_that_reorders_the_threads(client, article, monkeypatch):
    from comments import discussion

    monkeypatch.setattr(discussion, "THREADS_PER_PAGE", 2)
    first, second, third = (comment(article) for _ in range(3))
    liked = f"{article.get_absolute_url()}?csort=liked"

    def shown(url):
        return {c.pk for c in (first, second, third) if f'id="comment-{c.pk}"' in page(url)}

    def page(url):
        return client.get(url).content.decode()

    assert shown(liked) == {third.pk, second.pk}  # newest first among equals; kept now
    assert shown(f"{liked}&cpage=2") == {first.pk}

    client.force_login(UserFactory())
    client.post(f"/comments/{first.pk}/vote/", {"value": 1})
    client.logout()
    assert shown(liked) == {first.pk, third.pk}
    assert shown(f"{liked}&cpage=2") == {second.pk}


def test_readers_with_threads_of_their_own_see_them_beside_the_kept_list(client, article):
    from comments.models import Comment

    author = UserFactory()
    comment(article, body="Видна всем")
    waiting = comment(article, author=author, body="Ждёт проверки", status=Comment.Status.PENDING)
    assert "Ждёт проверки" not in anonymous_page(client, article)  # the list is kept now

    client.force_login(author)
    assert "Ждёт проверки" in client.get(article.get_absolute_url()).content.decode()
    client.force_login(moderator())
    assert f'id="comment-{waiting.pk}"' in client.get(article.get_absolute_url()).content.decode()
    assert "Ждёт проверки" not in anonymous_page(client, article)
