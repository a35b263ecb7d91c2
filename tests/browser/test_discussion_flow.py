"""The discussion as a reader meets it: log in from the article, come back to the form,
post and reply, with JavaScript and without."""

import re

import pytest
from playwright.sync_api import expect

from comments.models import Comment

from ..factories import PASSWORD, ArticleFactory, UserFactory, comment

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def article():
    return ArticleFactory(title="Новая развязка откроется весной")


def sign_up(page, username, email):
    page.fill("input[name=username]", username)
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("form button[type=submit]").last.click()


def test_reader_signs_up_from_the_article_and_discusses_in_place(live_server, page, article):
    comment(article, author=UserFactory(username="Неравнодушный"), body="Наконец-то!")
    page.goto(live_server.url + article.get_absolute_url())

    page.get_by_role("link", name="войдите в профиль").click()
    page.locator('a[href*="/accounts/signup/"]').first.click()
    sign_up(page, "Жанар_Әлиева", "zhanar@example.com")

    page.wait_for_url(re.compile(re.escape(article.get_absolute_url()) + "#comment-form$"))
    # Posting in place: the page is not reloaded, so this marker survives.
    page.evaluate("window.stillTheSamePage = true")
    page.fill("textarea[name=body]", "Мой первый комментарий 👍\nВторая строка")
    page.get_by_role("button", name="Отправить").click()

    mine = page.locator(".comment", has_text="Мой первый комментарий 👍")
    expect(mine).to_be_visible()
    expect(mine.locator(".comment__author")).to_have_text("Жанар_Әлиева")
    expect(page.locator("[data-comment-total]").first).to_have_text("2")
    assert page.evaluate("window.stillTheSamePage") is True

    first = Comment.objects.get(body="Наконец-то!")
    page.locator(f"#comment-{first.pk} .comment__reply").click()
    expect(page.locator("[data-replying-text]")).to_contain_text("Неравнодушный")
    page.fill("textarea[name=body]", "Согласна, ждём весну")
    page.get_by_role("button", name="Отправить").click()

    reply = page.locator(".comment", has_text="Согласна, ждём весну")
    expect(reply).to_have_attribute("data-parent-id", str(first.pk))
    assert page.evaluate("window.stillTheSamePage") is True
    # The reply sits right under the comment it answers.
    ids = page.locator(".comment-list > .comment").evaluate_all("els => els.map(e => e.id)")
    assert ids.index(f"comment-{first.pk}") + 1 == ids.index(reply.get_attribute("id"))
    assert page.js_errors == []

    page.reload()
    expect(page.locator(".comment", has_text="Согласна, ждём весну")).to_be_visible()
    assert Comment.objects.filter(author__username="Жанар_Әлиева").count() == 2


def test_empty_comment_in_place_gets_a_message_and_keeps_nothing(live_server, page, article):
    user = UserFactory(username="Айбалта")
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.goto(live_server.url + article.get_absolute_url())

    page.fill("textarea[name=body]", "   ")
    page.get_by_role("button", name="Отправить").click()

    expect(page.locator("[data-errors]")).to_contain_text("Комментарий пуст")
    assert Comment.objects.count() == 0


def test_without_javascript_reader_logs_in_to_reply_and_replies(
    live_server, page_without_js, article
):
    page = page_without_js
    UserFactory(username="23394288")
    root = comment(article, author=UserFactory(username="Владимир60"), body="Кто ездил — как там?")
    page.goto(live_server.url + article.get_absolute_url())

    page.locator(f"#comment-{root.pk} .comment__reply").click()
    page.get_by_role("link", name="войдите в профиль").click()
    page.fill("input[name=login]", "23394288")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()

    page.wait_for_url(re.compile(rf"\?reply_to={root.pk}#comment-form$"))
    expect(page.locator("#comment-form")).to_contain_text("Владимир60")
    page.fill("textarea[name=body]", "Ездил вчера, всё хорошо")
    page.get_by_role("button", name="Отправить").click()

    reply = Comment.objects.get(body="Ездил вчера, всё хорошо")
    assert reply.parent_id == root.pk
    page.wait_for_url(re.compile(rf"#comment-{reply.pk}$"))
    expect(page.locator(f"#comment-{reply.pk}")).to_have_attribute("data-parent-id", str(root.pk))

    # The browser stops at the limit (maxlength) before the server has to say so.
    page.fill("textarea[name=body]", "я" * 3100)
    assert len(page.input_value("textarea[name=body]")) == 3000
    page.fill("textarea[name=body]", " \n ")
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator("[data-errors]")).to_contain_text("Комментарий пуст")


def test_without_javascript_reader_signs_up_and_posts(live_server, page_without_js, article):
    page = page_without_js
    page.goto(live_server.url + article.get_absolute_url())
    page.get_by_role("link", name="войдите в профиль").click()
    page.locator('a[href*="/accounts/signup/"]').first.click()
    sign_up(page, "Ерлан90", "erlan@example.com")

    page.wait_for_url(re.compile(re.escape(article.get_absolute_url()) + "#comment-form$"))
    page.fill("textarea[name=body]", "Без скриптов тоже работает")
    page.get_by_role("button", name="Отправить").click()

    posted = Comment.objects.get(body="Без скриптов тоже работает")
    page.wait_for_url(re.compile(rf"#comment-{posted.pk}$"))
    expect(page.locator(f"#comment-{posted.pk}")).to_contain_text("Ерлан90")
