"""The body of a hidden (or pending, or deleted) comment reaches no one but its author and
the moderators: not the page, the latest-comments list, profiles, feeds, search, JSON,
sitemaps, nor the counts."""

import re
import uuid

import pytest

from comments.models import Comment
from moderation import services as moderation

from .factories import ArticleFactory, UserFactory, comment, moderator

pytestmark = pytest.mark.django_db

SECRETS = {
    "hidden": "СЕКРЕТ-скрытый-текст",
    "pending": "СЕКРЕТ-на-проверке",
    "deleted": "СЕКРЕТ-удалённый",
}


@pytest.fixture
def leaky_world():
    article = ArticleFactory(title="Статья с обсуждением")
    author = UserFactory(username="Болтун")
    mod = moderator()
    visible = comment(article, author=author, body="Обычный видимый комментарий")
    hidden = comment(article, author=author, body=SECRETS["hidden"], parent=visible)
    moderation.hide(mod, hidden, "Оскорбление")
    comment(article, parent=hidden, body="Ответ на скрытый")  # keeps its placeholder shown
    comment(article, author=author, body=SECRETS["pending"], status=Comment.Status.PENDING)
    deleted = comment(article, author=author, body=SECRETS["deleted"])
    deleted.status = Comment.Status.DELETED
    deleted.save(update_fields=["status"])
    return {"article": article, "author": author, "visible": visible, "hidden": hidden}


def outputs(client, world):
    article, author = world["article"], world["author"]
    urls = [
        "/",
        article.get_absolute_url(),
        f"{article.get_absolute_url()}?csort=oldest",
        f"{article.get_absolute_url()}?csort=replies",
        f"{article.get_absolute_url()}?csort=liked",
        article.category.get_absolute_url(),
        author.get_absolute_url(),
        "/feeds/",
        f"/feeds/comments/{article.pk}/",
        f"/feeds/{article.category.slug}/",
        "/sitemap.xml",
        "/sitemap-articles.xml",
        "/search/?q=СЕКРЕТ",
        "/search/?q=скрытый",
        f"/comments/{world['hidden'].pk}/",
        f"/moderation/comments/{world['hidden'].pk}/",
        "/moderation/?queue=hidden",
    ]
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code < 500, url
        yield url, response.content.decode(errors="replace")
    # JSON answers: a vote on a neighbour, and posting a reply next to the hidden one.
    vote = client.post(
        f"/comments/{world['visible'].pk}/vote/", {"value": 1}, HTTP_ACCEPT="application/json"
    )
    yield "vote json", vote.content.decode()
    reply = client.post(
        f"/comments/post/{article.pk}/",
        {"body": "Ещё ответ", "parent": world["visible"].pk, "submission_token": uuid.uuid4()},
        HTTP_ACCEPT="application/json",
    )
    yield "post json", reply.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "reader"])
def test_removed_text_reaches_no_one_else(client, leaky_world, who):
    if who == "reader":
        client.force_login(UserFactory())
    for where, body in outputs(client, leaky_world):
        for kind, secret in SECRETS.items():
            assert secret not in body, f"{kind} text leaked into {where}"


def test_counts_count_visible_comments_only(client, leaky_world):
    page = client.get(leaky_world["article"].get_absolute_url()).content.decode()
    text = re.sub(r"<[^>]+>", "", page)
    assert "Всего комментариев: 2" in text  # the visible one and the reply


def test_the_author_and_moderators_still_see_it(client, leaky_world):
    client.force_login(leaky_world["author"])
    page = client.get(leaky_world["article"].get_absolute_url()).content.decode()
    assert SECRETS["hidden"] in page and SECRETS["pending"] in page
    assert SECRETS["deleted"] not in page  # erased for everyone
    client.force_login(moderator())
    page = client.get(leaky_world["article"].get_absolute_url()).content.decode()
    assert SECRETS["hidden"] in page and SECRETS["pending"] in page
