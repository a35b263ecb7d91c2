import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from comments import tree
from comments.discussion import THREADS_PER_PAGE
from comments.models import Comment
from comments.services import post_comment

from .factories import PASSWORD, ArticleFactory, UserFactory, comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return ArticleFactory(title="Тарифы на тепло пересмотрят")


@pytest.fixture
def reader(russian):
    user = UserFactory(username="Владимир60")
    russian.force_login(user)
    return user


def comment_ids(page):
    return [int(pk) for pk in re.findall(r'id="comment-(\d+)"', page)]


def comment_element(page, pk):
    start = page.index(f'id="comment-{pk}"')
    return page[page.rindex("<article", 0, start) : page.index("</article>", start)]


def text_of(page):
    """What a reader reads: the markup without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))


def post(client, article, body, parent=None, **headers):
    data = {"body": body, "submission_token": str(uuid.uuid4())}
    if parent is not None:
        data["parent"] = parent
    return client.post(f"/comments/post/{article.pk}/", data, **headers)


# Reading


def test_article_page_shows_the_threaded_discussion(russian, article):
    root = comment(article, author=UserFactory(username="23394288"), body="Первый!\nВторая строка")
    reply = comment(article, parent=root, author=UserFactory(username="Неравнодушный"))
    deep = comment(article, parent=reply, body="Жауап қазақша 👍")

    page = russian.get(article.get_absolute_url()).content.decode()

    assert "Всего комментариев: 3" in text_of(page)
    assert comment_ids(page) == [root.pk, reply.pk, deep.pk]
    root_html = comment_element(page, root.pk)
    assert 'data-parent-id=""' in root_html
    assert "Первый!<br>Вторая строка" in root_html
    assert 'href="/users/23394288/"' in root_html
    assert "Ответить" in root_html
    assert f'data-parent-id="{reply.pk}"' in comment_element(page, deep.pk)
    assert "comment--indent-2" in comment_element(page, deep.pk)
    assert "Жауап қазақша 👍" in page
    assert "назад" in root_html or "сейчас" in root_html  # "5 минут назад", "сейчас"


def test_deep_threads_stop_indenting(russian, article):
    parent = None
    for _ in range(9):
        parent = comment(article, parent=parent)
    page = russian.get(article.get_absolute_url()).content.decode()
    assert "comment--indent-5" in comment_element(page, parent.pk)
    assert "comment--indent-6" not in page


def test_old_comments_show_a_date(russian, article):
    old = comment(article, created_at=timezone.now() - timedelta(days=40))
    page = russian.get(article.get_absolute_url()).content.decode()
    expected = timezone.localtime(old.created_at)
    assert f"{expected.day} " in comment_element(page, old.pk)
    assert str(expected.year) in comment_element(page, old.pk)


def test_user_input_is_escaped_and_links_are_nofollow(russian, article):
    comment(article, body="<script>alert(1)</script> смотрите https://example.com/a?b=1&c=2.")
    page = russian.get(article.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert (
        '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener" '
        'target="_blank">https://example.com/a?b=1&amp;c=2</a>.' in page
    )


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("newest", ["c", "b", "a"]), ("oldest", ["a", "b", "c"]), ("replies", ["b", "c", "a"])],
)
def test_threads_can_be_sorted(russian, article, sort, expected):
    now = timezone.now()
    roots = {
        name: comment(article, body=f"тред {name}", created_at=now - timedelta(minutes=minutes))
        for name, minutes in (("a", 30), ("b", 20), ("c", 10))
    }
    comment(article, parent=roots["b"])
    comment(article, parent=roots["b"])
    comment(article, parent=roots["c"])

    page = russian.get(f"{article.get_absolute_url()}?csort={sort}").content.decode()
    shown_roots = [pk for pk in comment_ids(page) if pk in {c.pk for c in roots.values()}]
    assert shown_roots == [roots[name].pk for name in expected]


def test_long_discussions_are_paged_by_thread(russian, article):
    now = timezone.now()
    roots = [
        comment(article, created_at=now - timedelta(minutes=n)) for n in range(THREADS_PER_PAGE + 3)
    ]
    # A big thread on the page boundary stays whole on its page.
    boundary = roots[THREADS_PER_PAGE - 1]
    replies = [comment(article, parent=boundary) for _ in range(5)]

    first = russian.get(article.get_absolute_url()).content.decode()
    second = russian.get(f"{article.get_absolute_url()}?cpage=2").content.decode()

    assert set(comment_ids(first)) == {c.pk for c in roots[:THREADS_PER_PAGE] + replies}
    assert set(comment_ids(second)) == {c.pk for c in roots[THREADS_PER_PAGE:]}
    assert "Страница 2 из 2" in second
    assert "Всего комментариев: 28" in text_of(second)


def test_permalink_leads_to_the_page_and_anchor(client, article):
    now = timezone.now()
    roots = [
        comment(article, created_at=now - timedelta(minutes=n)) for n in range(THREADS_PER_PAGE + 2)
    ]
    reply = comment(article, parent=roots[-1])

    response = client.get(f"/comments/{reply.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}?cpage=2#comment-{reply.pk}"
    assert client.get(f"/comments/{roots[0].pk}/")["Location"].endswith(f"/#comment-{roots[0].pk}")


def test_comments_of_unpublished_articles_are_not_reachable(client):
    draft = ArticleFactory(status="draft")
    hidden_comment = comment(draft)
    assert client.get(f"/comments/{hidden_comment.pk}/").status_code == 404


def test_latest_comments_on_home_and_article(russian, article):
    other = ArticleFactory(title="Другая новость")
    comment(other, body="Свежий комментарий про другое", author=UserFactory(username="Айбалта"))
    comment(article, body="Скрытый текст", status=Comment.Status.HIDDEN)
    comment(ArticleFactory(status="draft"), body="Под черновиком")

    for url in ("/", article.get_absolute_url()):
        page = russian.get(url).content.decode()
        block = page.split('id="latest-comments-heading"')[1].split("</section>")[0]
        assert "Последние комментарии" in page
        assert "Свежий комментарий про другое" in block and "Айбалта" in block
        assert other.get_absolute_url() in block
        assert "Скрытый текст" not in page and "Под черновиком" not in page


def test_removed_comments_leave_placeholders_only_where_replies_need_context(russian, article):
    hidden = comment(article, body="Очень дерзко", status=Comment.Status.HIDDEN)
    reply = comment(article, parent=hidden, body="Ответ на скрытое")
    lonely_deleted = comment(article, status=Comment.Status.DELETED, body="")

    page = russian.get(article.get_absolute_url()).content.decode()

    assert "Очень дерзко" not in page
    assert "Комментарий скрыт модератором" in comment_element(page, hidden.pk)
    assert "Ответ на скрытое" in comment_element(page, reply.pk)
    assert lonely_deleted.pk not in comment_ids(page)
    assert "Всего комментариев: 1" in text_of(page)


def test_authors_see_their_own_hidden_comment_with_the_reason(russian, article, reader):
    comment(
        article,
        author=reader,
        body="Очень дерзко",
        status=Comment.Status.HIDDEN,
        moderation_reason="слишком дерзко",
    )
    page = russian.get(article.get_absolute_url()).content.decode()
    assert "Очень дерзко" in page and "слишком дерзко" in page


# The "войдите в профиль" flow


def test_anonymous_reader_is_invited_to_log_in_back_to_the_form(russian, article):
    page = russian.get(article.get_absolute_url()).content.decode()
    assert (
        "Чтобы участвовать в обсуждении или оставлять реакции на комментарии, "
        '<a href="/accounts/login/?next=' in page
    )
    login_href = re.search(r'<a href="(/accounts/login/\?next=[^"]+)">войдите в профиль</a>', page)
    assert login_href, page[page.index("Чтобы участвовать") :][:400]
    assert login_href.group(1).endswith(f"?next={article.get_absolute_url()}%23comment-form")
    assert 'name="body"' not in page


def test_reply_link_leads_anonymous_readers_through_login_to_the_reply(russian, article):
    root = comment(article)
    page = russian.get(f"{article.get_absolute_url()}?reply_to={root.pk}").content.decode()
    expected_next = f"{article.get_absolute_url()}%3Freply_to%3D{root.pk}%23comment-form"
    assert f'/accounts/login/?next={expected_next}"' in page


def test_logged_in_reader_replying_without_javascript_gets_a_reply_form(russian, article, reader):
    root = comment(article, author=UserFactory(username="Неравнодушный"))
    page = russian.get(f"{article.get_absolute_url()}?reply_to={root.pk}").content.decode()
    form = page.split('id="comment-form"')[1].split("</form>")[0]
    assert f'name="parent" value="{root.pk}"' in form
    assert "Ответ пользователю Неравнодушный" in form


def test_login_then_back_to_the_form(client, article):
    UserFactory(username="Айбалта")
    next_url = f"{article.get_absolute_url()}#comment-form"
    response = client.post(
        f"/accounts/login/?next={next_url.replace('#', '%23')}",
        {"login": "айбалта", "password": PASSWORD, "next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] == next_url


# Posting


def test_posting_without_javascript_redirects_to_the_new_comment(russian, article, reader):
    response = post(russian, article, "  Хорошая новость!\n\nВторой абзац  ")

    new = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#comment-{new.pk}"
    assert new.author == reader and new.body == "Хорошая новость!\n\nВторой абзац"
    assert new.body_html == "<p>Хорошая новость!</p><p>Второй абзац</p>"
    assert "Ваш комментарий опубликован." in russian.get(response["Location"]).content.decode()


def test_a_held_comment_posted_without_javascript_says_it_waits_for_a_moderator(russian, reader):
    held_back = ArticleFactory(premoderate=True)
    response = post(russian, held_back, "Мнение на проверку")
    page = russian.get(response["Location"]).content.decode()
    assert "Ваш комментарий появится после проверки модератором." in page
    assert "Ваш комментарий опубликован." not in page


def test_reply_without_javascript_lands_on_the_reply(russian, article, reader):
    root = comment(article)
    response = post(russian, article, "Согласен", parent=root.pk)
    reply = Comment.objects.get(parent=root)
    assert response["Location"].endswith(f"#comment-{reply.pk}")
    assert tree.broken_trees() == []


def test_posting_in_place_answers_json_with_the_rendered_comment(russian, article, reader):
    root = comment(article)
    response = post(
        russian, article, "Ответ без перезагрузки", parent=root.pk, HTTP_ACCEPT="application/json"
    )
    data = response.json()
    assert response.status_code == 201
    assert data["parent_id"] == root.pk and data["total"] == 2
    assert f'id="comment-{data["id"]}"' in data["html"]
    assert "Ответ без перезагрузки" in data["html"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Комментарий пуст"),
        ("   \n\t  ", "Комментарий пуст"),
        ("я" * 3001, "3001"),
    ],
    ids=["empty", "whitespace", "too-long"],
)
def test_bad_bodies_get_a_message_and_keep_the_text(russian, article, reader, body, message):
    response = post(russian, article, body)
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    if body.strip():
        assert body in page  # what was typed is still in the form
    assert Comment.objects.count() == 0

    json_response = post(russian, article, body, HTTP_ACCEPT="application/json")
    assert json_response.status_code == 400
    assert message in " ".join(json_response.json()["errors"]["body"])


def test_double_submission_makes_one_comment(russian, article, reader):
    data = {"body": "Нажал дважды", "submission_token": str(uuid.uuid4())}
    first = russian.post(f"/comments/post/{article.pk}/", data)
    second = russian.post(f"/comments/post/{article.pk}/", data)
    assert Comment.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_anonymous_post_is_sent_to_login_and_writes_nothing(client, article):
    response = post(client, article, "Аноним")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert post(client, article, "Аноним", HTTP_ACCEPT="application/json").status_code == 401
    assert Comment.objects.count() == 0


def test_reply_to_a_comment_of_another_article_is_refused(russian, article, reader):
    elsewhere = comment(ArticleFactory())
    response = post(russian, article, "Ответ не туда", parent=elsewhere.pk)
    assert response.status_code == 400
    assert "больше нет" in response.content.decode()
    assert "Ответ не туда" in response.content.decode()
    assert Comment.objects.count() == 1


def test_closed_comments_hide_the_form_and_refuse_posts(russian, reader):
    closed = ArticleFactory(comments_enabled=False)
    page = russian.get(closed.get_absolute_url()).content.decode()
    assert "Комментарии к этой статье закрыты." in page
    assert 'name="body"' not in page
    post(russian, closed, "Всё равно напишу")
    assert Comment.objects.count() == 0


# Editing and deleting


def test_author_edits_within_the_window_and_it_shows_as_edited(russian, article, reader):
    own = comment(article, author=reader, body="Опечатка")
    response = russian.post(f"/comments/{own.pk}/edit/", {"body": "Исправлено"})
    assert response.status_code == 302
    page = russian.get(article.get_absolute_url()).content.decode()
    assert "Ваш комментарий сохранён." in page
    element = comment_element(page, own.pk)
    assert "Исправлено" in element and "изменён" in element
    assert tree.broken_trees() == []


def test_editing_after_the_window_is_refused(russian, article, reader):
    own = comment(article, author=reader, created_at=timezone.now() - timedelta(minutes=16))
    russian.post(f"/comments/{own.pk}/edit/", {"body": "Поздно"})
    own.refresh_from_db()
    assert own.body != "Поздно"
    assert "Редактировать" not in comment_element(
        russian.get(article.get_absolute_url()).content.decode(), own.pk
    )


def test_nobody_edits_or_deletes_someone_elses_comment(russian, article, reader):
    theirs = comment(article, body="Чужой")
    russian.post(f"/comments/{theirs.pk}/edit/", {"body": "Взлом"})
    assert russian.post(f"/comments/{theirs.pk}/delete/").status_code == 403
    theirs.refresh_from_db()
    assert theirs.body == "Чужой" and theirs.status == Comment.Status.VISIBLE


def test_deleting_keeps_a_placeholder_for_replies(russian, article, reader):
    own = comment(article, author=reader, body="Передумал")
    reply = comment(article, parent=own, body="А я отвечу")

    response = russian.post(f"/comments/{own.pk}/delete/")

    assert response.status_code == 302
    page = russian.get(article.get_absolute_url()).content.decode()
    assert "Передумал" not in page
    assert "Комментарий удалён" in comment_element(page, own.pk)
    assert "А я отвечу" in comment_element(page, reply.pk)
    assert "Всего комментариев: 1" in text_of(page)
    own.refresh_from_db()
    assert own.body == ""


# Queries


@pytest.mark.parametrize("count", [10, 500])
def test_discussion_costs_the_same_queries_at_any_size(
    client, article, django_assert_num_queries, count
):
    authors = UserFactory.create_batch(5)
    roots = []
    with tree.tree_write(new_tree=True):
        for n in range(count):
            parent = roots[n % len(roots)] if roots and n % 3 else None
            new = Comment(article=article, author=authors[n % 5], parent=parent, body=f"№{n}")
            new.save()
            if parent is None:
                roots.append(new)
    client.get(article.get_absolute_url())  # warm the latest-comments and navigation caches

    # Another sort: the article, that sort's threads, the page's comments with their
    # authors (the counts above the list are kept from the first draw).
    with django_assert_num_queries(3):
        response = client.get(f"{article.get_absolute_url()}?csort=oldest")
    assert response.status_code == 200
    # Another page of that sort: the article and the page's comments.
    with django_assert_num_queries(2):
        response = client.get(f"{article.get_absolute_url()}?csort=oldest&cpage=2")
    assert response.status_code == 200
    # After a comment nothing kept is current: the latest comments beside the story, the
    # threads, the counts, the comments.
    post_comment(authors[0], article, "Новый комментарий")
    with django_assert_num_queries(5):
        response = client.get(f"{article.get_absolute_url()}?csort=oldest&cpage=2")
    assert response.status_code == 200


def test_signed_in_page_costs_the_same_queries(client, article, django_assert_num_queries):
    reader = UserFactory()
    client.force_login(reader)
    for _ in range(3):
        comment(article, author=reader)
    client.get(article.get_absolute_url())
    # The page signed-in readers share (articles.reader_page), personalised: session, user
    # (the reader's comments, votes and reaction are kept in the cache with the page); their
    # three comments drawn again as theirs (the article, the rows).
    with django_assert_num_queries(4):
        client.get(article.get_absolute_url())
    for _ in range(40):
        comment(article)
    client.get(article.get_absolute_url())
    with django_assert_num_queries(4):
        client.get(article.get_absolute_url())

    newcomer = UserFactory()
    client.force_login(newcomer)
    client.get(article.get_absolute_url())
    # A reader with nothing of their own on the story: the session and the user.
    with django_assert_num_queries(2):
        response = client.get(article.get_absolute_url())
    assert "/accounts/logout/" in response.content.decode()
