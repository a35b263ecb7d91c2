"""Backups restore the site as it was: articles, comment threads (as valid nested sets),
accounts that can still log in, votes, reactions, moderation records and uploaded images.

The recipes are the ones docs/backup.md gives: `backup_site` (a dumpdata fixture with
natural keys and a tar of MEDIA_ROOT) and plain dumpdata/loaddata, each restored into the
emptied database (`flush` removes every row, the groups and the site's name included);
pg_dump/pg_restore on PostgreSQL and sqlite3's .backup on SQLite.
"""

import os
import shutil
import sqlite3
import subprocess
import tarfile
import uuid
from datetime import datetime

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from articles import services as article_services
from articles.models import Article, ArticleReaction, ArticleStats, Tag
from comments import services as comment_services
from comments import tree
from comments.models import Comment, CommentVote
from moderation import services as moderation
from moderation.models import ModerationAction, ModerationPolicy, Report

from .factories import (
    PASSWORD,
    ArticleFactory,
    CategoryFactory,
    UserFactory,
    comment,
    editor,
    image_bytes,
    moderator,
)

User = get_user_model()
SITE_DOMAIN = "news.example.kz"


def make_site():
    """A small newsroom with everything a backup must carry."""
    Site.objects.filter(pk=1).update(domain=SITE_DOMAIN, name="Степной вестник")
    chief = editor(username="Редактор")
    mod = moderator(username="Модератор")
    readers = [
        UserFactory(username="Айбалта", display_name="Айбалта С."),
        UserFactory(username="Владимир60"),
        UserFactory(username="reader_3"),
    ]
    readers[0].avatar.save("a.jpg", ContentFile(image_bytes(256, 256)), save=True)
    EmailAddress.objects.create(
        user=readers[0], email=readers[0].email, verified=True, primary=True
    )
    society = CategoryFactory(slug="society", name="Общество")
    first = ArticleFactory(
        category=society,
        author=chief,
        title="Казахстанцы смогут выбирать акимов городов",
        cover=ContentFile(image_bytes(900, 600), name="akimat.jpg"),
        cover_caption="Фото редакции",
    )
    second = ArticleFactory(
        category=CategoryFactory(slug="kazakh", name="Қазақша"),
        title="Алматыда жаңа саябақ ашылды",
        language="kk",
    )
    tag = Tag.objects.create(name="Выборы")
    first.tags.add(tag)

    # Threads of several depths, in both articles, interleaved so tree ids interleave too.
    root = comment(first, author=readers[0], body="Первый!\nВторая строка")
    other = comment(second, author=readers[1], body="Жауап қазақша 👍")
    reply = comment(first, parent=root, author=readers[1], body="Ответ")
    comment(first, parent=reply, author=readers[2], body="Ответ на ответ")
    comment(second, parent=other, author=readers[0], body="Келісемін")
    comment(first, parent=root, author=readers[2], body="Второй ответ")
    spam = comment(first, author=readers[2], body="Купите слона")
    gone = comment(first, author=readers[1], body="Передумал")
    comment(first, parent=gone, author=readers[0], body="Ответ удалённому")

    comment_services.vote(readers[1], root, 1)
    comment_services.vote(readers[2], root, -1)
    article_services.react(readers[0], first, "like")
    article_services.react(readers[1], first, "wow")
    moderation.report(readers[0], spam, "spam")
    moderation.hide(mod, spam, "Спам")
    comment_services.delete_comment(readers[1], gone)
    ModerationPolicy.objects.update_or_create(pk=1)
    return first


