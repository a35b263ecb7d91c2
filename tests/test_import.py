"""The import_articles command: articles, comment trees and accounts from JSON archives."""

import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError, OutputWrapper
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from articles import importer
from articles.models import Article, Category
from comments import tree
from comments.models import BODY_MAX_LENGTH, Comment
from tests.factories import ArticleFactory, CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
ALMATY = timezone(timedelta(hours=5))
FIRST_URL = "https://old.example.kz/society/2024/09/02/akimy"
SECOND_URL = "https://old.example.kz/ekonomika/2024/09/03/baga"


def archive():
    """A valid archive: a Russian article with a discussion, and a Kazakh one without."""
    return {
        "articles": [
            {
                "source_url": FIRST_URL,
                "category": {"slug": "society", "name": "Общество"},
                "title": "Казахстанцы смогут выбирать акимов городов",
                "lead": "Новый закон вступит в силу в следующем году.",
                "body": "Первый абзац.\n\nВторой абзац.",
                "language": "ru",
                "published_at": "2024-09-02T11:30:00+05:00",
                "author": "Editor",
                "comments": [
                    {
                        "key": "c1",
                        "author": "23394288",
                        "body": "Наконец-то!",
                        "created_at": "2024-09-02T12:00:00+05:00",
                        "parent": None,
                    },
                    # A reply listed before the comment it answers: order in the file is free.
                    {
                        "key": "c3",
                        "author": "Айбалта",
                        "body": "Посмотрим, как будет на деле.",
                        "created_at": "2024-09-02T12:20:00+05:00",
                        "parent": "c2",
                    },
                    {
                        "key": "c2",
                        "author": "Владимир60",
                        "body": "А кто будет выдвигать кандидатов?",
                        "created_at": "2024-09-02T12:10:00+05:00",
                        "parent": "c1",
                    },
                    {
                        "key": "c4",
                        "author": "айбалта",
                        "body": "Өте жақсы жаңалық! Әкімдерді өзіміз сайлаймыз 🎉👍",
                        "created_at": "2024-09-02T13:00:00Z",
                        "parent": None,
                    },
                    {
                        "key": "c5",
                        "author": "23394288",
                        "body": "Согласен.\r\n\r\n\r\n\r\nПодробности: https://example.kz/law",
                        "created_at": "2024-09-02T12:30:00+05:00",
                        "parent": "c1",
                    },
                ],
            },
            {
                "source_url": SECOND_URL,
                "category": {"slug": "economy", "name": "Экономика"},
                "title": "Бағалар тұрақты",
                "lead": "Ұлттық банк базалық мөлшерлемені өзгертпеді.",
                "body": "Бірінші абзац.\n\nЕкінші абзац.",
                "language": "kk",
                "published_at": "2024-09-03T09:00:00+06:00",
            },
        ]
    }


def write(tmp_path, data, name="archive.json"):
    path = tmp_path / name
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*paths, language="en", **options):
    stdout, stderr = io.StringIO(), io.StringIO()
    with translation.override(language):
        call_command("import_articles", *paths, stdout=stdout, stderr=stderr, **options)
    return stdout.getvalue(), stderr.getvalue()


def refused(*paths, language="en", **options):
    """The command's error message, after checking that it failed with exit status 1."""
    with pytest.raises(CommandError) as raised:
        run(*paths, language=language, **options)
    assert raised.value.returncode == 1
    return str(raised.value)


def row_counts():
    return {model.__name__: model.objects.count() for model in (Article, Category, Comment, User)}


def imported(key, url=FIRST_URL):
    return Comment.objects.select_related("author", "parent").get(
        article__source_url=url, import_key=key
    )


# A valid file ------------------------------------------------------------------------------


