"""Abuse limits: bursts then a steady rate, per user and per address, kept in the cache."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import ArticleReaction
from comments.models import Comment, CommentVote

from .factories import ArticleFactory, UserFactory, comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return ArticleFactory()


@pytest.fixture
def seasoned_reader(client):
    reader = UserFactory(date_joined=timezone.now() - timedelta(days=30))
    client.force_login(reader)
    return reader


def post(client, article, body, **headers):
    data = {"body": body, "submission_token": str(uuid.uuid4())}
    return client.post(f"/comments/post/{article.pk}/", data, **headers)


def test_comment_burst_then_refusal_keeps_the_text(russian, article, seasoned_reader):
    for n in range(5):
        assert post(russian, article, f"Комментарий {n}").status_code == 302

    response = post(russian, article, "Шестой подряд")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "Слишком часто" in page and "Шестой подряд" in page
    assert Comment.objects.count() == 5
    json_response = post(russian, article, "Шестой", HTTP_ACCEPT="application/json")
    assert json_response.status_code == 429 and "Слишком часто" in json_response.json()["error"]


def test_new_accounts_get_a_smaller_burst(client, article):
    client.force_login(UserFactory(date_joined=timezone.now()))
    statuses = [post(client, article, f"новичок {n}").status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]


def test_limits_are_per_user(client, article, seasoned_reader):
    for n in range(6):
        post(client, article, f"Первый {n}")
    client.force_login(UserFactory(date_joined=timezone.now() - timedelta(days=30)))
    assert post(client, article, "Другой читатель").status_code == 302


def test_one_address_cannot_flood_with_many_accounts(client, article, settings):
    settings.RATE_LIMITS = {"comment": {"user": (5, 20), "ip": (3, 60)}}
    statuses = []
    for n in range(4):
        client.force_login(UserFactory(date_joined=timezone.now() - timedelta(days=30)))
        statuses.append(post(client, article, f"Аккаунт {n}").status_code)
    assert statuses == [302, 302, 302, 429]


def test_votes_and_reactions_are_limited(client, article, seasoned_reader, settings):
    settings.RATE_LIMITS = {"vote": {"user": (2, 60)}, "reaction": {"user": (2, 60)}}
    target = comment(article)
    codes = [
        client.post(
            f"/comments/{target.pk}/vote/", {"value": 1}, HTTP_ACCEPT="application/json"
        ).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    assert CommentVote.objects.count() == 0  # liked, then unliked; the third never happened
    codes = [
        client.post(f"/articles/{article.pk}/react/", {"kind": "like"}).status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 302]
    assert ArticleReaction.objects.count() == 0


def test_the_limit_refills_over_time(client, article, seasoned_reader, settings, monkeypatch):
    import time

    settings.RATE_LIMITS = {"comment": {"user": (1, 20)}}
    clock = [time.time()]
    monkeypatch.setattr("newsportal.ratelimit.time.time", lambda: clock[0])
    assert post(client, article, "раз").status_code == 302
    assert post(client, article, "два").status_code == 429
    clock[0] += 21
    assert post(client, article, "три").status_code == 302


def test_reports_are_limited(client, seasoned_reader, settings):
    from moderation.models import Report

    settings.RATE_LIMITS = {"report": {"user": (2, 60)}}
    article = ArticleFactory()
    targets = [comment(article) for _ in range(3)]
    codes = [
        client.post(
            f"/moderation/comments/{target.pk}/report/",
            {"reason": "spam"},
            HTTP_ACCEPT="application/json",
        ).status_code
        for target in targets
    ]
    assert codes == [200, 200, 429]
    assert Report.objects.count() == 2


def test_sign_ups_and_logins_are_limited_by_allauth(client, settings):
    """allauth's own limits, kept in the same cache: sign-ups per address, failed logins
    per account."""
    from django.contrib.auth import get_user_model

    settings.ACCOUNT_RATE_LIMITS = {"signup": "3/m/ip", "login_failed": "3/m/ip,3/5m/key"}
    codes = []
    for n in range(4):
        response = client.post(
            "/accounts/signup/",
            {
                "username": f"Новичок{n}",
                "email": f"new{n}@example.com",
                "password1": "Steppe-wind-2024!",
                "password2": "Steppe-wind-2024!",
            },
        )
        codes.append(response.status_code)
        client.logout()
    assert codes[:3] == [302, 302, 302] and codes[3] == 429, codes
    assert get_user_model().objects.filter(username__startswith="Новичок").count() == 3

    UserFactory(username="Жертва")
    for _ in range(3):
        client.post("/accounts/login/", {"login": "Жертва", "password": "wrong"})
    # Past the limit even the right password is refused for a while, with a message.
    from .factories import PASSWORD

    response = client.post("/accounts/login/", {"login": "Жертва", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
