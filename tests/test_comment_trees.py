"""Comment trees stay valid nested sets: under concurrent writers, after imports, and when
something outside the portal damages them (check_comment_trees finds and repairs it)."""

import random
import re
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from comments import fragments, services, tree
from comments.models import Comment
from comments.tree import TreeWriteOutsideLock

from .factories import ArticleFactory, UserFactory, comment

WRITERS = 8
POSTS_PER_WRITER = 40
NEW_THREAD_SHARE = 0.3


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_lose_nothing_and_break_no_tree():
    """Eight writers post new threads and replies into four articles at once.

    On PostgreSQL this is the race django-mptt's documentation warns about: without the
    advisory locks in comments.tree most threads end up corrupted.
    """
    articles = [ArticleFactory() for _ in range(4)]
    writers = UserFactory.create_batch(WRITERS)
    seeds = [comment(article) for article in articles]
    start = threading.Barrier(WRITERS)
    posted = []
    failures = []
    lock = threading.Lock()

    def write(author, seed):
        rng = random.Random(seed)
        try:
            start.wait()
            for n in range(POSTS_PER_WRITER):
                article = rng.choice(articles)
                parent_id = None
                if rng.random() > NEW_THREAD_SHARE:
                    candidates = list(
                        Comment.objects.filter(article=article).values_list("pk", flat=True)
                    )
                    parent_id = rng.choice(candidates)
                new, created = services.post_comment(
                    author, article, f"{author.username} #{n}", parent_id=parent_id
                )
                assert created
                with lock:
                    posted.append(new.pk)
        except Exception as error:  # reported below, with the thread's context
            failures.append(repr(error))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=write, args=(author, index)) for index, author in enumerate(writers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(posted) == WRITERS * POSTS_PER_WRITER
    stored = set(Comment.objects.exclude(pk__in=[s.pk for s in seeds]).values_list("pk", flat=True))
    assert stored == set(posted)  # every accepted comment stored, exactly once
    assert tree.broken_trees() == []
    assert Comment.objects.filter(parent__isnull=True).count() == len(
        set(Comment.objects.values_list("tree_id", flat=True))
    )


@pytest.mark.django_db
def test_tree_fields_cannot_be_written_outside_comments_tree():
    article = ArticleFactory()
    with pytest.raises(TreeWriteOutsideLock):
        Comment(article=article, author=UserFactory(), body="мимо").save()
    existing = comment(article)
    with pytest.raises(TreeWriteOutsideLock):
        existing.delete()
    other_root = comment(article)
    existing.parent = other_root
    with pytest.raises(TreeWriteOutsideLock):
        existing.save()


@pytest.mark.django_db
def test_editing_a_stale_copy_does_not_overwrite_tree_fields():
    article = ArticleFactory()
    root = comment(article)
    stale_copy = Comment.objects.get(pk=root.pk)
    comment(article, parent=root)  # widens the root's nested set
    stale_copy.body = "Правка"
    stale_copy.save(update_fields=["body", "body_html"])
    services.edit_comment(root.author, stale_copy, "Ещё правка")
    assert tree.broken_trees() == []


def _damage(article):
    root = comment(article)
    child = comment(article, parent=root)
    comment(article, parent=child)
    comment(article, parent=root)
    # What a racing writer leaves behind: overlapping numbers and a reply in the wrong tree.
    Comment.objects.filter(pk=child.pk).update(rght=99)
    Comment.objects.filter(parent=root).exclude(pk=child.pk).update(tree_id=root.tree_id + 500)
    return root


@pytest.mark.django_db
def test_check_comment_trees_reports_and_repairs(capsys):
    article = ArticleFactory()
    healthy = comment(article)
    comment(article, parent=healthy)
    _damage(article)

    with pytest.raises(CommandError) as error:
        call_command("check_comment_trees")
    assert error.value.returncode == 1
    assert "broken" in str(error.value)

    kept_under = fragments.tokens(article.pk)
    call_command("check_comment_trees", "--repair")
    assert "Repaired" in capsys.readouterr().out
    # The threads may sort differently now: nothing drawn from the damaged ones is served.
    assert fragments.tokens(article.pk) != kept_under
    assert tree.broken_trees() == []
    call_command("check_comment_trees")
    assert "All 2 threads are valid." in capsys.readouterr().out


@pytest.mark.django_db
def test_reply_count_comes_from_the_nested_set():
    article = ArticleFactory()
    root = comment(article)
    for _ in range(3):
        comment(article, parent=comment(article, parent=root))
    assert Comment.objects.with_reply_count().get(pk=root.pk).reply_count == 6


@pytest.mark.django_db
def test_demo_discussions_load_once_and_are_valid():
    call_command("load_demo", verbosity=0)
    first = Comment.objects.count()
    call_command("load_demo", verbosity=0)
    assert Comment.objects.count() == first > 100
    assert tree.broken_trees() == []
    assert Comment.objects.filter(level__gte=4).exists()  # replies to replies to replies
    assert Comment.objects.filter(body__regex=r"[әғқңөұүһі]").exists()  # Kazakh comments
    bodies = Comment.objects.values_list("body", flat=True)
    assert any(not re.search(r"\w", body) for body in bodies)  # emoji-only comments
