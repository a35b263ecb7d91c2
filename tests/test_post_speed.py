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
# transaction, so the tree write is wrapped in a savepoint (create, release); outside one
# (in production) there is none.
#   the session; the user; the article with its visible-comment count, the parent
#   (article, status, thread) and whether a sanction is in force, in one query;
#   savepoint;
#   PostgreSQL: the advisory lock and the insert (for a reply with the parent's numbers
#   and the shift of the numbers right of it) as one message of two statements;
#   SQLite: new thread: MAX(tree_id) | reply: the parent's numbers, the shift; the INSERT;
#   release.
# (The rendered comment needs no query: it is the reader's own, which takes no votes.)
if connection.vendor == "postgresql":
    NEW_THREAD_QUERIES = REPLY_QUERIES = 6
else:
    NEW_THREAD_QUERIES, REPLY_QUERIES = 7, 8


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


def test_the_written_out_sanction_query_agrees_with_the_querysets_definition(article):
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
        # The yes-or-no read with the article a comment goes to says the same.
        _article, facts = services.article_for_posting(article.pk, user)
        assert facts.sanctioned == (expected is not None), case


# The article, its count, the parent and the sanctions in one query (article_for_posting)


def test_the_article_read_for_posting_has_what_posting_and_its_answer_use(article, reader):
    root = comment(article)
    comment(article, status=Comment.Status.HIDDEN)
    found, facts = services.article_for_posting(article.pk, reader, root.pk)
    assert found.pk == article.pk and found.is_public and found.comments_enabled
    with CaptureQueriesContext(connection) as queries:
        assert found.get_absolute_url() == article.get_absolute_url()
        assert (found.premoderate, found.language, found.title) == (
            article.premoderate,
            article.language,
            article.title,
        )
    assert len(queries) == 0
    assert facts.visible_comments == 1 and not facts.sanctioned
    assert (facts.parent.pk, facts.parent.status, facts.parent.tree_id) == (
        root.pk,
        Comment.Status.VISIBLE,
        root.tree_id,
    )
    assert found.body == article.body  # what it leaves out still loads when asked for


