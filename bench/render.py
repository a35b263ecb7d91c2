"""Bench 1: the whole discussion rendered server side, uncached, ours against the peer.

    .venv/bin/python bench/render.py [--quick] [--sizes 16,1000,5000] [--no-peer]

OUR article page with EVERY comment on it (comments.discussion.THREADS_PER_PAGE raised
past any discussion inside the measuring process, so one page holds all threads) against
the PEER, django-comments-xtd 2.10 in a minimal project (bench/peer/), whose
{% render_xtdcomment_tree %} always draws the whole tree. Both on SQLite, both in-process
through Django's test Client with DEBUG off, the same discussion (bench/shape.py: ~30%
top-level, replies nested up to depth 5, 200 commenters with accounts).

Queries: CaptureQueriesContext on one request. Milliseconds: median of several requests,
timed without query capture. Ours is measured with its cache emptied before every request
(nothing cached: navigation, latest comments, the discussion itself are all built), and,
for information, with the app's caches warm.
Targets: ours <= 10 queries at any size; ours <= 1/20 of the peer's time at 1,000 and 5,000.

Also shown: our page as readers get it (page 1 of 20 threads), same measurements.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

QUERY_TARGET = 10
RATIO_TARGET = 20  # peer time / our time, at 1,000 and 5,000 comments


# ----------------------------------------------------------------- inside our Django


def measure_ours(spec):
    """Runs in a subprocess with the app's environment (see main)."""
    sys.path.insert(0, str(common.ROOT))
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    import comments.discussion as discussion

    paged = discussion.THREADS_PER_PAGE

    def one(url, reps, expected, full):
        discussion.THREADS_PER_PAGE = 10**9 if full else paged
        client = Client()
        # Nothing cached from the other mode: the app may cache the rendered discussion
        # under keys that do not know about THREADS_PER_PAGE.
        cache.clear()
        response = client.get(url)  # warm-up: templates compiled, URLconf loaded
        if response.status_code != 200:
            return {
                "error": f"HTTP {response.status_code}",
                "body": response.content[:2000].decode(errors="replace"),
            }
        shown = len(set(re.findall(rb'id="comment-(\d+)"', response.content)))
        executed = [0]

        def count(execute, sql, params, many, context):
            executed[0] += 1
            return execute(sql, params, many, context)

        cache.clear()
        with connection.execute_wrapper(count), CaptureQueriesContext(connection) as cold:
            client.get(url)
        # Counted now (the next request empties the query log); the wrapper's count holds
        # past the log's 9,000 entries.
        cold_queries = max(executed[0], len(cold))
        sql = [q["sql"][:160] for q in cold.captured_queries] if cold_queries > QUERY_TARGET else []
        executed[0] = 0
        with connection.execute_wrapper(count), CaptureQueriesContext(connection) as warm:
            client.get(url)
        warm_queries = max(executed[0], len(warm))
        times, cpu = [], []
        for _ in range(reps):
            cache.clear()
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        warm_times, warm_cpu = [], []
        for _ in range(reps):
            started, cpu_started = time.perf_counter(), time.process_time()
            client.get(url)
            warm_times.append((time.perf_counter() - started) * 1000)
            warm_cpu.append((time.process_time() - cpu_started) * 1000)
        return {
            "cpu_ms": statistics.median(cpu),
            "cpu_ms_warm_cache": statistics.median(warm_cpu),
            "ms_warm_cache": statistics.median(warm_times),
            "queries": cold_queries,
            "queries_warm_cache": warm_queries,
            "ms": statistics.median(times),
            "ms_all": [round(t, 2) for t in sorted(times)],
            "shown": shown,
            "expected": expected,
            "bytes": len(response.content),
            "sql_when_over_target": sql,
        }

    out = {"full": {}, "paged": {}}
    for size, info in spec["articles"].items():
        out["full"][size] = one(info["url"], info["reps"], info["comments"], full=True)
        out["paged"][size] = one(info["url"], info["reps"], info["comments"], full=False)
        print(
            f"ours {size}: {out['full'][size].get('queries')} queries, "
            f"{out['full'][size].get('ms', 0):.1f} ms",
            file=sys.stderr,
        )
    return out


# ----------------------------------------------------------------- the peer


def ensure_peer_venv(say):
    if common.PEER_PY.exists():
        check = subprocess.run(
            [str(common.PEER_PY), "-c", "import django_comments_xtd"], capture_output=True
        )
        if check.returncode == 0:
            return True
    say("  creating bench/.peer-venv with django-comments-xtd 2.10 ...")
    subprocess.run([sys.executable, "-m", "venv", str(common.PEER_VENV)], check=True)
    result = subprocess.run(
        [
            str(common.PEER_VENV / "bin" / "pip"),
            "install",
            "--quiet",
            "django-comments-xtd==2.10.*",
            "Django>=5.2,<5.3",
        ],
    )
    return result.returncode == 0


