"""Reactions under articles ("Как вам публикация?") and likes/dislikes on comments."""

import threading

import pytest
from django.db import connections
from django.db.models import Count

from articles.models import ArticleReaction, ArticleStats
from comments.models import Comment, CommentVote

from .factories import ArticleFactory, UserFactory, comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return ArticleFactory(title="Весенний паводок обошёл сёла стороной")


def react(client, article, kind, **headers):
    return client.post(f"/articles/{article.pk}/react/", {"kind": kind}, **headers)


def vote(client, target, value, **headers):
    return client.post(f"/comments/{target.pk}/vote/", {"value": value}, **headers)


def counts(article):
    stats = ArticleStats.objects.filter(article=article).first()
    return stats.reaction_counts() if stats else {}


def test_article_page_asks_how_readers_like_it(russian, article):
    page = russian.get(article.get_absolute_url()).content.decode()
    block = page.split('id="reactions"')[1].split("</section>")[0]
    assert "Как вам публикация?" in block
    for emoji in "👍😂😮😢😡":
        assert emoji in block


def test_reactions_toggle_switch_and_count(client, article):
    client.force_login(UserFactory())
    other = UserFactory()

    assert react(client, article, "like").status_code == 302
    assert counts(article)["like"] == 1
    react(client, article, "sad")  # another reaction replaces the first
    assert counts(article)["like"] == 0 and counts(article)["sad"] == 1
    react(client, article, "sad")  # the same one again takes it back
    assert counts(article)["sad"] == 0
    assert ArticleReaction.objects.count() == 0

    client.force_login(other)
    data = react(client, article, "wow", HTTP_ACCEPT="application/json").json()
    wow = next(r for r in data["reactions"] if r["kind"] == "wow")
    assert wow["count"] == 1 and wow["mine"] is True


def test_the_readers_own_reaction_is_marked(russian, article):
    reader = UserFactory()
    russian.force_login(reader)
    react(russian, article, "laugh")
    page = russian.get(article.get_absolute_url()).content.decode()
    laugh = page.split('value="laugh"')[1].split("</button>")[0]
    assert 'aria-pressed="true"' in page.split('value="laugh"')[0].rsplit("<button", 1)[1] + laugh
    assert '<span class="reaction__count" data-count>1</span>' in laugh


def test_anonymous_reaction_leads_to_login_and_writes_nothing(client, article):
    response = react(client, article, "like")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert "%23reactions" in response["Location"]
    assert react(client, article, "like", HTTP_ACCEPT="application/json").status_code == 401
    assert ArticleReaction.objects.count() == 0


def test_unknown_reaction_is_refused(client, article):
    client.force_login(UserFactory())
    response = react(client, article, "<script>", HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert ArticleReaction.objects.count() == 0


def test_no_reactions_on_unpublished_articles(client):
    client.force_login(UserFactory())
    draft = ArticleFactory(status="draft")
    assert react(client, draft, "like").status_code == 404


def test_comment_votes_toggle_and_show(russian, article):
    target = comment(article, body="Хорошо сказано")
    reader = UserFactory()
    russian.force_login(reader)

    vote(russian, target, 1)
    target.refresh_from_db()
    assert (target.likes, target.dislikes) == (1, 0)
    data = vote(russian, target, -1, HTTP_ACCEPT="application/json").json()
    assert data == {"id": target.pk, "likes": 0, "dislikes": 1, "mine": -1}
    assert vote(russian, target, -1, HTTP_ACCEPT="application/json").json()["mine"] is None
    vote(russian, target, 1)

    page = russian.get(article.get_absolute_url()).content.decode()
    element = page[page.index(f'id="comment-{target.pk}"') :].split("</article>")[0]
    assert "<span data-likes>1</span>" in element
    assert 'vote__button vote__button--mine" aria-pressed="true"' in element


def test_no_votes_on_ones_own_comment(client, article):
    author = UserFactory()
    own = comment(article, author=author)
    client.force_login(author)
    assert vote(client, own, 1, HTTP_ACCEPT="application/json").status_code == 403
    assert vote(client, own, 1).status_code == 403
    own.refresh_from_db()
    assert own.likes == 0
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'action="/comments/{own.pk}/vote/"' not in page


def test_no_votes_on_hidden_comments(client, article):
    hidden = comment(article, status=Comment.Status.HIDDEN)
    client.force_login(UserFactory())
    assert vote(client, hidden, 1, HTTP_ACCEPT="application/json").status_code == 403
    assert CommentVote.objects.count() == 0


def test_anonymous_vote_leads_to_login(client, article):
    target = comment(article)
    response = vote(client, target, 1)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert CommentVote.objects.count() == 0


def test_most_liked_threads_first(russian, article):
    quiet = comment(article, body="тихий")
    loved = comment(article, body="любимый")
    disliked = comment(article, body="спорный")
    for _ in range(3):
        voter = UserFactory()
        russian.force_login(voter)
        vote(russian, loved, 1)
        vote(russian, disliked, -1)
    page = russian.get(f"{article.get_absolute_url()}?csort=liked").content.decode()
    order = [page.index(f'id="comment-{c.pk}"') for c in (loved, quiet, disliked)]
    assert order == sorted(order)


def test_an_edit_from_a_stale_copy_keeps_the_votes(client, article):
    author = UserFactory()
    own = comment(article, author=author, body="Было")
    stale = Comment.objects.get(pk=own.pk)
    client.force_login(UserFactory())
    vote(client, own, 1)
    stale.body = "Стало"
    stale.save()
    own.refresh_from_db()
    assert own.likes == 1 and own.body == "Стало"


@pytest.mark.django_db(transaction=True)
def test_counts_equal_rows_under_parallel_toggles():
    """Many readers toggle reactions and votes at once, each clicking several times."""
    article = ArticleFactory()
    target = comment(article)
    readers = UserFactory.create_batch(8)
    start = threading.Barrier(len(readers))
    failures = []

    def click(reader, index):
        from articles import services as article_services
        from comments import services as comment_services

        try:
            start.wait()
            kinds = ["like", "wow", "like", "sad", "angry", "sad", "like"]
            for n in range(12):
                article_services.react(reader, article, kinds[(n + index) % len(kinds)])
                comment_services.vote(reader, target, 1 if (n + index) % 3 else -1)
        except Exception as error:
            failures.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=(r, i)) for i, r in enumerate(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    rows = dict(
        ArticleReaction.objects.filter(article=article)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    assert {kind: n for kind, n in counts(article).items() if n} == rows
    target.refresh_from_db()
    assert target.likes == CommentVote.objects.filter(comment=target, value=1).count()
    assert target.dislikes == CommentVote.objects.filter(comment=target, value=-1).count()