def test_a_valid_file_creates_articles_comment_trees_and_accounts(tmp_path):
    editor = UserFactory(username="editor")
    CategoryFactory(slug="economy", name="Экономика и бизнес")
    out, _err = run(write(tmp_path, archive()))

    first = Article.objects.get(source_url=FIRST_URL)
    assert first.status == Article.Status.PUBLISHED
    assert first.is_public
    assert first.published_at == datetime(2024, 9, 2, 6, 30, tzinfo=UTC)
    assert first.slug == "kazahstantsy-smogut-vybirat-akimov-gorodov"
    assert first.body_html == "<p>Первый абзац.</p>\n<p>Второй абзац.</p>"
    assert first.author == editor  # "Editor" in the file
    assert first.category.name == "Общество"
    second = Article.objects.get(source_url=SECOND_URL)
    assert second.language == "kk"
    assert second.author is None
    # An existing section is used as it is, not renamed.
    assert second.category.name == "Экономика и бизнес"
    assert Category.objects.count() == 2

    c1, c2, c3, c4, c5 = (imported(key) for key in ("c1", "c2", "c3", "c4", "c5"))
    assert c1.parent is None and c4.parent is None
    assert c2.parent == c1 and c5.parent == c1 and c3.parent == c2
    assert c3.level == 2
    # Replies in the order they were written: c2 (12:10) before c5 (12:30).
    assert [c.import_key for c in c1.get_descendants()] == ["c2", "c3", "c5"]
    assert c1.created_at == datetime(2024, 9, 2, 7, 0, tzinfo=UTC)
    assert c4.created_at == datetime(2024, 9, 2, 13, 0, tzinfo=UTC)
    assert c4.body == "Өте жақсы жаңалық! Әкімдерді өзіміз сайлаймыз 🎉👍"
    assert c5.body == "Согласен.\n\nПодробности: https://example.kz/law"
    assert 'href="https://example.kz/law"' in c5.body_html
    assert all(c.status == Comment.Status.VISIBLE for c in (c1, c2, c3, c4, c5))
    assert tree.broken_trees() == []

    # "Айбалта" and "айбалта" are one person, spelled as the file first spells them.
    assert c3.author == c4.author
    assert c3.author.username == "Айбалта"
    assert c1.author == c5.author
    new_accounts = User.objects.exclude(pk=editor.pk)
    assert sorted(new_accounts.values_list("username", flat=True)) == [
        "23394288",
        "Айбалта",
        "Владимир60",
    ]
    assert not any(user.has_usable_password() for user in new_accounts)

    assert (
        "articles: 2 new, 0 updated, 0 unchanged; comments: 5 new, 0 updated; "
        "new accounts: 3; new sections: 1." in out
    )


def test_the_example_in_the_documentation_imports(tmp_path):
    text = (settings.BASE_DIR / "docs" / "import-format.md").read_text(encoding="utf-8")
    example = text.split("```json\n", 1)[1].split("```", 1)[0]
    run(write(tmp_path, example))
    assert Article.objects.count() == 2
    assert imported("c3", url=json.loads(example)["articles"][0]["source_url"]).level == 2
    assert Comment.objects.filter(author__isnull=True).count() == 1
    assert tree.broken_trees() == []


def test_existing_accounts_are_matched_regardless_of_case(tmp_path):
    aibalta = UserFactory(username="Айбалта")
    vladimir = UserFactory(username="ВЛАДИМИР60")
    data = archive()
    data["articles"][0]["comments"][2]["author"] = "владимир60"
    data["articles"][0]["comments"][3]["author"] = "АЙБАЛТА"

    run(write(tmp_path, data))

    assert imported("c3").author == aibalta
    assert imported("c4").author == aibalta
    assert imported("c2").author == vladimir
    assert not User.objects.filter(username__in=["АЙБАЛТА", "айбалта", "владимир60"]).exists()


def test_authors_may_be_absent_or_null(tmp_path):
    data = archive()
    data["articles"][0]["author"] = None
    data["articles"][0]["comments"][0]["author"] = None

    run(write(tmp_path, data))

    assert Article.objects.get(source_url=FIRST_URL).author is None
    assert imported("c1").author is None
    assert imported("c2").parent == imported("c1")


# Importing again ---------------------------------------------------------------------------


