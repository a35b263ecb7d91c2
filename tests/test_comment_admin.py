"""The Django admin for comments: read, filter, find, and moderate through the same
services (and audit trail) as the site."""

import pytest

from comments.models import Comment
from moderation import services as moderation
from moderation.models import ModerationAction

from .factories import ArticleFactory, UserFactory, comment, editor, moderator

pytestmark = pytest.mark.django_db

LIST = "/admin/comments/comment/"


@pytest.fixture
def mod(russian):
    user = moderator()
    russian.force_login(user)
    return user


def test_list_filters_search_and_reported(russian, mod):
    article = ArticleFactory()
    reported = comment(article, body="Грубость в адрес автора")
    calm = comment(article, body="Спокойное мнение")
    moderation.report(UserFactory(), reported, "insult")

    page = russian.get(LIST, {"reported": "open"}).content.decode()
    assert "Грубость в адрес автора" in page and "Спокойное мнение" not in page
    page = russian.get(LIST, {"q": "Спокойное"}).content.decode()
    assert "Спокойное мнение" in page and "Грубость" not in page
    page = russian.get(LIST, {"status__exact": "visible"}).content.decode()
    assert "Спокойное мнение" in page
    assert calm.pk


def test_actions_moderate_and_are_recorded(russian, mod):
    article = ArticleFactory()
    visible = comment(article)
    pending = comment(article, status=Comment.Status.PENDING)

    russian.post(LIST, {"action": "hide_selected", "_selected_action": [visible.pk]})
    russian.post(LIST, {"action": "approve_selected", "_selected_action": [pending.pk]})

    visible.refresh_from_db()
    pending.refresh_from_db()
    assert visible.status == Comment.Status.HIDDEN and visible.moderation_reason
    assert pending.status == Comment.Status.VISIBLE
    assert set(ModerationAction.objects.values_list("action", flat=True)) == {"hide", "approve"}

    russian.post(LIST, {"action": "show_selected", "_selected_action": [visible.pk]})
    visible.refresh_from_db()
    assert visible.status == Comment.Status.VISIBLE


def test_change_page_shows_the_thread_and_history(russian, mod):
    article = ArticleFactory()
    parent = comment(article, body="Исходное мнение")
    middle = comment(article, parent=parent, body="Ответ посередине")
    comment(article, parent=middle, body="Ответ на ответ")
    moderation.hide(mod, middle, "Спам")

    page = russian.get(f"{LIST}{middle.pk}/change/").content.decode()
    assert "Исходное мнение" in page and "Ответ на ответ" in page
    assert "Спам" in page  # the audit trail
    assert 'name="body"' not in page  # read-only: no form to overwrite anything


def test_editors_cannot_moderate_in_the_admin(russian):
    russian.force_login(editor())
    target = comment(ArticleFactory())
    response = russian.post(LIST, {"action": "hide_selected", "_selected_action": [target.pk]})
    assert response.status_code in (403, 302, 200)
    target.refresh_from_db()
    assert target.status == Comment.Status.VISIBLE
