"""Signed-in readers are served one shared page, personalised per request
(articles.reader_page). What each reader gets must be exactly the page drawn for them in
full, whatever they wrote, voted or reacted, and nothing of one reader may reach another.
"""

import re
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.test import Client, RequestFactory

from articles import frames, reader_page
from articles import services as article_services
from articles.models import Article
from comments import services as comment_services
from comments.models import Comment
from moderation import services as moderation_services
from tests.factories import ArticleFactory, UserFactory, comment, moderator

pytestmark = pytest.mark.django_db

TOKENS = [
    # Every page view gets a fresh CSRF mask and a fresh submission token.
    (re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"'), r'\1CSRF"'),
    (re.compile(r'(name="submission_token" value=")[^"]+"'), r'\1TOKEN"'),
]


def normalised(html):
    for pattern, replacement in TOKENS:
        html = pattern.sub(replacement, html)
    return html


def page_for(user, url, settings, shared):
    settings.READER_PAGE_SECONDS = 30 if shared else 0
    client = Client(headers={"accept-language": "ru"})
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def assert_same_as_full_page(user, url, settings):
    shared = page_for(user, url, settings, shared=True)
    full = page_for(user, url, settings, shared=False)
    assert "\x00" not in shared, "a slot was left unfilled"
    assert normalised(shared) == normalised(full)
    return shared


@pytest.fixture
def story():
    """A discussion with threads, replies, a deleted comment and a hidden one."""
    article = ArticleFactory(title="Новый мост через Ишим откроют весной")
    people = [UserFactory() for _ in range(4)]
    roots = [comment(article, author=people[i % 4], body=f"Мнение номер {i}") for i in range(6)]
    for index, root in enumerate(roots):
        reply = comment(article, author=people[(index + 1) % 4], parent=root, body="Согласен")
        comment(article, author=people[(index + 2) % 4], parent=reply, body="Не согласен")
    return article, people, roots


def test_a_reader_with_no_history_gets_exactly_their_full_page(story, settings):
    article, _people, _roots = story
    page = assert_same_as_full_page(UserFactory(), article.get_absolute_url(), settings)
    assert "/accounts/logout/" in page and 'name="csrfmiddlewaretoken"' in page


def test_votes_reactions_own_comments_are_the_readers_own(story, settings):
    article, people, roots = story
    reader = UserFactory(display_name="Айгерим Читатель")
    mine = comment_services.post_comment(reader, article, "Мой первый комментарий")[0]
    my_reply = comment_services.post_comment(reader, article, "Мой ответ", parent_id=roots[2].pk)[0]
    gone = comment_services.post_comment(reader, article, "Передумал", parent_id=roots[3].pk)[0]
    comment_services.post_comment(people[0], article, "Ответ на удалённый", parent_id=gone.pk)
    comment_services.delete_comment(reader, gone)
    comment_services.vote(reader, roots[0], 1)
    comment_services.vote(reader, roots[1], -1)
    article_services.react(reader, article, "like")
    url = article.get_absolute_url()

    page = assert_same_as_full_page(reader, url, settings)

    assert "Айгерим Читатель" in re.search(r'<nav class="account-nav".*?</nav>', page, re.S).group()
    assert f'data-edit="{mine.pk}"' in page and f'data-edit="{my_reply.pk}"' in page
    assert page.count("vote__button--mine") == 2
    assert 'reaction reaction--mine" aria-pressed="true"' in page

    # The next reader gets the same shared page, with none of that.
    other = assert_same_as_full_page(people[1], url, settings)
    account_menu = re.search(r'<nav class="account-nav".*?</nav>', other, re.S).group()
    assert "Айгерим Читатель" not in account_menu
    assert f'data-edit="{mine.pk}"' not in other
    assert "vote__button--mine" not in other and "reaction--mine" not in other


def test_a_reader_with_a_comment_only_they_can_see_gets_it(story, settings):
    article, _people, roots = story
    reader = UserFactory()
    held = comment(article, author=reader, status=Comment.Status.PENDING, body="Жду проверки")
    hidden = comment_services.post_comment(reader, article, "Грубость", parent_id=roots[0].pk)[0]
    moderation_services.hide(moderator(), hidden, "Оскорбление")
    url = article.get_absolute_url()

    page = assert_same_as_full_page(reader, url, settings)

    assert held.body in page and "Грубость" in page and "Оскорбление" in page
    assert held.body not in assert_same_as_full_page(UserFactory(), url, settings)


def test_sorted_and_paged_discussions_match(story, settings):
    article, people, roots = story
    reader = people[2]
    comment_services.vote(reader, roots[0], 1)
    for sort in ("oldest", "liked", "replies"):
        assert_same_as_full_page(reader, f"{article.get_absolute_url()}?csort={sort}", settings)


def test_the_page_follows_the_readers_own_actions_at_once(story, settings):
    article, _people, roots = story
    reader = UserFactory()
    settings.READER_PAGE_SECONDS = 30
    client = Client(headers={"accept-language": "ru"})
    client.force_login(reader)
    url = article.get_absolute_url()
    assert "vote__button--mine" not in client.get(url).content.decode()

    client.post(f"/comments/{roots[4].pk}/vote/", {"value": "1"})
    page = client.get(url).content.decode()
    assert page.count("vote__button--mine") == 1

    client.post(
        f"/comments/post/{article.pk}/",
        {"body": "Только что написал", "submission_token": str(uuid.uuid4())},
    )
    page = client.get(url).content.decode()
    posted = Comment.objects.get(body="Только что написал")
    assert f'data-edit="{posted.pk}"' in page

    # What the reader has on the story is kept with the shared page; each of these
    # replaces it on the very next request.
    article_services.react(reader, article, "like")
    assert 'reaction--mine" aria-pressed="true"' in client.get(url).content.decode()
    moderation_services.hide(moderator(), posted, "Оскорбление")
    page = client.get(url).content.decode()
    assert "Оскорбление" in page and "Только что написал" in page  # only they see it
    comment_services.vote(reader, roots[4], 1)  # the same vote again takes it back
    assert "vote__button--mine" not in client.get(url).content.decode()


def test_staff_and_other_languages_match_too(story, settings):
    article, _people, _roots = story
    editor_with_rights = UserFactory(is_staff=True)
    editor_with_rights.user_permissions.add(Permission.objects.get(codename="moderate_comment"))
    assert_same_as_full_page(editor_with_rights, article.get_absolute_url(), settings)

    reader = UserFactory()
    for language in ("kk", "en"):
        settings.READER_PAGE_SECONDS = 30
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        client.force_login(reader)
        shared = client.get(article.get_absolute_url()).content.decode()
        settings.READER_PAGE_SECONDS = 0
        full = client.get(article.get_absolute_url()).content.decode()
        assert normalised(shared) == normalised(full)
        assert f'lang="{language}"' in shared


def test_no_shared_page_holds_anything_personal(story, settings):
    """The cached page is drawn for nobody: no CSRF token, no name, no form token."""
    from django.core.cache import cache

    article, _people, _roots = story
    reader = UserFactory(display_name="Секретное Имя")
    page_for(reader, article.get_absolute_url(), settings, shared=True)
    request = RequestFactory().get(article.get_absolute_url())
    frame = cache.get(frames.frame_key(request, "reader"))
    section = cache.get(reader_page.discussion_key(request))
    assert reader_page.ACCOUNT_SLOT in frame["html"]
    for html in (frame["html"], section["html"]):
        assert "Секретное Имя" not in html
        assert not re.search(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]', html)


def test_an_article_taken_down_is_gone_at_once_for_every_reader(story, settings):
    article, _people, _roots = story
    settings.READER_PAGE_SECONDS = 30
    settings.PAGE_CACHE_SECONDS = 30
    url = article.get_absolute_url()
    reader = Client(headers={"accept-language": "ru"})
    reader.force_login(UserFactory())
    anonymous = Client(headers={"accept-language": "ru"})
    for client in (reader, anonymous):
        assert client.get(url).status_code == 200
        assert client.get(url).status_code == 200  # now from the caches

    article.title = "Мост через Ишим: сроки перенесли"
    article.save()
    for client in (reader, anonymous):
        assert "сроки перенесли" in client.get(url).content.decode()

    article.status = article.Status.DRAFT
    article.save()
    for client in (reader, anonymous):
        assert client.get(url).status_code == 404

    # The newsroom's bulk actions (the admin's publish and unpublish) too.
    article_services.publish_articles(Article.objects.filter(pk=article.pk))
    for client in (reader, anonymous):
        assert client.get(url).status_code == 200
        assert client.get(url).status_code == 200  # from the caches again
    article_services.unpublish_articles(Article.objects.filter(pk=article.pk))
    for client in (reader, anonymous):
        assert client.get(url).status_code == 404


def test_a_new_display_name_shows_in_the_menu_on_the_next_page(story, settings):
    article, _people, _roots = story
    settings.READER_PAGE_SECONDS = 30
    reader = UserFactory(display_name="Старое Имя")
    client = Client(headers={"accept-language": "ru"})
    client.force_login(reader)
    url = article.get_absolute_url()
    assert "Старое Имя" in client.get(url).content.decode()
    reader.display_name = "Новое Имя"
    reader.save()
    menu = re.search(r'<nav class="account-nav".*?</nav>', client.get(url).content.decode(), re.S)
    assert "Новое Имя" in menu.group() and "Старое Имя" not in menu.group()
