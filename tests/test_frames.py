"""The page around an article's discussion is drawn once and kept (articles.frames); what
readers get must be the page drawn in full, and follow every change at once."""

import re

import pytest
from django.test import Client

from articles import frames
from articles import services as article_services
from comments import discussion as comment_discussion
from comments import services as comment_services
from moderation import services as moderation_services
from tests.factories import ArticleFactory, UserFactory, comment, moderator

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_story(settings):
    settings.PAGE_CACHE_SECONDS = 30
    article = ArticleFactory(title="Степной фестиваль переносят на осень")
    for index in range(5):
        root = comment(article, body=f"Ветка номер {index}")
        comment(article, parent=root, body=f"Ответ в ветке {index}")
    return article


@pytest.fixture
def two_threads_a_page(monkeypatch):
    monkeypatch.setattr(comment_discussion, "THREADS_PER_PAGE", 2)


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_every_page_of_the_discussion_gets_its_own_address_in_next_links(
    busy_story, two_threads_a_page
):
    client = Client(headers={"accept-language": "ru"})
    url = busy_story.get_absolute_url()
    get(client, url)  # keeps the frame
    page = get(client, f"{url}?csort=oldest&cpage=2")
    quoted = url + "%3Fcsort%3Doldest%26cpage%3D2"
    assert f'/i18n/kk/?next={quoted}"' in page
    assert f'/accounts/login/?next={quoted}"' in page
    assert "Ветка номер 2" in page and "Ветка номер 0" not in page


def test_a_kept_frame_gives_the_same_page_as_drawing_it(busy_story, two_threads_a_page, settings):
    client = Client(headers={"accept-language": "ru"})
    url = busy_story.get_absolute_url()
    get(client, url)
    kept = get(client, f"{url}?cpage=3")
    settings.PAGE_CACHE_SECONDS = 0
    assert kept == get(client, f"{url}?cpage=3")


def test_a_reaction_shows_at_once_on_the_kept_page(busy_story):
    anonymous = Client(headers={"accept-language": "ru"})
    url = busy_story.get_absolute_url()
    before = get(anonymous, url)
    assert re.search(r'reaction__count">0<', before)
    article_services.react(UserFactory(), busy_story, "like")
    after = get(anonymous, url)
    assert re.search(r'reaction__count">1<', after)


def test_a_new_comment_shows_at_once_and_a_hidden_one_leaves_every_kept_page(busy_story):
    other = ArticleFactory(title="Другая новость")
    anonymous = Client(headers={"accept-language": "ru"})
    get(anonymous, busy_story.get_absolute_url())
    get(anonymous, other.get_absolute_url())

    author = UserFactory()
    posted = comment_services.post_comment(author, busy_story, "Свежий отклик читателя")[0]
    assert "Свежий отклик читателя" in get(anonymous, busy_story.get_absolute_url())

    moderation_services.hide(moderator(), posted, "Спам")
    for url in (busy_story.get_absolute_url(), other.get_absolute_url()):
        assert "Свежий отклик читателя" not in get(anonymous, url)


def test_a_near_copy_holds_its_tokens_and_never_outlives_its_entry(monkeypatch):
    import time

    current = time.time()
    monkeypatch.setattr(time, "time", lambda: current)
    entry = frames.draw_and_keep(
        "frame:test:near", "site.story", 30, lambda: {"html": "x"}, near_copy=True
    )
    assert frames.near("frame:test:near") is entry
    assert entry["tokens"] == "site.story"  # what articles.reader_page compares

    real_monotonic = time.monotonic
    monkeypatch.setattr(time, "monotonic", lambda: real_monotonic() + 31)
    assert frames.near("frame:test:near") is None


def test_split_text_is_filled_as_bytes_with_nested_parts_and_unknown_slots_kept():
    page = frames.split_at_slots("<main>Новости \x00discussion\x00 \x00unknown\x00</main>")
    discussion = frames.split_at_slots("<form>\x00csrf\x00</form>Обсуждение")
    filled = frames.fill_encoded(
        page, {frames.DISCUSSION_SLOT: discussion, "\x00csrf\x00": "токен".encode()}
    )
    assert filled.decode() == ("<main>Новости <form>токен</form>Обсуждение \x00unknown\x00</main>")
