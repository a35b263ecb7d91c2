"""Seeding and bookkeeping inside the app's own Django (run by bench/common.seed).

    python bench/seed.py COMMAND  < spec.json   -> one JSON line on stdout

Commands:
  articles  {"articles": [{"key": "a16", "comments": 16}, ...], "sessions": ["reader"],
             "writers": 8, "with_ids": false}
            bench articles with discussions of bench/shape.py's shape, written through
            comments.tree.insert_many in batches; session cookies for the named users and
            for `writers` new users (bench-writer-0..), as a logged-in browser would hold.
  count     {"articles": [pk, ...], "ids": [comment ids]}: comments per article, and which
            of the ids are missing.
  inprocess {"article": pk, "comments": 300}: comments/s of comments.services.post_comment
            called in-process by one writer (no HTTP), the reference of the write bench.

The DJANGO_SETTINGS_MODULE, DATABASE_URL etc. come from the environment (bench/common.py).
"""

import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsportal.settings")

import django  # noqa: E402

django.setup()

import shape  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

BATCH = 500


def bench_users():
    """shape.USERS commenters (unusable passwords: nothing to hash)."""
    User = get_user_model()
    existing = {u.username: u for u in User.objects.filter(username__startswith="bench-user-")}
    users = []
    for index in range(shape.USERS):
        name = f"bench-user-{index}"
        user = existing.get(name)
        if user is None:
            user = User.objects.create_user(
                username=name,
                email=f"{name}@example.com",
                password=None,
                **({"display_name": f"Читатель {index}"} if hasattr(User, "display_name") else {}),
            )
        users.append(user)
    return users


def make_article(key, author=None):
    # A real story's body from the demo newsroom, so the page is as long as a real one.
    from articles.demo import content
    from articles.models import Article, Category

    sample = next(a for a in content.ARTICLES if a.get("body"))
    category = Category.objects.order_by("order", "pk").first()
    try:
        from tests.factories import ArticleFactory

        kwargs = {"category": category} if category else {}
        return ArticleFactory(
            title=f"Бенчмарк: обсуждение {key}",
            lead=sample["lead"],
            body=sample["body"],
            author=author,
            **kwargs,
        )
    except ImportError:
        return Article.objects.create(
            title=f"Бенчмарк: обсуждение {key}",
            lead=sample["lead"],
            body=sample["body"],
            category=category,
            author=author,
            status=Article.Status.PUBLISHED,
            published_at=timezone.now() - timedelta(days=3),
        )


def add_discussion(article, n, users):
    from comments import tree
    from comments.models import Comment

    now = timezone.now()
    items = shape.discussion(n)
    objects = []
    for item in items:
        objects.append(
            Comment(
                article=article,
                author=users[item["author"]],
                parent=None if item["parent"] is None else objects[item["parent"]],
                body=item["body"],
                created_at=now - timedelta(minutes=item["minutes_ago"]),
            )
        )
    for start in range(0, len(objects), BATCH):
        tree.insert_many(objects[start : start + BATCH])
    return shape.describe(items)


def session_for(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def cmd_articles(spec):
    User = get_user_model()
    users = bench_users()
    editor = User.objects.filter(is_staff=True).order_by("pk").first()
    out = {"articles": {}, "sessions": {}, "writers": {}}
    for entry in spec.get("articles", []):
        started = time.perf_counter()
        article = make_article(entry["key"], author=editor)
        shape_text = add_discussion(article, entry["comments"], users) if entry["comments"] else "0"
        out["articles"][entry["key"]] = {
            **(
                {"comment_ids": list(article.comments.order_by("pk").values_list("pk", flat=True))}
                if spec.get("with_ids")
                else {}
            ),
            "pk": article.pk,
            "url": article.get_absolute_url(),
            "comments": article.comments.count(),
            "shape": shape_text,
            "seconds": round(time.perf_counter() - started, 2),
        }
    for username in spec.get("sessions", []):
        user = User.objects.get(username=username)
        out["sessions"][username] = session_for(user)
    for index in range(spec.get("writers", 0)):
        name = f"bench-writer-{index}"
        user = User.objects.filter(username=name).first() or User.objects.create_user(
            username=name, email=f"{name}@example.com", password=None
        )
        out["writers"][name] = session_for(user)
    return out


def cmd_count(spec):
    from comments.models import Comment

    counts = {
        str(pk): Comment.objects.filter(article_id=pk).count() for pk in spec.get("articles", [])
    }
    ids = set(spec.get("ids", []))
    found = set(Comment.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    return {"counts": counts, "missing": sorted(ids - found)}


def cmd_inprocess(spec):
    import uuid

    from articles.models import Article
    from comments import services

    article = Article.objects.get(pk=spec["article"])
    writer = get_user_model().objects.filter(username__startswith="bench-writer-").first()
    n = spec.get("comments", 300)
    ids = list(article.comments.values_list("pk", flat=True)[:50])
    started, cpu_started = time.perf_counter(), time.process_time()
    for index in range(n):
        parent = None if index % 10 < 3 or not ids else ids[-1 - (index * 7) % min(len(ids), 50)]
        comment, _ = services.post_comment(
            writer,
            article,
            shape.SENTENCES[index % len(shape.SENTENCES)],
            parent_id=parent,
            submission_token=uuid.uuid4(),
        )
        ids.append(comment.pk)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    return {
        "comments": n,
        "seconds": elapsed,
        "per_second": n / elapsed,
        "cpu_ms_per_comment": cpu * 1000 / n,
    }


if __name__ == "__main__":
    command = sys.argv[1]
    spec = json.loads(sys.stdin.read() or "{}")
    result = {"articles": cmd_articles, "count": cmd_count, "inprocess": cmd_inprocess}[command](
        spec
    )
    print(json.dumps(result))