def test_importing_again_adds_nothing_twice_and_updates_what_changed(tmp_path):
    data = archive()
    path = write(tmp_path, data)
    run(path)
    counts = row_counts()
    tree_fields = {
        c.pk: (c.tree_id, c.lft, c.rght, c.level, c.parent_id) for c in Comment.objects.all()
    }

    out, _err = run(path)
    assert row_counts() == counts
    assert "articles: 0 new, 0 updated, 2 unchanged; comments: 0 new, 0 updated" in out

    data["articles"][0]["title"] = "Акимов городов будут выбирать"
    data["articles"][0]["body"] = "Обновлённый текст."
    data["articles"][0]["category"] = {"slug": "politics", "name": "Политика"}
    data["articles"][0]["comments"][2]["body"] = "А кто выдвигает кандидатов? (исправлено)"
    data["articles"][0]["comments"].append(
        {
            "key": "c6",
            "author": "новичок",
            "body": "Ответ на ответ.",
            "created_at": "2024-09-03T08:00:00+05:00",
            "parent": "c3",
        }
    )
    out, _err = run(write(tmp_path, data))

    assert Article.objects.count() == counts["Article"]
    assert Comment.objects.count() == counts["Comment"] + 1
    assert User.objects.count() == counts["User"] + 1
    article = Article.objects.get(source_url=FIRST_URL)
    assert article.title == "Акимов городов будут выбирать"
    assert article.slug == "kazahstantsy-smogut-vybirat-akimov-gorodov"  # old links keep working
    assert article.body_html == "<p>Обновлённый текст.</p>"
    assert article.category.slug == "politics"
    c2 = imported("c2")
    assert c2.body == "А кто выдвигает кандидатов? (исправлено)"
    assert "(исправлено)" in c2.body_html
    assert c2.edited_at is None
    assert imported("c6").parent == imported("c3")
    assert imported("c6").level == 3
    # Comments that were there keep their place in their threads.
    for comment in Comment.objects.exclude(import_key="c6").exclude(tree_id=imported("c1").tree_id):
        assert (comment.tree_id, comment.lft, comment.rght, comment.level, comment.parent_id) == (
            tree_fields[comment.pk]
        )
    assert tree.broken_trees() == []
    assert (
        "articles: 0 new, 1 updated, 1 unchanged; comments: 1 new, 1 updated; "
        "new accounts: 1; new sections: 1." in out
    )


def test_importing_again_leaves_an_article_taken_off_the_site_unpublished(tmp_path):
    path = write(tmp_path, archive())
    run(path)
    Article.objects.filter(source_url=FIRST_URL).update(status=Article.Status.DRAFT)

    run(path)

    assert Article.objects.get(source_url=FIRST_URL).status == Article.Status.DRAFT


def test_importing_again_does_not_bring_back_a_deleted_comment(tmp_path):
    data = archive()
    run(write(tmp_path, data))
    Comment.objects.filter(import_key="c2").update(
        status=Comment.Status.DELETED, body="", body_html=""
    )
    data["articles"][0]["comments"][2]["body"] = "Изменённый текст"

    run(write(tmp_path, data))

    c2 = imported("c2")
    assert c2.status == Comment.Status.DELETED
    assert c2.body == ""


def test_comments_written_on_the_site_are_left_alone(tmp_path):
    path = write(tmp_path, archive())
    run(path)
    article = Article.objects.get(source_url=FIRST_URL)
    reader = UserFactory()
    reply = Comment(article=article, author=reader, parent=imported("c1"), body="С сайта")
    tree.insert_comment(reply)

    run(path)

    assert Comment.objects.filter(article=article).count() == 6
    assert Comment.objects.get(pk=reply.pk).body == "С сайта"
    assert tree.broken_trees() == []


def test_a_dry_run_reports_and_writes_nothing(tmp_path):
    counts = row_counts()
    out, _err = run(write(tmp_path, archive()), dry_run=True)
    assert row_counts() == counts
    assert "articles: 2 new" in out
    assert "Dry run: nothing was written." in out


# Bad input -----------------------------------------------------------------------------------


def set_in(data, path, value):
    """Set (or with value=DELETE remove) the item at a path such as ("articles", 0, "title")."""
    target = data
    for step in path[:-1]:
        target = target[step]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value


DELETE = object()
C = ("articles", 0, "comments")