@pytest.mark.parametrize("kind", ["draft", "scheduled", "missing"])
def test_posting_into_an_unpublished_or_missing_article_is_not_found(client, reader, kind):
    from datetime import timedelta

    from django.utils import timezone

    if kind == "missing":
        pk = 10**30  # beyond any id column, too
    else:
        story = ArticleFactory(
            status="draft" if kind == "draft" else "published",
            published_at=timezone.now() + timedelta(days=1) if kind == "scheduled" else None,
        )
        pk = story.pk
    response = client.post(
        f"/comments/post/{pk}/",
        {"body": "Мнение", "submission_token": str(uuid.uuid4())},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 404
    assert Comment.objects.count() == 0


@pytest.mark.parametrize("parent", ["other article", "hidden", "pending", "gone", "huge", "zero"])
def test_a_reply_to_what_cannot_take_one_is_refused(client, article, reader, parent):
    other = comment(ArticleFactory())
    parent_id = {
        "other article": lambda: other.pk,
        "hidden": lambda: comment(article, status=Comment.Status.HIDDEN).pk,
        "pending": lambda: comment(article, status=Comment.Status.PENDING).pk,
        "gone": lambda: other.pk + 1000,
        "huge": lambda: 10**30,
        "zero": lambda: 0,
    }[parent]()
    before = Comment.objects.count()
    response = client.post(
        f"/comments/post/{article.pk}/",
        {"body": "Ответ", "parent": parent_id, "submission_token": str(uuid.uuid4())},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400, response.content
    assert Comment.objects.count() == before


def test_a_sanctioned_reader_is_refused_with_the_reason(client, article, reader):
    from moderation.models import Sanction

    Sanction.objects.create(user=reader, kind=Sanction.Kind.BAN, reason="Спам-бот")
    response = post_json(client, article)
    assert response.status_code == 403
    assert "Спам-бот" in response.json()["error"]
    assert Comment.objects.count() == 0


def test_facts_read_for_another_reader_or_parent_are_not_trusted(article):
    from moderation.models import Sanction

    reader, banned = UserFactory(), UserFactory()
    Sanction.objects.create(user=banned, kind=Sanction.Kind.BAN, reason="Спам-бот")
    hidden = comment(article, status=Comment.Status.HIDDEN)
    _article, facts = services.article_for_posting(article.pk, reader)  # no parent
    with pytest.raises(services.CommentingClosed, match="Спам-бот"):
        services.post_comment(banned, article, "Мнение", facts=facts)
    with pytest.raises(services.ValidationError):
        services.post_comment(reader, article, "Ответ", parent_id=hidden.pk, facts=facts)
    assert Comment.objects.filter(author__in=[reader, banned]).count() == 0


def test_a_sanction_given_after_the_article_was_read_still_counts_when_facts_are_old(article):
    """post_comment asks again when the facts say there is a sanction, so their message
    is the one in force; and facts saying there is none are only used within the request
    that read them (the view), never kept."""
    from moderation.models import Sanction

    reader = UserFactory()
    Sanction.objects.create(user=reader, kind=Sanction.Kind.BAN, reason="Первый")
    _article, facts = services.article_for_posting(article.pk, reader)
    assert facts.sanctioned
    with pytest.raises(services.CommentingClosed, match="Первый"):
        services.post_comment(reader, article, "Мнение", facts=facts)


# The tree write as one message (PostgreSQL) or a few statements (SQLite)


@pytest.mark.django_db(transaction=True)
def test_the_same_form_twice_outside_a_transaction_gives_the_first_comment(article):
    """In production a post runs outside any transaction: the refused second insert must
    leave the connection usable and the first comment in place."""
    author = UserFactory()
    root = comment(article)
    token = uuid.uuid4()
    first, created = services.post_comment(author, article, "Раз", root.pk, token)
    again, created_again = services.post_comment(author, article, "Раз", root.pk, token)
    assert created and not created_again and again.pk == first.pk
    new, _created = services.post_comment(author, article, "Два", None, token)
    assert new.pk == first.pk
    assert Comment.objects.filter(author=author).count() == 1
    assert tree.broken_trees() == []
    assert Comment.objects.get(pk=root.pk).rght == 4


def test_an_inserted_comment_is_a_saved_model_and_sends_the_save_signals(article):
    from django.db.models.signals import post_save, pre_save

    seen = []

    def pre(sender, instance, **kwargs):
        seen.append(("pre", instance.pk, instance.body_html))

    def post(sender, instance, created, **kwargs):
        seen.append(("post", instance.pk, created))

    pre_save.connect(pre, sender=Comment)
    post_save.connect(post, sender=Comment)
    try:
        root = comment(article, body="Первая строка\nвторая")
        reply = comment(article, parent=root)
    finally:
        pre_save.disconnect(pre, sender=Comment)
        post_save.disconnect(post, sender=Comment)
    assert seen == [
        ("pre", None, "<p>Первая строка<br>вторая</p>"),
        ("post", root.pk, True),
        ("pre", None, reply.body_html),
        ("post", reply.pk, True),
    ]
    stored = Comment.objects.get(pk=reply.pk)
    assert (stored.tree_id, stored.lft, stored.rght, stored.level) == (
        reply.tree_id,
        reply.lft,
        reply.rght,
        reply.level,
    )
    assert not reply._state.adding
    reply.body = "Правка"
    reply.save(update_fields=["body", "body_html"])  # an ordinary update, not an insert
    assert Comment.objects.get(pk=reply.pk).body_html == "<p>Правка</p>"
    assert (root.lft, root.rght) == (1, 4)  # the parent in hand kept in step


def test_the_answer_to_a_post_draws_no_vote_form_and_leaves_the_csrf_cookie_alone(
    client, article, reader
):
    comment(article)
    response = post_json(client, article)
    assert response.status_code == 201
    assert "csrfmiddlewaretoken" not in response.json()["html"]
    assert "csrftoken" not in response.cookies
    # Someone else's comment on the page still has its vote form with the token.
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'name="csrfmiddlewaretoken" value="' in page.split('class="vote"', 1)[1][:2000]


def test_any_text_goes_into_the_one_message_insert_as_a_value(client, article, reader):
    hostile = "'); DELETE FROM comments_comment; -- %s %(x)s {table} \\' \\\\ $$ ;"
    first = post_json(client, article, body=hostile)
    root_id = first.json()["id"]
    reply = post_json(client, article, body=hostile + " ответ", parent=Comment(pk=root_id))
    assert first.status_code == reply.status_code == 201
    assert Comment.objects.get(pk=root_id).body == hostile
    assert Comment.objects.get(pk=reply.json()["id"]).body == hostile + " ответ"
    assert Comment.objects.count() == 2
    assert tree.broken_trees() == []
