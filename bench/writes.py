"""Bench 4: posting comments over HTTP with concurrent writers, then checking nothing was lost.

    .venv/bin/python bench/writes.py [--quick] [--seconds 10] [--writers 8] [--workers N]
                                     [--db postgres|sqlite]

Our app as in production (DEBUG=0, gunicorn.conf.py, PostgreSQL newsportal_bench and
Redis), with the abuse limits off (RATE_LIMITS_ENABLED=0). WRITERS signed-in readers (one
session each, made with Django's own login) each GET an article to get the CSRF cookie,
then POST /comments/post/<article>/ in a loop, as the page's script does (Accept:
application/json, X-CSRFToken, a fresh submission_token): 30% new threads, 70% replies to
a recent comment of the same article, spread over 4 articles seeded with 50 comments each.

Then: comments/s accepted (HTTP 201), every accepted id present in the database, the number
of new rows equal to the number of 201 answers, and `manage.py check_comment_trees`
exiting 0. Target: >= 150 comments/s.

The reference beside it: comments.services.post_comment called in-process by a single
writer (no HTTP, no concurrency), on the same database. Also printed: the queries and the
CPU time of one post through the whole Django stack (middleware, view, service, JSON
answer) with Django's test client, a new thread and a reply, counted in-process.
"""

import argparse
import http.client
import json
import random
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import shape

TARGET = 150  # comments/s
NEW_THREAD_SHARE = 0.3