BAD_INPUT = {
    "missing title": (
        [(("articles", 1, "title"), DELETE)],
        ["archive.json: articles[1].title: required field missing"],
    ),
    "title of the wrong type": (
        [(("articles", 0, "title"), 42)],
        ["articles[0].title: must be a string, not a number"],
    ),
    "empty lead": (
        [(("articles", 0, "lead"), "   ")],
        ["articles[0].lead: must not be empty"],
    ),
    "title too long": (
        [(("articles", 0, "title"), "Очень " * 40)],
        ["articles[0].title: is 239 characters long; the limit is 200"],
    ),
    "articles not a list": (
        [(("articles",), {"title": "x"})],
        ["archive.json: articles: must be a list, not an object"],
    ),
    "unknown article field": (
        [(("articles", 1, "tags"), ["a"])],
        ["articles[1].tags: unknown field; the fields allowed here are: source_url, category"],
    ),
    "unknown field in category": (
        [(("articles", 0, "category", "colour"), "red")],
        ["articles[0].category.colour: unknown field; the fields allowed here are: slug, name"],
    ),
    "category not an object": (
        [(("articles", 0, "category"), "society")],
        ["articles[0].category: must be an object, not a string"],
    ),
    "reserved category slug": (
        [(("articles", 0, "category", "slug"), "admin")],
        ["articles[0].category.slug: “admin”: “admin” is used by the site itself"],
    ),
    "category slug with Cyrillic": (
        [(("articles", 0, "category", "slug"), "общество")],
        ["articles[0].category.slug: “общество”"],
    ),
    "bad language": (
        [(("articles", 1, "language"), "en")],
        ['articles[1].language: must be “ru” (Russian) or “kk” (Kazakh), not "en"'],
    ),
    "naive publication time": (
        [(("articles", 0, "published_at"), "2024-09-02T11:30:00")],
        ["articles[0].published_at: “2024-09-02T11:30:00” has no UTC offset"],
    ),
    "date without a time": (
        [(("articles", 0, "published_at"), "2024-09-02")],
        ["articles[0].published_at: “2024-09-02” has no UTC offset"],
    ),
    "not a date": (
        [(("articles", 0, "published_at"), "2 сентября 2024")],
        ["articles[0].published_at: “2 сентября 2024” is not an ISO 8601 date and time"],
    ),
    "missing source_url": (
        [(("articles", 0, "source_url"), DELETE)],
        ["articles[0].source_url: required field missing"],
    ),
    "source_url not http": (
        [(("articles", 0, "source_url"), "ftp://old.example.kz/a")],
        ["articles[0].source_url: “ftp://old.example.kz/a” is not a valid http:// or https://"],
    ),
    "same source_url twice": (
        [(("articles", 1, "source_url"), FIRST_URL)],
        ["articles[1].source_url: the same source_url as ", "archive.json: articles[0]"],
    ),
    "bad article author": (
        [(("articles", 0, "author"), "Дана Сейткали")],
        ["articles[0].author: “Дана Сейткали” is not a valid username"],
    ),
    "comments not a list": (
        [(("articles", 0, "comments"), {"c1": "x"})],
        ["articles[0].comments: must be a list, not an object"],
    ),
    "parent that does not exist": (
        [((*C, 2, "parent"), "c9")],
        [
            "articles[0].comments[2].parent (comment “c2”): "
            "there is no comment with the key “c9” in this article"
        ],
    ),
    "duplicate comment key": (
        [((*C, 4, "key"), "c1")],
        ["articles[0].comments[4].key: the key “c1” is already used by articles[0].comments[0]"],
    ),
    "empty comment": (
        [((*C, 3, "body"), " \u200b\n\n ")],
        ["articles[0].comments[3].body (comment “c4”): The comment is empty."],
    ),
    "comment too long": (
        [((*C, 1, "body"), "б" * (BODY_MAX_LENGTH + 1))],
        [
            "articles[0].comments[1].body (comment “c3”): The comment is 3001 characters long; "
            "the limit is 3000."
        ],
    ),
    "comment author with a space": (
        [((*C, 0, "author"), "Владимир 60")],
        ["articles[0].comments[0].author (comment “c1”): “Владимир 60” is not a valid username"],
    ),
    "comment author with @": (
        [((*C, 0, "author"), "reader@example.com")],
        ["articles[0].comments[0].author (comment “c1”): “reader@example.com” is not a valid"],
    ),
    "comment author as a number": (
        [((*C, 0, "author"), 23394288)],
        ["articles[0].comments[0].author (comment “c1”): must be a string or null, not a number"],
    ),
    "naive comment time": (
        [((*C, 2, "created_at"), "2024-09-02 12:10")],
        ["articles[0].comments[2].created_at (comment “c2”): “2024-09-02 12:10” has no UTC"],
    ),
    "comment key missing": (
        [((*C, 0, "key"), DELETE)],
        ["articles[0].comments[0].key: required field missing"],
    ),
    "unknown comment field": (
        [((*C, 0, "likes"), 5)],
        ["articles[0].comments[0].likes (comment “c1”): unknown field"],
    ),
    "comment parent of the wrong type": (
        [((*C, 2, "parent"), 1)],
        ["articles[0].comments[2].parent (comment “c2”): must be a string or null, not a number"],
    ),
}


