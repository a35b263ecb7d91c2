"""Seed and measure the peer (django-comments-xtd) in its own virtualenv:

    bench/.peer-venv/bin/python bench/peer/measure.py --sizes 16,1000,5000 --reps 5,5,3

A fresh SQLite database (PEER_DB, default var/bench/peer.sqlite3), one article per size
with the discussion of bench/shape.py (the very threads, depths and texts our app gets),
written through XtdComment.save(), the peer's own write path. Then the article page is
fetched with Django's test Client: queries counted with CaptureQueriesContext on one
request, milliseconds timed on separate requests (median). One JSON line on stdout.

--guests adds, per size, the same discussion written by unregistered commenters (name and
e-mail, no account): the peer's default template checks a permission per comment whose
author has an account, so that variant shows the cost of that check.
"""

import argparse
import json
import os
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerproj.settings")
os.environ.setdefault("PEER_DB", str(ROOT / "var" / "bench" / "peer.sqlite3"))

import shape  # noqa: E402


def fresh_database():
    path = Path(os.environ["PEER_DB"])
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def seed(n, users, guests=False):
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sites.models import Site
    from django.db import transaction
    from django.utils import timezone
    from django_comments_xtd.models import XtdComment
    from peerblog.models import Article

    now = timezone.now()
    article = Article.objects.create(
        title=f"Benchmark discussion {n}",
        lead="Короткое вступление к новости.",
        body="\n\n".join(shape.SENTENCES[:8]),
        published_at=now - timedelta(days=3),
    )
    content_type = ContentType.objects.get_for_model(Article)
    site = Site.objects.get_current()
    items = shape.discussion(n)
    saved = []
    with transaction.atomic():
        for item in items:
            user = users[item["author"]]
            comment = XtdComment(
                content_type=content_type,
                object_pk=str(article.pk),
                site=site,
                user=None if guests else user,
                user_name=user.username,
                user_email=user.email,
                comment=item["body"],
                submit_date=now - timedelta(minutes=item["minutes_ago"]),
                is_public=True,
                is_removed=False,
                parent_id=0 if item["parent"] is None else saved[item["parent"]].pk,
            )
            comment.save()
            saved.append(comment)
    return article


def measure(url, reps, expect):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    # The first request warms up (templates compiled, content types cached) and is the
    # one whose queries are counted: at 5,000 comments a request takes half a minute.
    executed = [0]

    def count(execute, sql, params, many, context):
        executed[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count), CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    # Django's query log keeps at most 9,000 entries, so the count comes from the wrapper
    # (the two agree below that); taken now, as the next request empties the log.
    query_count = max(executed[0], len(captured))
    assert response.status_code == 200, response.status_code
    shown = len(set(re.findall(rb'id="c(\d+)"', response.content)))
    times, cpu = [], []
    for _ in range(reps):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    times.sort()
    return {
        "cpu_ms": statistics.median(cpu),
        "queries": query_count,
        "ms": statistics.median(times),
        "ms_all": [round(t, 2) for t in times],
        "shown": shown,
        "expected": expect,
        "bytes": len(response.content),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="16,1000,5000")
    parser.add_argument("--reps", default="15,7,5", help="repetitions per size")
    parser.add_argument("--guests", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    reps = [int(r) for r in args.reps.split(",")]
    reps += [reps[-1]] * (len(sizes) - len(reps))

    fresh_database()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    User = get_user_model()
    users = [
        User.objects.create_user(f"bench-user-{i}", f"bench-user-{i}@example.com", None)
        for i in range(shape.USERS)
    ]
    import django_comments_xtd

    out = {
        "django": django.get_version(),
        "xtd": getattr(django_comments_xtd, "__version__", "?"),
        "sizes": {},
    }
    for size, rep in zip(sizes, reps, strict=True):
        started = time.perf_counter()
        article = seed(size, users)
        seeded = time.perf_counter() - started
        result = measure(article.get_absolute_url(), rep, size)
        result["seed_seconds"] = round(seeded, 1)
        if args.guests:
            article = seed(size, users, guests=True)
            result["guests"] = measure(article.get_absolute_url(), rep, size)
        out["sizes"][str(size)] = result
        print(f"peer {size}: {result['queries']} queries, {result['ms']:.1f} ms", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
