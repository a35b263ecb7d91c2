"""Moderation as people meet it: a reader reacts and reports, a moderator hides from the
queue with a reason, readers see the placeholder, the author sees why; a suspended
reader is refused."""

import re

import pytest
from playwright.sync_api import expect

from articles.models import ArticleReaction
from comments.models import Comment
from moderation import services as moderation
from moderation.models import Report

from ..factories import PASSWORD, ArticleFactory, UserFactory, comment, moderator

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, live_server, user):
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))


def test_report_hide_placeholder_and_reason(live_server, page):
    article = ArticleFactory(title="Тарифы на воду вырастут")
    author = UserFactory(username="Дерзкий")
    reader = UserFactory(username="Внимательный")
    the_moderator = moderator(username="Модератор")
    rude = comment(article, author=author, body="Вы все ничего не понимаете!")
    url = live_server.url + article.get_absolute_url()

    # A reader reacts to the article and reports the comment.
    log_in(page, live_server, reader)
    page.goto(url)
    page.locator('[data-reactions] button[value="like"]').click()
    expect(page.locator('[data-reactions] button[value="like"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    assert ArticleReaction.objects.filter(user=reader, kind="like").exists()
    page.locator(f"#comment-{rude.pk} .comment__report").click()
    page.locator('input[name="reason"][value="insult"]').check()
    page.get_by_role("button", name="Пожаловаться").click()
    page.wait_for_url(re.compile(rf"#comment-{rude.pk}$"))
    assert Report.objects.filter(comment=rude, reporter=reader).exists()

    # The moderator finds it in the reports queue and hides it with a reason.
    log_in(page, live_server, the_moderator)
    page.goto(live_server.url + "/moderation/")
    item = page.locator("[data-mod-item]", has_text="Вы все ничего не понимаете!")
    item.locator("select[name=reason]").select_option("insult")
    item.get_by_role("button", name="Скрыть").click()
    for _ in range(50):  # the queue's script hides it in place
        rude.refresh_from_db()
        if rude.status == Comment.Status.HIDDEN:
            break
        page.wait_for_timeout(100)
    assert rude.status == Comment.Status.HIDDEN and rude.moderation_reason

    # Readers see the placeholder and not the text.
    log_in(page, live_server, reader)
    page.goto(url)
    element = page.locator(f"#comment-{rude.pk}")
    expect(element).to_contain_text("Комментарий скрыт модератором")
    expect(element).not_to_contain_text("Вы все ничего не понимаете!")

    # The author sees the text, marked hidden, with the reason, and can appeal.
    log_in(page, live_server, author)
    page.goto(url)
    element = page.locator(f"#comment-{rude.pk}")
    expect(element).to_contain_text("Вы все ничего не понимаете!")
    expect(element).to_contain_text(rude.moderation_reason)
    expect(element.get_by_role("link", name="Обжаловать")).to_be_visible()
    assert page.js_errors == []


def test_suspended_reader_is_refused(live_server, page):
    article = ArticleFactory()
    troll = UserFactory(username="Тролль")
    moderation.suspend(moderator(), troll, 3, "Оскорбления")

    log_in(page, live_server, troll)
    page.goto(live_server.url + article.get_absolute_url())
    page.fill("textarea[name=body]", "Я снова здесь")
    page.get_by_role("button", name="Отправить").click()

    expect(page.locator("[data-errors]")).to_contain_text("Оскорбления")
    assert not Comment.objects.filter(body="Я снова здесь").exists()
