"""Posting a comment stays cheap: a fixed, small number of queries whatever the size of the
discussion, no second read of rows already in hand, and the shortcuts taken for it (the
count in the JSON answer, the duplicate-form check left to the unique constraint, the
parent's thread passed to comments.tree) give the same answers as the long way."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comments import services, tree
from comments.models import Comment
from moderation.models import BannedWord, ModerationPolicy

from .factories import ArticleFactory, UserFactory, comment

pytestmark = pytest.mark.django_db

# What a signed-in reader's JSON post costs, query by query. The test runs inside a
# transaction, so the tree write's transaction is a savepoint (create, release).
#   the article with its visible-comment count; the session; the user; sanctions in force;
#   [reply: the parent (article, status, thread)];
#   savepoint; [PostgreSQL: the advisory lock];
#   new thread: MAX(tree_id) | reply: the parent's numbers, the shift of the numbers right
#   of it; the INSERT; release.
# (The rendered comment needs no query: it is the reader's own, which takes no votes.)
ADVISORY_LOCK = 1 if connection.vendor == "postgresql" else 0
NEW_THREAD_QUERIES = 8 + ADVISORY_LOCK
REPLY_QUERIES = 10 + ADVISORY_LOCK


@pytest.fixture
def article():
    return ArticleFactory()


@pytest.fixture
def reader(client):
    user = UserFactory()
    client.force_login(user)
    return user


def post_json(client, article, body="Обычное мнение", parent=None, token=None):
    data = {"body": body, "submission_token": str(token or uuid.uuid4())}
    if parent is not None:
        data["parent"] = parent.pk
    return client.post(f"/comments/post/{article.pk}/", data, HTTP_ACCEPT="application/json")


def discussion_of(article, size):
    root = comment(article)
    last = root
    for n in range(size - 1):
        last = comment(article, parent=last if n % 3 else root)
    return root, last


@pytest.mark.parametrize("size", [1, 40])
def test_a_new_thread_costs_a_fixed_number_of_queries(
    client, article, reader, size, django_assert_num_queries
):
    discussion_of(article, size)
    post_json(client, article)  # the first request of a process warms its caches
    with django_assert_num_queries(NEW_THREAD_QUERIES):
        response = post_json(client, article)
    assert response.status_code == 201
    assert response.json()["total"] == size + 2


@pytest.mark.parametrize("size", [1, 40])
def test_a_reply_costs_a_fixed_number_of_queries(
    client, article, reader, size, django_assert_num_queries
):
    _root, last = discussion_of(article, size)
    post_json(client, article)
    with django_assert_num_queries(REPLY_QUERIES):
        response = post_json(client, article, parent=last)
    assert response.status_code == 201
    data = response.json()
    assert data["parent_id"] == last.pk and data["total"] == size + 2
    assert tree.broken_trees() == []


def test_the_reply_lands_as_the_last_child_with_the_numbers_a_rebuild_gives(
    client, article, reader
):
    root, _last = discussion_of(article, 7)
    first_reply = Comment.objects.filter(parent=root).order_by("pk").first()
    new_id = post_json(client, article, parent=first_reply).json()["id"]
    new = Comment.objects.get(pk=new_id)
    first_reply.refresh_from_db()
    assert new.tree_id == root.tree_id and new.level == first_reply.level + 1
    assert (new.lft, new.rght) == (first_reply.rght - 2, first_reply.rght - 1)
    assert tree.broken_trees() == []


def test_the_total_counts_visible_comments_only(client, article, reader):
    BannedWord.objects.create(pattern="дурак")
    ModerationPolicy.get_solo()
    comment(article)
    comment(article, status=Comment.Status.HIDDEN)
    held = post_json(client, article, body="Сам дурак").json()
    assert Comment.objects.get(pk=held["id"]).status == Comment.Status.PENDING
    assert held["total"] == 1  # the held comment is not counted
    shown = post_json(client, article).json()
    assert shown["total"] == 2 == Comment.objects.filter(article=article).visible().count()


def test_the_same_form_twice_gives_the_first_comment_and_the_same_total(client, article, reader):
    token = uuid.uuid4()
    first = post_json(client, article, token=token).json()
    second = post_json(client, article, token=token).json()
    assert second["id"] == first["id"] and second["total"] == first["total"] == 1
    assert Comment.objects.count() == 1


def test_a_form_sent_again_after_its_parent_was_removed_gives_the_first_reply(article):
    author = UserFactory()
    root = comment(article)
    token = uuid.uuid4()
    reply, created = services.post_comment(author, article, "Ответ", root.pk, token)
    assert created
    Comment.objects.filter(pk=root.pk).update(status=Comment.Status.HIDDEN)
    again, created = services.post_comment(author, article, "Ответ", root.pk, token)
    assert again.pk == reply.pk and not created
    with pytest.raises(services.ValidationError):
        services.post_comment(author, article, "Другой ответ", root.pk, uuid.uuid4())


def test_a_stale_thread_number_from_the_caller_only_costs_a_retry(article):
    root = comment(article)
    other = comment(article)
    reply = Comment(article=article, author=UserFactory(), parent=root, body="Ответ")
    tree.insert_comment(reply, parent_tree_id=other.tree_id)  # as if root had moved
    assert reply.tree_id == root.tree_id and reply.parent_id == root.pk
    assert tree.broken_trees() == []


def test_the_parent_object_in_hand_is_kept_in_step(article):
    root = comment(article)
    child = comment(article, parent=root)
    assert (root.lft, root.rght) == (1, 4)
    comment(article, parent=child)
    assert (child.lft, child.rght, child.level) == (2, 5, 1)
    assert Comment.objects.get(pk=child.pk).rght == 5


def test_a_reply_to_a_thread_deleted_meanwhile_is_refused_cleanly(article):
    root = comment(article)
    reply = Comment(article=article, author=UserFactory(), parent=root, body="Ответ")
    tree.delete_thread(root.tree_id)
    with pytest.raises(Comment.DoesNotExist):
        tree.insert_comment(reply, parent_tree_id=root.tree_id)
    assert Comment.objects.count() == 0


def record_cache_calls(monkeypatch, names=("get", "get_many", "set", "add", "delete")):
    """The cache methods called from outside the cache (the local-memory cache's get_many
    calls its own get, which is not another round trip)."""
    from django.core.cache import cache

    calls, depth = [], [0]

    def recording(name, original):
        def method(*args, **kwargs):
            if depth[0] == 0:
                calls.append(name)
            depth[0] += 1
            try:
                return original(*args, **kwargs)
            finally:
                depth[0] -= 1

        return method

    for name in names:
        monkeypatch.setattr(cache, name, recording(name, getattr(cache, name)))
    return calls


def test_the_moderation_policy_and_banned_words_take_one_cache_round_trip(article, monkeypatch):
    from moderation import policy

    author = UserFactory()
    BannedWord.objects.create(pattern="дурак")
    ModerationPolicy.get_solo()
    policy.initial_status(author, article, "разогрев")  # compiles the banned words once
    calls = record_cache_calls(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        assert policy.initial_status(author, article, "Обычное мнение") == ("visible", "")
        assert policy.initial_status(author, article, "Сам дурак")[0] == "pending"
    assert len(queries) == 0
    assert calls == ["get_many", "get_many"]


def test_a_refused_request_spends_from_no_bucket(settings):
    from newsportal import ratelimit

    settings.RATE_LIMITS_ENABLED = True
    roomy, tight = (
        ("rl:test:roomy", ratelimit.Limit(2, 60)),
        ("rl:test:tight", ratelimit.Limit(1, 60)),
    )
    assert ratelimit.check([roomy, tight]).allowed
    refused = ratelimit.check([roomy, tight])
    assert not refused.allowed and 55 <= refused.retry_after <= 61
    # The refusal left the roomy bucket with the unit the first request did not spend.
    assert ratelimit.check([roomy]).allowed
    assert not ratelimit.check([roomy]).allowed


def test_the_limits_of_a_request_take_one_round_trip_on_redis(settings, redis_round_trips):
    from newsportal import ratelimit

    if ratelimit._redis_client() is None:
        pytest.skip("the cache is not Redis (REDIS_URL unset)")
    settings.RATE_LIMITS_ENABLED = True
    buckets = [("rl:test:user", ratelimit.Limit(5, 20)), ("rl:test:ip", ratelimit.Limit(30, 2))]
    assert ratelimit.check(buckets).allowed  # the first time also loads the script
    sent = redis_round_trips()
    assert ratelimit.check(buckets).allowed
    assert len(sent) == 1


def test_the_written_out_sanction_query_agrees_with_the_querysets_definition():
    from datetime import timedelta

    from django.db.models import F
    from django.utils import timezone

    from moderation import policy
    from moderation.models import Sanction

    now = timezone.now()
    ban, suspend = Sanction.Kind.BAN, Sanction.Kind.SUSPEND
    cases = {
        "nothing": [],
        "an expired suspension": [(suspend, now - timedelta(hours=1), None)],
        "a lifted ban": [(ban, None, now - timedelta(days=1))],
        "a suspension in force": [(suspend, now + timedelta(hours=1), None)],
        "two suspensions": [
            (suspend, now + timedelta(hours=1), None),
            (suspend, now + timedelta(days=3), None),
            (suspend, now + timedelta(hours=5), None),
        ],
        "a ban and suspensions": [
            (suspend, now + timedelta(days=30), None),
            (ban, None, None),
            (suspend, now + timedelta(hours=1), None),
        ],
        "two bans": [(ban, None, None), (ban, None, None)],
        "a ban lifted, a suspension expired, one in force": [
            (ban, None, now - timedelta(minutes=5)),
            (suspend, now - timedelta(minutes=1), None),
            (suspend, now + timedelta(minutes=1), None),
        ],
        "a suspension ending this very moment": [(suspend, now, None)],
    }
    for case, sanctions in cases.items():
        user = UserFactory()
        for kind, until, lifted_at in sanctions:
            Sanction.objects.create(
                user=user, kind=kind, until=until, lifted_at=lifted_at, reason=case
            )
        expected = (
            Sanction.objects.active(now)
            .filter(user=user)
            .order_by(F("until").desc(nulls_first=True), "-pk")
            .first()
        )
        assert policy.active_sanction(user, now) == expected, case