def snapshot():
    """Everything compared before and after, by natural identifiers (usernames, slugs)."""

    def rows(queryset, *fields):
        # A JSON fixture keeps times to the millisecond (DjangoJSONEncoder); so do we here.
        def value(item):
            if isinstance(item, datetime):
                return item.replace(microsecond=item.microsecond // 1000 * 1000)
            return item

        return sorted((tuple(map(value, row)) for row in queryset.values_list(*fields)), key=repr)

    users = User.objects.all()
    return {
        "site": rows(Site.objects.filter(pk=1), "domain", "name"),
        "users": rows(
            users,
            "username",
            "username_key",
            "email",
            "display_name",
            "avatar",
            "password",
            "is_staff",
            "is_active",
            "date_joined",
        ),
        "groups": rows(users, "username", "groups__name"),
        "emails": rows(EmailAddress.objects.all(), "user__username", "email", "verified"),
        "articles": rows(
            Article.objects.all(),
            "pk",
            "title",
            "slug",
            "lead",
            "body",
            "body_html",
            "status",
            "published_at",
            "language",
            "category__slug",
            "author__username",
            "cover",
            "cover_caption",
            "cover_renditions",
            "tags__name",
        ),
        "comments": rows(
            Comment.objects.all(),
            "pk",
            "article_id",
            "author__username",
            "parent_id",
            "body",
            "body_html",
            "status",
            "moderation_reason",
            "moderated_by__username",
            "tree_id",
            "lft",
            "rght",
            "level",
            "likes",
            "dislikes",
            "created_at",
        ),
        "votes": rows(CommentVote.objects.all(), "comment_id", "user__username", "value"),
        "reactions": rows(ArticleReaction.objects.all(), "article_id", "user__username", "kind"),
        "stats": rows(ArticleStats.objects.all(), "article_id", "like", "wow", "views"),
        "reports": rows(Report.objects.all(), "comment_id", "reporter__username", "resolution"),
        "audit": rows(
            ModerationAction.objects.all(), "actor__username", "action", "comment_id", "reason"
        ),
        "policy": ModerationPolicy.objects.count(),
    }


def assert_restored(before, client, article):
    after = snapshot()
    for key in before:
        assert after[key] == before[key], key
    assert tree.broken_trees() == []
    # The restored site works: pages, logging in, editors' rights, and new rows (sequences).
    assert client.login(username="Айбалта", password=PASSWORD)
    page = client.get(article.get_absolute_url())
    assert page.status_code == 200
    assert "Ответ на ответ" in page.content.decode()
    assert User.objects.get(username="Редактор").has_perm("articles.change_article")
    assert Site.objects.get_current().domain == SITE_DOMAIN
    reader = User.objects.get(username="Айбалта")
    new, created = comment_services.post_comment(
        reader,
        Article.objects.get(pk=article.pk),
        "После восстановления",
        submission_token=uuid.uuid4(),
    )
    assert created
    comment(new.article, parent=new, body="И ответ")
    ArticleFactory(title="Новая статья после восстановления")
    UserFactory(username="Новичок")
    assert tree.broken_trees() == []


def empty_the_database():
    call_command("flush", interactive=False, verbosity=0)
    assert not Article.objects.exists() and not Comment.objects.exists()
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_backup_site_then_restore_into_an_emptied_database(client, tmp_path, settings):
    article = make_site()
    before = snapshot()
    media_before = sorted(
        os.path.relpath(os.path.join(directory, name), settings.MEDIA_ROOT)
        for directory, _dirs, files in os.walk(settings.MEDIA_ROOT)
        for name in files
    )
    assert any(name.startswith("covers/") for name in media_before)
    assert any(name.startswith("avatars/") for name in media_before)

    call_command("backup_site", str(tmp_path / "backup"), verbosity=0)

    # Disaster: the database and the media are gone.
    empty_the_database()
    shutil.rmtree(settings.MEDIA_ROOT)

    # Restore as docs/backup.md says: loaddata into the migrated, empty database...
    call_command("loaddata", str(tmp_path / "backup" / "data.json"), verbosity=0)
    # ...and unpack the media archive into MEDIA_ROOT.
    with tarfile.open(tmp_path / "backup" / "media.tar.gz") as archive:
        archive.extractall(settings.MEDIA_ROOT, filter="data")

    assert_restored(before, client, article)
    media_after = sorted(
        os.path.relpath(os.path.join(directory, name), settings.MEDIA_ROOT)
        for directory, _dirs, files in os.walk(settings.MEDIA_ROOT)
        for name in files
    )
    assert set(media_before) <= set(media_after)
    restored = Article.objects.get(pk=article.pk)
    assert default_storage.exists(restored.cover.name)
    for item in restored.cover_renditions["items"]:
        assert default_storage.exists(item[2]) and default_storage.exists(item[3])


@pytest.mark.django_db(transaction=True)
def test_plain_dumpdata_and_loaddata(client, tmp_path):
    """The recipe for SQLite sites without the command (docs/backup.md)."""
    article = make_site()
    before = snapshot()
    fixture = tmp_path / "site.json"

    # (Without --natural-primary: see docs/backup.md, the site row would be duplicated.)
    call_command(
        "dumpdata",
        natural_foreign=True,
        exclude=["contenttypes", "auth.permission", "sessions"],
        output=str(fixture),
        verbosity=0,
    )
    empty_the_database()
    call_command("loaddata", str(fixture), verbosity=0)

    assert_restored(before, client, article)


@pytest.mark.django_db(transaction=True)
def test_backup_site_refuses_to_overwrite_a_backup(tmp_path):
    from django.core.management.base import CommandError

    make_site()
    call_command("backup_site", str(tmp_path), verbosity=0)
    with pytest.raises(CommandError, match="exists"):
        call_command("backup_site", str(tmp_path), verbosity=0)


def _postgres_env():
    settings_dict = connection.settings_dict
    env = {**os.environ, "PGHOST": settings_dict["HOST"] or "", "PGUSER": settings_dict["USER"]}
    env["PGPORT"] = str(settings_dict["PORT"] or 5432)
    if settings_dict["PASSWORD"]:
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return env


@pytest.mark.django_db(transaction=True)
def test_pg_dump_and_pg_restore(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump is for PostgreSQL sites")
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("pg_dump/pg_restore are not installed")
    make_site()
    before = snapshot()
    env = _postgres_env()
    dump = tmp_path / "site.dump"
    source = connection.settings_dict["NAME"]
    scratch = f"{source}_restore"

    # The commands docs/backup.md gives.
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), source],
        env=env,
        check=True,
    )
    subprocess.run(["dropdb", "--if-exists", scratch], env=env, check=True)
    subprocess.run(["createdb", scratch], env=env, check=True)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", scratch, str(dump)],
            env=env,
            check=True,
        )
        # Read the restored copy through Django, as the site would.
        connection.close()
        original = connection.settings_dict["NAME"]
        connection.settings_dict["NAME"] = scratch
        try:
            restored = snapshot()
            assert tree.broken_trees() == []
        finally:
            connection.close()
            connection.settings_dict["NAME"] = original
    finally:
        subprocess.run(["dropdb", "--if-exists", scratch], env=env, check=True)
    assert restored == before


@pytest.mark.django_db(transaction=True)
def test_sqlite_online_backup(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the .backup command is for SQLite sites")
    make_site()
    before = snapshot()
    copy = tmp_path / "db.sqlite3"

    # What `sqlite3 var/db.sqlite3 ".backup var/backup.sqlite3"` does, with the site running.
    connection.ensure_connection()
    with sqlite3.connect(copy) as target:
        connection.connection.backup(target)
    target.close()
    if shutil.which("sqlite3"):
        check = subprocess.run(
            ["sqlite3", str(copy), "PRAGMA integrity_check;"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert check.stdout.strip() == "ok"

    connection.close()
    original = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = str(copy)
    try:
        assert snapshot() == before
        assert tree.broken_trees() == []
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
