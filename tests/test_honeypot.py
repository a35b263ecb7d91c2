"""The invisible field that form-filling bots fill in and people never see."""

import uuid

import pytest
from django.contrib.auth import get_user_model

from comments.models import Comment

from .factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_comment_form_with_the_honeypot_filled_is_refused(russian):
    article = ArticleFactory()
    russian.force_login(UserFactory())
    data = {"body": "Купите слонов", "submission_token": str(uuid.uuid4())}

    refused = russian.post(f"/comments/post/{article.pk}/", {**data, "website": "http://spam"})

    assert refused.status_code == 400
    assert "Не удалось отправить форму" in refused.content.decode()
    assert Comment.objects.count() == 0
    assert russian.post(f"/comments/post/{article.pk}/", data).status_code == 302


def test_honeypot_is_out_of_sight_and_out_of_the_tab_order(russian):
    article = ArticleFactory()
    russian.force_login(UserFactory())
    page = russian.get(article.get_absolute_url()).content.decode()
    trap = page.split('<div class="hp" aria-hidden="true">')[1].split("</div>")[0]
    assert 'name="website"' in trap and 'tabindex="-1"' in trap and 'autocomplete="off"' in trap
    russian.logout()
    signup = russian.get("/accounts/signup/").content.decode()
    assert 'aria-hidden="true"' in signup.split('name="website"')[0].rsplit("<div", 1)[1]


def test_signup_with_the_honeypot_filled_creates_no_account(russian):
    response = russian.post(
        "/accounts/signup/",
        {
            "username": "Робот",
            "email": "robot@example.com",
            "password1": "Steppe-wind-2024!",
            "password2": "Steppe-wind-2024!",
            "website": "http://spam.example",
        },
    )
    assert response.status_code == 200
    assert "Не удалось отправить форму" in response.content.decode()
    assert not get_user_model().objects.filter(username="Робот").exists()