@pytest.mark.parametrize("changes, expected", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_refused_naming_the_place_and_nothing_is_written(tmp_path, changes, expected):
    UserFactory(username="editor")
    counts = row_counts()
    data = archive()
    for path, value in changes:
        set_in(data, path, value)

    message = refused(write(tmp_path, data))

    assert message.startswith("Nothing was imported: 1 error found.")
    for fragment in expected:
        assert fragment in message
    assert row_counts() == counts


def test_invalid_json_is_refused_with_its_line_and_column(tmp_path):
    path = write(tmp_path, '{"articles": [\n  {"title": "Заголовок",}\n]}', name="broken.json")
    message = refused(path)
    assert f"{path}: line 2, column 25: not valid JSON: Expecting property name" in message


def test_a_missing_file_is_refused(tmp_path):
    message = refused(str(tmp_path / "nowhere.json"))
    assert "nowhere.json: cannot read the file: No such file or directory" in message


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "cp1251.json"
    path.write_bytes('{"articles": [\n{"title": "Новость"}]}'.encode("cp1251"))
    assert "cp1251.json: line 2: the file is not UTF-8 text" in refused(str(path))


def test_a_key_given_twice_in_one_object_is_refused(tmp_path):
    text = json.dumps(archive(), ensure_ascii=False).replace(
        '"lead": "Новый', '"title": "Другой заголовок", "lead": "Новый', 1
    )
    message = refused(write(tmp_path, text))
    assert "articles[0].title: this field appears more than once" in message


def test_a_document_that_is_not_an_object_is_refused(tmp_path):
    message = refused(write(tmp_path, archive()["articles"]))
    assert "archive.json: must be an object, not a list" in message


def test_one_name_for_a_section_in_one_file(tmp_path):
    data = archive()
    data["articles"][1]["category"] = {"slug": "society", "name": "Социум"}
    message = refused(write(tmp_path, data))
    assert (
        "articles[1].category.name: “Социум” differs from “Общество”, given for the same slug "
        "in articles[0]" in message
    )


@pytest.mark.parametrize(
    "parents, cycle",
    [
        ({"c1": "c2", "c2": "c1"}, "c1 → c2 → c1"),
        ({"c1": "c5", "c5": "c3", "c3": "c2", "c2": "c1"}, "c1 → c5 → c3 → c2 → c1"),
        ({"c4": "c4"}, "c4 → c4"),
    ],
)
def test_replies_that_form_a_cycle_are_refused(tmp_path, parents, cycle):
    counts = row_counts()
    data = archive()
    for comment in data["articles"][0]["comments"]:
        comment["parent"] = parents.get(comment["key"], comment["parent"])

    message = refused(write(tmp_path, data))

    assert f"replies form a cycle: {cycle}" in message
    assert message.startswith("Nothing was imported: 1 error found.")
    assert row_counts() == counts


def test_every_problem_of_an_article_is_reported_at_once(tmp_path):
    data = {"articles": [{"title": 1, "language": "en", "category": {"slug": "society"}}]}
    message = refused(write(tmp_path, data))
    assert message.startswith("Nothing was imported: 7 errors found.")
    for fragment in [
        "articles[0].source_url: required field missing",
        "articles[0].lead: required field missing",
        "articles[0].body: required field missing",
        "articles[0].published_at: required field missing",
        "articles[0].category.name: required field missing",
        "articles[0].title: must be a string, not a number",
        'articles[0].language: must be “ru” (Russian) or “kk” (Kazakh), not "en"',
    ]:
        assert fragment in message


def test_all_errors_are_listed_up_to_twenty(tmp_path):
    data = archive()
    article = data["articles"][1]
    data["articles"] = [
        {**article, "source_url": f"{SECOND_URL}/{n}", "language": "de"} for n in range(30)
    ]
    data["articles"][0]["title"] = ""

    message = refused(write(tmp_path, data))

    assert message.startswith("Nothing was imported: 31 errors found.")
    assert "articles[0].title: must not be empty" in message
    assert "articles[18].language" in message
    assert "articles[19].language" not in message
    assert "… and 11 more; fix these and run the import again." in message


def test_an_ambiguous_source_url_is_refused(tmp_path):
    ArticleFactory(source_url=FIRST_URL)
    ArticleFactory(source_url=FIRST_URL)
    counts = row_counts()

    message = refused(write(tmp_path, archive()))

    assert "articles[0].source_url: several articles on the site have this source_url" in message
    assert row_counts() == counts


def test_errors_are_in_russian_by_default(tmp_path):
    data = archive()
    del data["articles"][1]["title"]
    message = refused(write(tmp_path, data), language="ru")
    assert "Ничего не импортировано" in message
    assert "articles[1].title: обязательное поле отсутствует" in message


# Several files ---------------------------------------------------------------------------------


def test_several_files_are_all_checked_before_any_is_written(tmp_path):
    good = write(tmp_path, archive(), name="good.json")
    data = archive()
    for n, article in enumerate(data["articles"]):
        article["source_url"] = f"https://old.example.kz/more/{n}"
    data["articles"][1]["comments"] = [
        {"key": "x", "author": "kto-to", "body": "…", "created_at": "вчера", "parent": None}
    ]
    bad = write(tmp_path, data, name="bad.json")
    counts = row_counts()

    message = refused(good, bad)

    assert "bad.json: articles[1].comments[0].created_at (comment “x”)" in message
    assert "good.json" not in message
    assert row_counts() == counts


def test_the_same_article_in_two_files_is_refused(tmp_path):
    first = write(tmp_path, archive(), name="first.json")
    second = write(tmp_path, archive(), name="second.json")
    message = refused(first, second)
    assert f"second.json: articles[0].source_url: the same source_url as {first}: articles[0]" in (
        message
    )


def test_several_good_files_are_imported_with_a_total(tmp_path):
    data = archive()
    for n, article in enumerate(data["articles"]):
        article["source_url"] = f"https://old.example.kz/more/{n}"
    out, _err = run(
        write(tmp_path, archive(), name="one.json"), write(tmp_path, data, name="two.json")
    )
    assert Article.objects.count() == 4
    assert Comment.objects.count() == 10
    assert User.objects.count() == 4  # one account each for Editor and three commenters
    assert "one.json: articles: 2 new" in out
    assert "two.json: articles: 2 new" in out
    assert "Total: articles: 4 new, 0 updated, 0 unchanged; comments: 10 new" in out
    assert tree.broken_trees() == []


def test_a_file_the_database_refuses_is_rolled_back_whole(tmp_path, monkeypatch, client):
    client.get("/")  # the latest comments beside every page are kept now
    data = archive()
    for n, article in enumerate(data["articles"]):
        article["source_url"] = f"https://old.example.kz/more/{n}"
    one = write(tmp_path, archive(), name="one.json")
    two = write(tmp_path, data, name="two.json")
    insert_many = tree.insert_many
    calls = []

    def failing_on_the_second_file(comments):
        calls.append(comments)
        if comments[0].article.source_url.startswith("https://old.example.kz/more/"):
            raise IntegrityError("simulated failure")
        return insert_many(comments)

    monkeypatch.setattr(tree, "insert_many", failing_on_the_second_file)

    message = refused(one, two)

    assert "two.json: the import failed and nothing from this file was written" in message
    assert f"These files were imported before it and stay imported: {one}" in message
    assert set(Article.objects.values_list("source_url", flat=True)) == {FIRST_URL, SECOND_URL}
    assert Comment.objects.count() == 5
    assert Category.objects.count() == 2
    assert len(calls) == 2
    # What the first file brought is on the pages at once, though the import failed.
    assert "Наконец-то!" in client.get("/").content.decode()


# Output ------------------------------------------------------------------------------------------


def test_progress_goes_to_stderr_in_a_few_lines(tmp_path):
    data = archive()
    template = data["articles"][1]
    data["articles"] = [{**template, "source_url": f"{SECOND_URL}/{n}"} for n in range(40)]
    path = write(tmp_path, data)

    out, err = run(path)

    lines = err.splitlines()
    assert 2 <= len(lines) <= 5
    assert lines[0] == f"Importing {path}  [--------------------]  0/40"
    assert lines[-1] == f"Importing {path}  [####################]  40/40"
    assert "Importing" not in out


def test_quiet_and_verbosity_zero_silence_progress(tmp_path):
    path = write(tmp_path, archive())
    out, err = run(path, quiet=True)
    assert err == ""
    assert "articles: 2 new" in out
    out, err = run(path, verbosity=0)
    assert (out, err) == ("", "")


def test_on_a_terminal_the_progress_bar_is_redrawn_in_place():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    bar = importer.ProgressBar(OutputWrapper(stream), interactive=True)
    with translation.override("en"):
        bar.start("a.json", 100)
    for done in range(1, 101):
        bar.update(done)
    bar.finish()

    text = stream.getvalue()
    assert text.startswith("\rImporting a.json  [--------------------]  0/100")
    assert text.endswith("\rImporting a.json  [####################]  100/100\n")
    assert text.count("\n") == 1
    assert "\x1b[" not in text  # not styled as an error


# Volume ------------------------------------------------------------------------------------------


def test_thousands_of_comments_with_few_user_queries(tmp_path):
    UserFactory(username="Читатель7")
    start = datetime(2024, 9, 2, 12, 0, tzinfo=ALMATY)
    comments = []
    for n in range(2000):
        # Threads of five: a root and a chain of replies, by 300 different readers.
        parent = None if n % 5 == 0 else f"k{n - 1}"
        comments.append(
            {
                "key": f"k{n}",
                "author": f"читатель{n % 300}",
                "body": f"Комментарий номер {n}",
                "created_at": (start + timedelta(minutes=n)).isoformat(),
                "parent": parent,
            }
        )
    data = archive()
    data["articles"][0]["comments"] = comments
    path = write(tmp_path, data)

    with CaptureQueriesContext(connection) as queries:
        out, _err = run(path)

    user_queries = [q for q in queries.captured_queries if "accounts_user" in q["sql"]]
    # Lookups in bulk; an INSERT only for each of the new accounts.
    lookups = [q for q in user_queries if not q["sql"].lstrip().upper().startswith("INSERT")]
    assert len(lookups) <= 4
    assert len(user_queries) - len(lookups) == 300 - 1 + 1  # "Читатель7" exists; "Editor" new
    assert Comment.objects.count() == 2000
    assert Comment.objects.filter(level=4).count() == 400
    assert imported("k7").parent == imported("k6")
    assert "comments: 2000 new" in out
    assert tree.broken_trees() == []


# The real command line ---------------------------------------------------------------------------


def test_the_command_line_exits_with_status_1_and_says_why(tmp_path):
    path = write(tmp_path, '{"articles": [}', name="broken.json")
    result = subprocess.run(
        [sys.executable, "manage.py", "import_articles", path],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "CommandError" in result.stderr
    # The portal speaks Russian.
    assert f"{path}: строка 1, столбец 15" in result.stderr
    assert result.stdout == ""
