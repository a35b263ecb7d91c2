"""Who may do what in a discussion, as a matrix: every role × every action.

An allowed action succeeds and changes what it should; a refused one answers 403 or a
redirect to the login page, never a 500, and changes nothing.
"""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from articles.models import ArticleReaction
from comments.models import Comment, CommentVote
from moderation import services as moderation
from moderation.models import Report, Sanction

from .factories import ArticleFactory, UserFactory, comment, editor, moderator

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
HIDDEN_TEXT = "Текст, который скрыл модератор"

ROLES = ["anonymous", "reader", "author", "suspended", "moderator", "editor", "superuser"]

# action: the roles allowed to do it
ALLOWED = {
    "post": {"reader", "author", "moderator", "editor", "superuser"},
    "edit": {"author"},
    "delete": {"author"},
    "react": {"reader", "author", "moderator", "editor", "superuser"},
    "vote": {"reader", "moderator", "editor", "superuser"},
    "report": {"reader", "editor", "moderator", "superuser"},
    "hide": {"moderator", "superuser"},
    "show": {"moderator", "superuser"},
    "approve": {"moderator", "superuser"},
    "suspend": {"moderator", "superuser"},
    "pin": {"moderator", "editor", "superuser"},
    "see_hidden_text": {"author", "moderator", "superuser"},
    "moderation_page": {"moderator", "superuser"},
}


@pytest.fixture
def world():
    article = ArticleFactory()
    author = UserFactory(username="Автор", date_joined=timezone.now() - timedelta(days=90))
    suspended = UserFactory(username="Нарушитель")
    the_moderator = moderator(username="Модератор")
    moderation.suspend(the_moderator, suspended, 7, "Оскорбления")
    target = comment(article, author=author, body="Обычный комментарий")
    hidden = comment(article, author=author, body=HIDDEN_TEXT)
    moderation.hide(the_moderator, hidden, "Спам")
    pending = comment(article, author=author, body="Ждёт проверки", status=Comment.Status.PENDING)
    users = {
        "anonymous": None,
        "reader": UserFactory(username="Читатель"),
        "author": author,
        "suspended": suspended,
        "moderator": the_moderator,
        "editor": editor(username="Редактор"),
        "superuser": UserFactory(username="Главный", is_staff=True, is_superuser=True),
    }
    victim = UserFactory(username="Кандидат")
    return {
        "article": article,
        "target": target,
        "hidden": hidden,
        "pending": pending,
        "users": users,
        "victim": victim,
    }


def state(world):
    """Everything any action could change."""
    comments = {
        c.pk: (c.status, c.body, c.likes, c.dislikes, c.is_pinned)
        for c in Comment.objects.filter(article=world["article"])
    }
    return (
        comments,
        ArticleReaction.objects.count(),
        CommentVote.objects.count(),
        Report.objects.count(),
        Sanction.objects.filter(user=world["victim"]).count(),
    )


def do(action, client, world):
    article, target = world["article"], world["target"]
    if action == "post":
        data = {"body": "Новое мнение", "submission_token": str(uuid.uuid4())}
        return client.post(f"/comments/post/{article.pk}/", data, **JSON)
    if action == "edit":
        return client.post(f"/comments/{target.pk}/edit/", {"body": "Правка"}, **JSON)
    if action == "delete":
        return client.post(f"/comments/{target.pk}/delete/", **JSON)
    if action == "react":
        return client.post(f"/articles/{article.pk}/react/", {"kind": "like"}, **JSON)
    if action == "vote":
        return client.post(f"/comments/{target.pk}/vote/", {"value": 1}, **JSON)
    if action == "report":
        data = {"reason": "spam", "text": ""}
        return client.post(f"/moderation/comments/{target.pk}/report/", data, **JSON)
    if action == "hide":
        data = {"reason": "insult", "reason_text": ""}
        return client.post(f"/moderation/comments/{target.pk}/hide/", data, **JSON)
    if action == "show":
        return client.post(f"/moderation/comments/{world['hidden'].pk}/show/", **JSON)
    if action == "approve":
        return client.post(f"/moderation/comments/{world['pending'].pk}/approve/", **JSON)
    if action == "suspend":
        data = {"action": "suspend", "days": 3, "reason": "Спам"}
        return client.post(f"/moderation/users/{world['victim'].pk}/", data)
    if action == "pin":
        return client.post(f"/moderation/comments/{target.pk}/pin/", **JSON)
    if action == "see_hidden_text":
        return client.get(article.get_absolute_url())
    if action == "moderation_page":
        return client.get("/moderation/")
    raise AssertionError(action)


@pytest.mark.parametrize("action", list(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_rights(client, world, role, action):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    before = state(world)

    response = do(action, client, world)

    assert response.status_code < 500
    allowed = role in ALLOWED[action]
    if action == "see_hidden_text":
        assert response.status_code == 200
        assert (HIDDEN_TEXT in response.content.decode()) is allowed
        return
    if action == "moderation_page":
        expected = 200 if allowed else (302 if role == "anonymous" else 403)
        assert response.status_code == expected
        if expected == 302:
            assert response["Location"].startswith("/accounts/login/")
        return
    if allowed:
        assert response.status_code in (200, 201, 302), response.content[:300]
        assert state(world) != before, f"{role} {action} changed nothing"
    else:
        if role == "anonymous":
            assert response.status_code in (302, 401)
            if response.status_code == 302:
                assert response["Location"].startswith("/accounts/login/")
        else:
            assert response.status_code == 403, response.content[:300]
        assert state(world) == before, f"{role} {action} changed something"


def test_every_role_and_action_is_in_the_matrix():
    assert set(ROLES) >= set().union(*ALLOWED.values())
    assert get_user_model().objects.count() == 0  # the matrix builds its own world