def request(port, method, path, headers, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def csrf_cookie(headers):
    for key, value in headers:
        if key.lower() == "set-cookie" and value.startswith("csrftoken="):
            return value.split(";", 1)[0].split("=", 1)[1]
    return None


class Writers:
    def __init__(self, port, sessions, articles, seconds, seed=1):
        self.port = port
        self.sessions = sessions  # username -> sessionid
        self.articles = articles  # pk -> {"url":..., "ids": [...]}
        self.seconds = seconds
        self.lock = threading.Lock()
        self.statuses = {}
        self.accepted = []  # comment ids answered with 201
        self.latencies = []
        self.errors = []
        self.seed = seed

    def writer(self, index, sessionid):
        rng = random.Random(self.seed * 1000 + index)
        pks = sorted(self.articles)
        cookie = f"sessionid={sessionid}"
        status, headers, body = request(
            self.port, "GET", self.articles[pks[0]]["url"], {"Cookie": cookie}
        )
        token = csrf_cookie(headers)
        if status != 200 or token is None or b"/accounts/logout/" not in body:
            with self.lock:
                self.errors.append(
                    f"writer {index}: GET {status}, csrftoken {'set' if token else 'missing'}, "
                    f"signed in: {b'/accounts/logout/' in body}"
                )
            return
        cookie += f"; csrftoken={token}"
        self.ready.wait()
        deadline = self.started + self.seconds
        while time.perf_counter() < deadline:
            pk = rng.choice(pks)
            fields = {"body": shape.body(rng), "submission_token": str(uuid.uuid4())}
            if rng.random() >= NEW_THREAD_SHARE:
                with self.lock:
                    ids = self.articles[pk]["ids"]
                    recent = ids[-100:]
                fields["parent"] = str(rng.choice(recent))
            payload = urllib.parse.urlencode(fields)
            began = time.perf_counter()
            try:
                status, _headers, answer = request(
                    self.port,
                    "POST",
                    f"/comments/post/{pk}/",
                    {
                        "Cookie": cookie,
                        "X-CSRFToken": token,
                        "Accept": "application/json",
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                    payload,
                )
            except (OSError, http.client.HTTPException) as error:
                status, answer = None, repr(error).encode()
            elapsed = time.perf_counter() - began
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
                self.latencies.append(elapsed)
                if status == 201:
                    comment_id = json.loads(answer)["id"]
                    self.accepted.append(comment_id)
                    self.articles[pk]["ids"].append(comment_id)
                elif len(self.errors) < 20:
                    self.errors.append(f"HTTP {status}: {answer[:300]!r}")

    def run(self):
        self.ready = threading.Event()
        threads = [
            threading.Thread(target=self.writer, args=(i, sid))
            for i, sid in enumerate(self.sessions.values())
        ]
        for thread in threads:
            thread.start()
        time.sleep(2)  # every writer has its CSRF cookie
        self.started = time.perf_counter()
        self.ready.set()
        for thread in threads:
            thread.join()
        self.elapsed = time.perf_counter() - self.started


POSTS_MEASURED = 40  # per kind (new thread, reply) for the in-process CPU figure


def measure_posts_in_process(article_pk):
    """Run inside the app's Django (main() starts it as a subprocess in the app's
    environment): a signed-in writer posts into the article through Django's test client,
    as the page's script does; the queries of one new thread and one reply as Django counts
    them, and the CPU time per post over POSTS_MEASURED of each. Prints one JSON line."""
    import os

    sys.path.insert(0, str(common.ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsportal.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from articles.models import Article

    article = Article.objects.get(pk=article_pk)
    writer = get_user_model().objects.filter(username__startswith="bench-writer-").first()
    client = Client(enforce_csrf_checks=True)
    client.force_login(writer)
    client.get(article.get_absolute_url())
    token = client.cookies["csrftoken"].value
    rng = random.Random(4)
    last_id = article.comments.order_by("-pk").values_list("pk", flat=True).first()

    def post(reply):
        nonlocal last_id
        fields = {"body": shape.body(rng), "submission_token": str(uuid.uuid4())}
        if reply:
            fields["parent"] = str(last_id)
        response = client.post(
            f"/comments/post/{article_pk}/",
            fields,
            HTTP_ACCEPT="application/json",
            HTTP_X_CSRFTOKEN=token,
        )
        assert response.status_code == 201, (response.status_code, response.content[:300])
        last_id = response.json()["id"]

    for _warm_up in range(5):
        post(reply=False)
        post(reply=True)
    queries = {}
    for kind, reply in (("new_thread", False), ("reply", True)):
        with CaptureQueriesContext(connection) as captured:
            post(reply)
        queries[kind] = len(captured)
    started = time.process_time()
    for index in range(2 * POSTS_MEASURED):
        post(reply=index % 2 == 1)
    cpu = time.process_time() - started
    print(json.dumps({"queries": queries, "cpu_ms_per_post": cpu * 1000 / (2 * POSTS_MEASURED)}))


def main(argv=None):
    if argv is None and sys.argv[1:2] == ["--in-process-posts"]:
        return measure_posts_in_process(int(sys.argv[2]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 s instead of 10")
    parser.add_argument("--seconds", type=int, default=None)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn workers (default: gunicorn.conf.py's own, 2 x CPUs + 1)",
    )
    parser.add_argument("--articles", type=int, default=4)
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--wait-quiet", type=int, default=60, metavar="SECONDS")
    args = parser.parse_args(argv)
    seconds = args.seconds or (5 if args.quick else 10)

    report = common.Report("writes")
    env = common.app_env(args.db, "writes", RATE_LIMITS_ENABLED=0)
    report.header(
        "Bench 4: concurrent comment posting over HTTP",
        common.describe_db(env),
        wait_quiet=args.wait_quiet,
    )
    common.prepare_site(env, say=report.say)
    seeded = common.seed(
        env,
        "articles",
        {
            "articles": [{"key": f"w{i}", "comments": 50} for i in range(args.articles)]
            + [{"key": "inprocess", "comments": 50}],
            "writers": args.writers,
            "with_ids": True,
        },
    )
    reference_article = seeded["articles"].pop("inprocess")
    articles = {
        info["pk"]: {"url": info["url"], "ids": list(info["comment_ids"])}
        for info in seeded["articles"].values()
    }
    before = common.seed(env, "count", {"articles": list(articles)})["counts"]

    workers = args.workers
    server = common.Gunicorn(env, workers=workers, name="gunicorn-writes")
    with server.start():
        n_workers = len(server.worker_pids())
        report.say(
            f"  gunicorn: gunicorn.conf.py, {n_workers} sync workers; {args.writers} "
            f"writers for {seconds} s into {len(articles)} articles "
            f"({NEW_THREAD_SHARE:.0%} new threads, the rest replies)"
        )
        run = Writers(server.port, seeded["writers"], articles, seconds)
        cpu_before = common.server_cpu_seconds(server.proc.pid)
        db_before = common.db_backend_cpu_seconds(common.PG_DB) if args.db == "postgres" else None
        run.run()
        cpu_used = common.server_cpu_seconds(server.proc.pid) - cpu_before
        db_used = (
            common.db_backend_cpu_seconds(common.PG_DB) - db_before
            if db_before is not None
            else None
        )
        server_errors = server.errors_logged()

    accepted = run.accepted
    after = common.seed(env, "count", {"articles": list(articles), "ids": accepted})
    new_rows = sum(after["counts"][str(pk)] - before[str(pk)] for pk in articles)
    check = subprocess.run(
        [str(common.PY), "manage.py", "check_comment_trees"],
        cwd=common.ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    reference = common.seed(
        env,
        "inprocess",
        {"article": reference_article["pk"], "comments": 100 if args.quick else 300},
    )
    one_post = subprocess.run(
        [str(common.PY), __file__, "--in-process-posts", str(reference_article["pk"])],
        cwd=common.ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if one_post.returncode != 0:
        sys.stderr.write(one_post.stdout[-3000:] + one_post.stderr[-5000:])
        raise SystemExit("measuring a post in-process failed")
    in_process = json.loads(one_post.stdout.strip().splitlines()[-1])

    rate = len(accepted) / run.elapsed if run.elapsed else 0
    latencies = sorted(run.latencies)
    p50 = latencies[len(latencies) // 2] * 1000 if latencies else None
    p99 = (
        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else None
    )
    lost = len(accepted) - new_rows
    report.data["results"] = {
        "seconds": run.elapsed,
        "writers": args.writers,
        "workers": n_workers,
        "statuses": {str(k): v for k, v in run.statuses.items()},
        "accepted": len(accepted),
        "distinct_accepted": len(set(accepted)),
        "new_rows": new_rows,
        "missing_ids": after["missing"][:50],
        "comments_per_second": rate,
        "p50_ms": p50,
        "p99_ms": p99,
        "check_comment_trees": {
            "exit": check.returncode,
            "output": (check.stdout + check.stderr)[-2000:],
        },
        "reference_inprocess": reference,
        "queries_per_post": in_process["queries"],
        "in_process_cpu_ms_per_post": in_process["cpu_ms_per_post"],
        "server_cpu_ms_per_comment": cpu_used * 1000 / max(len(accepted), 1),
        "db_cpu_ms_per_comment": db_used * 1000 / max(len(accepted), 1)
        if db_used is not None
        else None,
        "errors": run.errors,
        "server_errors": server_errors[:20],
    }

    report.say("")
    report.say("Comments posted over HTTP (201 answers per second) and the reference")
    report.table(
        ["", "comments/s", "target", "", "p50 ms", "p99 ms"],
        [
            [
                f"ours, HTTP, {args.writers} writers, {n_workers} workers",
                common.fmt(rate),
                f">= {TARGET}",
                common.verdict(rate >= TARGET),
                common.fmt(p50),
                common.fmt(p99),
            ],
            [
                "reference: post_comment in-process, 1 writer",
                common.fmt(reference["per_second"]),
                "",
                "",
                common.fmt(1000 / reference["per_second"]) if reference["per_second"] else "—",
                "",
            ],
        ],
    )
    r = report.data["results"]
    report.say(
        f"  CPU per accepted comment: gunicorn {common.fmt(r['server_cpu_ms_per_comment'], 2)} ms"
        + (
            f", PostgreSQL backends {common.fmt(r['db_cpu_ms_per_comment'], 2)} ms"
            if r["db_cpu_ms_per_comment"] is not None
            else ""
        )
        + f"; the reference writer {common.fmt(reference.get('cpu_ms_per_comment'), 2)} ms"
    )
    report.say(
        f"  One post through the whole Django stack (test client, in-process): "
        f"{r['queries_per_post']['new_thread']} queries for a new thread, "
        f"{r['queries_per_post']['reply']} for a reply; "
        f"{common.fmt(r['in_process_cpu_ms_per_post'], 2)} ms of CPU per post"
    )
    report.say("")
    report.say(f"  answers: {dict(sorted(run.statuses.items(), key=lambda kv: str(kv[0])))}")
    report.say(
        f"  accepted (201): {len(accepted)}, distinct ids {len(set(accepted))}; "
        f"new rows in the articles: {new_rows}; accepted ids missing from the "
        f"database: {len(after['missing'])}"
    )
    report.say(
        f"  lost comments: {lost} ({'none' if lost == 0 and not after['missing'] else 'LOST'})"
    )
    first_line = (check.stdout + check.stderr).strip().splitlines()
    report.say(
        f"  check_comment_trees: exit {check.returncode} ({first_line[-1] if first_line else ''})"
    )

    problems = []
    if lost or after["missing"]:
        problems.append(
            f"{lost} accepted comments not in the database (missing ids: {after['missing'][:10]})"
        )
    if len(set(accepted)) != len(accepted):
        problems.append("the same comment id was answered twice")
    if check.returncode != 0:
        problems.append(
            f"check_comment_trees exited {check.returncode}: "
            + " ".join((check.stdout + check.stderr).split())[:500]
        )
    refused = {k: v for k, v in run.statuses.items() if k != 201}
    if refused:
        problems.append(f"non-201 answers: {refused}; first: {run.errors[:3]}")
    for line in server_errors[:10]:
        problems.append(f"server log: {line[:200]}")
    if rate < TARGET:
        problems.append(f"{rate:.1f} comments/s, below the target of {TARGET}")
    report.data["problems"] = problems
    if problems:
        report.say("Problems:")
        for problem in problems:
            report.say(f"  - {problem}")
    report.say(f"load average at the end: {common.machine()['loadavg']}")
    report.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