def peer_versions():
    out = subprocess.run(
        [
            str(common.PEER_PY),
            "-c",
            "import importlib.metadata as m; print(m.version('django-comments-xtd'), "
            "m.version('Django'), m.version('django-contrib-comments'))",
        ],
        capture_output=True,
        text=True,
    ).stdout.split()
    return out if len(out) == 3 else ["?", "?", "?"]


def measure_peer(sizes, reps, guests):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PEER_DB"] = str(common.VAR / "peer.sqlite3")
    cmd = [
        str(common.PEER_PY),
        str(common.BENCH / "peer" / "measure.py"),
        "--sizes",
        ",".join(map(str, sizes)),
        "--reps",
        ",".join(map(str, reps)),
    ]
    if guests:
        cmd.append("--guests")
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-5000:])
        raise SystemExit("the peer's measurement failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------- orchestration


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--sizes", default="16,1000,5000")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument(
        "--wait-quiet",
        type=int,
        default=60,
        metavar="SECONDS",
        help="wait up to this long for other work on the machine to calm down",
    )
    parser.add_argument(
        "--no-guests",
        action="store_true",
        help="skip the peer variant with comments by unregistered guests",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    def reps_for(size, peer=False):
        if peer:
            return (
                5
                if size <= 100
                else (1 if args.quick else 3)
                if size >= 5000
                else (2 if args.quick else 3)
            )
        return (7 if args.quick else 21) if size <= 100 else (3 if args.quick else 7)

    report = common.Report("render")
    env = common.app_env("sqlite", "render")
    report.header(
        "Bench 1: full discussion render, server side, uncached",
        common.describe_db(env) + "; peer: SQLite too",
        wait_quiet=args.wait_quiet,
    )
    report.say("  seeding our database ...")
    common.prepare_site(env, say=report.say)
    seeded = common.seed(
        env, "articles", {"articles": [{"key": str(size), "comments": size} for size in sizes]}
    )
    for size in sizes:
        info = seeded["articles"][str(size)]
        info["reps"] = reps_for(size)
        report.say(f"  ours {size:>5}: {info['shape']} (seeded in {info['seconds']} s)")
    result = subprocess.run(
        [str(common.PY), __file__, "--ours-worker"],
        input=json.dumps(seeded),
        capture_output=True,
        text=True,
        env=env,
        cwd=common.ROOT,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-5000:])
        raise SystemExit("measuring our page failed")
    ours = json.loads(result.stdout.strip().splitlines()[-1])
    report.data["ours"] = ours

    peer = None
    if not args.no_peer:
        if ensure_peer_venv(report.say):
            xtd, django_version, contrib = peer_versions()
            report.say(
                f"  peer: django-comments-xtd {xtd} (django-contrib-comments {contrib}), "
                f"Django {django_version}; seeding through XtdComment.save() ..."
            )
            started = time.perf_counter()
            peer = measure_peer(
                sizes, [reps_for(s, peer=True) for s in sizes], guests=not args.no_guests
            )
            report.say(f"  peer measured in {time.perf_counter() - started:.0f} s")
            report.data["peer"] = peer
        else:
            report.say("  PEER UNAVAILABLE: could not install django-comments-xtd 2.10")

    report.say("")
    report.say(
        "Full render, uncached (every comment on one page, the cache emptied before every "
        "request); median ms"
    )
    rows = []
    problems = []
    for size in sizes:
        o = ours["full"][str(size)]
        p = peer["sizes"][str(size)] if peer else {}
        if "error" in o:
            rows.append([size, "ERROR", o["error"], p.get("queries"), common.fmt(p.get("ms")), "—"])
            problems.append(f"our page with {size} comments answered {o['error']}")
            continue
        ratio = p["ms"] / o["ms"] if p and o["ms"] else None
        cpu_ratio = p["cpu_ms"] / o["cpu_ms"] if p.get("cpu_ms") and o.get("cpu_ms") else None
        rows.append(
            [
                f"{size:,}",
                o["queries"],
                common.fmt(o["ms"]),
                common.fmt(p.get("queries")) if p else "—",
                common.fmt(p.get("ms")) if p else "—",
                f"{ratio:,.1f}x" if ratio else "—",
                common.fmt(o.get("cpu_ms")),
                common.fmt(p.get("cpu_ms")) if p else "—",
                f"{cpu_ratio:,.1f}x" if cpu_ratio else "—",
            ]
        )
        if o["queries"] > QUERY_TARGET:
            problems.append(
                f"ours: {o['queries']} queries at {size:,} comments uncached "
                f"({o['queries_warm_cache']} with the app's caches warm; target <= {QUERY_TARGET})"
            )
        if o["shown"] != o["expected"]:
            problems.append(f"ours: the full page shows {o['shown']} of {o['expected']} comments")
        if p and p.get("shown") != p.get("expected"):
            problems.append(
                f"peer: the page shows {p.get('shown')} of {p.get('expected')} comments"
            )
        if ratio is not None and size >= 1000 and ratio < RATIO_TARGET:
            problems.append(
                f"ours is only {ratio:.1f}x faster than the peer at {size:,} comments "
                f"(target >= {RATIO_TARGET}x)"
            )
    report.table(
        [
            "comments",
            "ours queries",
            "ours ms",
            "peer queries",
            "peer ms",
            "ratio",
            "ours CPU ms",
            "peer CPU ms",
            "CPU ratio",
        ],
        rows,
    )
    report.say("  ratio = peer ms / our ms. CPU ms: CPU time of the measuring process, which")
    report.say("  depends less on other work on the machine than the wall-clock ms.")

    if peer and not args.no_guests and all("guests" in peer["sizes"][str(s)] for s in sizes):
        report.say("")
        report.say(
            "Peer variant: the same discussions written by guests (no accounts); its "
            "template then skips a permission check per comment"
        )
        rows = []
        for size in sizes:
            g = peer["sizes"][str(size)]["guests"]
            o = ours["full"][str(size)]
            ratio = g["ms"] / o["ms"] if o.get("ms") else None
            rows.append(
                [f"{size:,}", g["queries"], common.fmt(g["ms"]), f"{ratio:,.1f}x" if ratio else "—"]
            )
        report.table(["comments", "peer queries", "peer ms", "peer ms / our ms"], rows)
        report.say("  (the main table compares like with like: our commenters have accounts too)")

    report.say("")
    report.say(
        "Ours, anonymous reader: uncached, and with whatever the app caches warm (navigation,"
    )
    report.say("latest comments, the discussion's rendered HTML where the app keeps it)")
    rows = []
    for mode, label in (("full", "all comments"), ("paged", "page 1 (20 threads)")):
        for size in sizes:
            o = ours[mode][str(size)]
            if "error" in o:
                rows.append([label, f"{size:,}", "ERROR", o["error"], "", "", "", ""])
                continue
            rows.append(
                [
                    label,
                    f"{size:,}",
                    o["queries"],
                    common.fmt(o["ms"]),
                    o["queries_warm_cache"],
                    common.fmt(o["ms_warm_cache"]),
                    o["shown"],
                    f"{o['bytes'] / 1024:,.0f} KiB",
                ]
            )
            if mode == "paged" and o["queries"] > QUERY_TARGET:
                problems.append(f"ours (page 1): {o['queries']} queries at {size:,} comments")
    report.table(
        [
            "page",
            "comments",
            "queries",
            "ms",
            "queries warm",
            "ms warm",
            "comments shown",
            "page size",
        ],
        rows,
    )

    report.say("")
    cold_ok = all(ours["full"][str(s)].get("queries", 999) <= QUERY_TARGET for s in sizes)
    warm_ok = all(
        ours["full"][str(s)].get("queries_warm_cache", 999) <= QUERY_TARGET for s in sizes
    )
    report.say(
        f"Targets: ours <= {QUERY_TARGET} queries at every size: uncached "
        f"{common.verdict(cold_ok)} (caches warm: {common.verdict(warm_ok)})"
    )
    big = [s for s in sizes if s >= 1000]
    if peer and big:
        ok = all(
            "ms" in ours["full"][str(s)]
            and peer["sizes"][str(s)]["ms"] / ours["full"][str(s)]["ms"] >= RATIO_TARGET
            for s in big
        )
        report.say(
            f"         ours <= 1/{RATIO_TARGET} of the peer's time at "
            f"{', '.join(f'{s:,}' for s in big)}, uncached: {common.verdict(ok)}"
        )
    over = [s for s in sizes if ours["full"][str(s)].get("sql_when_over_target")]
    if over:
        size = over[-1]
        report.say(f"  queries of our full page at {size:,} comments, cache empty (over target):")
        for sql in ours["full"][str(size)]["sql_when_over_target"]:
            report.say(f"    {sql}")
    report.data["problems"] = problems
    if problems:
        report.say("Problems:")
        for problem in problems:
            report.say(f"  - {problem}")
    report.save()
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--ours-worker":
        print(json.dumps(measure_ours(json.loads(sys.stdin.read()))))
    else:
        sys.exit(main())
