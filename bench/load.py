"""Benches 2, 3 and 5: the pages under load, through gunicorn (and nginx), and memory.

    .venv/bin/python bench/load.py [--quick] [--only paged,throughput,nginx,memory]
                                   [--db postgres|sqlite] [--seconds 10] [--connections 8]

Our app runs as in production: DEBUG=0, gunicorn with the project's gunicorn.conf.py and
2 sync workers, PostgreSQL and Redis by default (--db sqlite: SQLite and per-process
memory cache). The REFERENCE is bench/reference_app.py under the same gunicorn config: a
minimal Django view returning, from memory, the very bytes our server sent for the page
(and, as a floor, a bare WSGI callable doing the same). wrk drives the load (-t2, 8
connections, 10 s, after a short warm-up); with no wrk, a threaded Python client does.

  paged       (2) p50/p99 latency of the 5,000-comment article as readers get it (page 1,
              and random pages and sorts), against the reference serving page 1.
  throughput  (3) requests/s on the 16-comment article: anonymous and signed-in (a demo
              reader's session), against the reference. Targets: anonymous >= 70%,
              signed-in >= 25% of the reference.
  nginx       (3) the same page through nginx with bench/nginx-proxy-cache.conf, keep-alive
              and Connection: close; checks that signed-in readers bypass the cache.
  memory      (5) VmRSS of each gunicorn worker over 20,000 requests (max_requests=0, so
              workers are never recycled): at start, after a warm-up, at the end.
"""

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

ANON_TARGET = 0.70
SIGNED_TARGET = 0.25
COMMENT_ID = re.compile(rb'id="comment-(\d+)"')


def run_load(url, args, label, headers=(), script=None, env_pages=None, server=None):
    """wrk (or the Python client) for args.seconds after a warm-up. With `server` (a
    common.Gunicorn), also the server's CPU time per request over the measured run."""
    if env_pages is not None:
        os.environ["BENCH_PAGES"] = str(env_pages)
    if common.wrk_available():
        common.wrk(
            url,
            seconds=args.warmup,
            connections=args.connections,
            headers=headers,
            script=script,
            label=f"warm-up {label}",
        )
        cpu_before = common.server_cpu_seconds(server.proc.pid) if server else None
        result = common.wrk(
            url,
            seconds=args.seconds,
            connections=args.connections,
            headers=headers,
            script=script,
            label=label,
        )
        result["tool"] = "wrk"
        return with_cpu(result, server, cpu_before)
    # Fallback: no wrk on this machine.
    port = int(url.split(":")[2].split("/")[0])
    path = "/" + url.split("/", 3)[3]
    hdrs = dict(h.split(": ", 1) for h in headers)
    paths = [path]
    if script is not None and env_pages:
        import random

        sorts = ["newest", "oldest", "replies", "liked"]
        paths = [
            f"{path}?csort={random.choice(sorts)}&cpage={random.randint(1, env_pages)}"
            for _ in range(500)
        ]
    common.python_load(port, paths, seconds=args.warmup, concurrency=args.connections, headers=hdrs)
    cpu_before = common.server_cpu_seconds(server.proc.pid) if server else None
    result = common.python_load(
        port, paths, seconds=args.seconds, concurrency=args.connections, headers=hdrs
    )
    result["non2xx"] = sum(
        n for code, n in result["statuses"].items() if code is None or code >= 400
    )
    result["tool"] = "python"
    return with_cpu(result, server, cpu_before)


def reference_server(env, pages_dir, args, kind):
    """The reference app (bench/reference_app.py) serving the bytes of our pages."""
    return common.Gunicorn(
        {
            **env,
            "BENCH_REFERENCE_MANIFEST": str(pages_dir / "manifest.json"),
            "BENCH_REFERENCE_KIND": kind,
        },
        app="reference_app:application",
        workers=args.workers,
        name=f"gunicorn-reference-{kind}",
        pythonpath=common.BENCH,
    )


def mean_of(runs):
    """One result from several runs of the same load: the mean of each figure."""
    if len(runs) == 1:
        return runs[0]
    merged = dict(runs[-1])
    for name in ("rps", "p50", "p75", "p90", "p99", "server_cpu_ms_per_request"):
        values = [run[name] for run in runs if run.get(name) is not None]
        if values:
            merged[name] = sum(values) / len(values)
    for name in ("requests", "errors", "non2xx"):
        merged[name] = sum(run.get(name) or 0 for run in runs)
    merged["runs"] = [run.get("rps") for run in runs]
    return merged


def with_cpu(result, server, cpu_before):
    if server is not None and cpu_before is not None and result.get("requests"):
        used = common.server_cpu_seconds(server.proc.pid) - cpu_before
        result["server_cpu_ms_per_request"] = used * 1000 / result["requests"]
    return result


def describe(result):
    bad = []
    if result.get("non2xx"):
        bad.append(f"{result['non2xx']} non-2xx/3xx")
    if result.get("errors"):
        bad.append(f"{result['errors']} socket errors {result.get('socket_errors', '')}")
    return ", ".join(bad)


def cookie_header(session=None, csrf=None):
    parts = []
    if session:
        parts.append(f"sessionid={session}")
    if csrf:
        parts.append(f"csrftoken={csrf}")
    return f"Cookie: {'; '.join(parts)}"


def set_cookie_value(headers, name):
    for key, value in headers.items():
        if key.lower() == "set-cookie" and value.startswith(f"{name}="):
            return value.split(";", 1)[0].split("=", 1)[1]
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="5 s runs, 1 s warm-ups, 4,000 requests for memory"
    )
    parser.add_argument("--only", default="paged,throughput,nginx,memory")
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--seconds", type=int, default=None)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-requests", type=int, default=None)
    parser.add_argument(
        "--wait-quiet",
        type=int,
        default=60,
        metavar="SECONDS",
        help="wait up to this long for other work on the machine to calm down",
    )
    args = parser.parse_args(argv)
    args.seconds = args.seconds or (5 if args.quick else 10)
    args.warmup = 1 if args.quick else 2
    memory_requests = args.memory_requests or (4000 if args.quick else 20000)
    only = set(args.only.split(","))

    report = common.Report("load")
    env = common.app_env(args.db, "load")
    report.header(
        "Benches 2, 3, 5: pages under load (gunicorn, nginx) and worker memory",
        common.describe_db(env),
        wait_quiet=args.wait_quiet,
    )
    report.say(
        f"  gunicorn: gunicorn.conf.py, {args.workers} sync workers; load: "
        + (
            f"wrk -t2 -c{args.connections} -d{args.seconds}s"
            if common.wrk_available()
            else f"Python client, {args.connections} threads, {args.seconds} s"
        )
        + f" after a {args.warmup} s warm-up"
    )
    common.prepare_site(env, say=report.say)
    seeded = common.seed(
        env,
        "articles",
        {
            "articles": [{"key": "16", "comments": 16}, {"key": "5000", "comments": 5000}],
            "sessions": ["reader"],
        },
    )
    small = seeded["articles"]["16"]
    big = seeded["articles"]["5000"]
    reader_session = seeded["sessions"]["reader"]
    for key, info in seeded["articles"].items():
        report.say(f"  article {key}: {info['shape']} ({info['url']})")
    threads_5000 = int(re.search(r"(\d+) threads", big["shape"]).group(1))
    pages_5000 = max(1, -(-threads_5000 // 20))
    problems = []
    results = report.data.setdefault("results", {})
    pages_dir = common.RESULTS / "reference"
    pages_dir.mkdir(parents=True, exist_ok=True)

    # ---------------------------------------------------------------- our server
    with common.Gunicorn(env, workers=args.workers, name="gunicorn-load") as server:
        status, headers, body = common.http_get(server.port, small["url"])
        shown = len(set(COMMENT_ID.findall(body)))
        report.say(
            f"  our 16-comment page: HTTP {status}, {len(body):,} bytes, {shown} comments, "
            f"Cache-Control: {headers.get('Cache-Control', '—')}, Vary: {headers.get('Vary', '—')}"
        )
        if status != 200 or shown != 16:
            problems.append(f"the 16-comment page answered {status} with {shown} comments")
        manifest = {}
        (pages_dir / "article-16.html").write_bytes(body)
        manifest[small["url"]] = {
            "file": str(pages_dir / "article-16.html"),
            "content_type": headers.get("Content-Type", "text/html"),
        }
        status, headers, body = common.http_get(server.port, big["url"])
        report.say(
            f"  our 5,000-comment page 1: HTTP {status}, {len(body):,} bytes, "
            f"{len(set(COMMENT_ID.findall(body)))} comments shown"
        )
        (pages_dir / "article-5000.html").write_bytes(body)
        manifest[big["url"]] = {
            "file": str(pages_dir / "article-5000.html"),
            "content_type": headers.get("Content-Type", "text/html"),
        }
        (pages_dir / "manifest.json").write_text(json.dumps(manifest, indent=1))
        # The reference runs beside our server, measured just before and just after our
        # runs: a virtual machine's speed drifts within a minute, and a reference measured
        # only once, afterwards, would carry that drift into every ratio.
        reference = reference_server(env, pages_dir, args, "django")
        with reference.start(ready_path=small["url"]):
            # A signed-in reader's browser holds the session and the CSRF cookie.
            status, headers, body = common.http_get(
                server.port, small["url"], {"Cookie": f"sessionid={reader_session}"}
            )
            csrf = set_cookie_value(headers, "csrftoken")
            signed_ok = status == 200 and b"/accounts/logout/" in body
            report.say(
                f"  signed-in page: HTTP {status}, {'logged in' if signed_ok else 'NOT LOGGED IN'}"
                f", csrftoken cookie {'set' if csrf else 'not set'}"
            )
            if not signed_ok:
                problems.append("the demo reader's session did not give a signed-in page")
            signed_headers = [cookie_header(reader_session, csrf)]

            reference_runs = []

            def measure_reference():
                reference_runs.append(
                    run_load(
                        reference.url + small["url"], args, "reference django 16", server=reference
                    )
                )

            if only & {"throughput", "nginx"}:
                measure_reference()
            if "throughput" in only:
                results["ours_anon_16"] = run_load(
                    server.url + small["url"], args, "ours anon 16", server=server
                )
                results["ours_signed_16"] = run_load(
                    server.url + small["url"],
                    args,
                    "ours signed-in 16",
                    headers=signed_headers,
                    server=server,
                )
                measure_reference()
            if reference_runs:
                results["reference_django_16"] = mean_of(reference_runs)
            if "paged" in only:
                results["ours_paged_5000_p1"] = run_load(
                    server.url + big["url"], args, "ours 5000 page 1", server=server
                )
                results["ours_paged_5000_random"] = run_load(
                    server.url + big["url"],
                    args,
                    "ours 5000 random pages",
                    script=common.BENCH / "paged.lua",
                    env_pages=pages_5000,
                    server=server,
                )
                results["reference_django_5000"] = run_load(
                    reference.url + big["url"], args, "reference django 5000", server=reference
                )

        if "nginx" in only:
            if common.nginx_available():
                with common.Nginx(server.port) as proxy:
                    common.http_get(proxy.port, small["url"])
                    _s, h2, _b = common.http_get(proxy.port, small["url"])
                    anon_cache = h2.get("X-Cache-Status", "—")
                    _s, h3, b3 = common.http_get(
                        proxy.port, small["url"], {"Cookie": f"sessionid={reader_session}"}
                    )
                    signed_cache = h3.get("X-Cache-Status", "—")
                    signed_through = b"/accounts/logout/" in b3
                    report.say(
                        f"  nginx: anonymous repeat X-Cache-Status {anon_cache}; signed-in "
                        f"{signed_cache}, "
                        + ("own page" if signed_through else "GOT A CACHED ANONYMOUS PAGE")
                    )
                    results["nginx_checks"] = {
                        "anonymous": anon_cache,
                        "signed_in": signed_cache,
                        "signed_in_gets_own_page": signed_through,
                    }
                    if anon_cache != "HIT":
                        problems.append(f"nginx did not cache the anonymous page ({anon_cache})")
                    if not signed_through:
                        problems.append("a signed-in reader got a cached page through nginx")
                    url = f"http://127.0.0.1:{proxy.port}{small['url']}"
                    results["nginx_keepalive"] = run_load(url, args, "nginx keep-alive")
                    results["nginx_close"] = run_load(
                        url, args, "nginx close", headers=["Connection: close"]
                    )
                    results["nginx_signed"] = run_load(
                        url, args, "nginx signed-in", headers=signed_headers
                    )
            else:
                report.say(
                    "  nginx not installed: proxy_cache figures skipped (apt-get install -y nginx)"
                )
        for line in server.errors_logged()[:10]:
            problems.append(f"server log: {line[:200]}")

    # ---------------------------------------------------------------- the reference
    if only & {"throughput", "nginx"}:
        with reference_server(env, pages_dir, args, "wsgi").start(ready_path=small["url"]) as ref:
            results["reference_wsgi_16"] = run_load(
                ref.url + small["url"], args, "reference wsgi 16", server=ref
            )

    # ---------------------------------------------------------------- memory
    if "memory" in only:
        memory = measure_memory(
            env, args, small, big, pages_5000, reader_session, csrf, memory_requests, report
        )
        results["memory"] = memory
        problems.extend(memory.pop("problems", []))

    # ---------------------------------------------------------------- report
    report.say("")
    ref16 = results.get("reference_django_16", {}).get("rps")

    def pct(value, reference):
        return f"{value / reference:.0%}" if value and reference else "—"

    if "throughput" in only:
        report.say(
            "Bench 3: requests/s on the 16-comment article, 2 sync workers "
            "(reference: the same bytes from a Django view)"
        )
        ref_cpu = results.get("reference_django_16", {}).get("server_cpu_ms_per_request")
        rows = []
        for key, label, target in (
            ("ours_anon_16", "ours, anonymous", ANON_TARGET),
            ("ours_signed_16", "ours, signed-in reader", SIGNED_TARGET),
            ("reference_wsgi_16", "bare WSGI (floor)", None),
        ):
            r = results.get(key, {})
            cpu = r.get("server_cpu_ms_per_request")
            ok = r.get("rps") and ref16 and r["rps"] / ref16 >= (target or 0)
            rows.append(
                [
                    label,
                    common.fmt(r.get("rps")),
                    common.fmt(ref16),
                    pct(r.get("rps"), ref16),
                    f">= {target:.0%}" if target else "",
                    common.verdict(ok) if target else "",
                    common.fmt(cpu, 2),
                    common.fmt(ref_cpu, 2),
                    pct(ref_cpu, cpu),
                    common.fmt(r.get("p50")),
                    common.fmt(r.get("p99")),
                    describe(r),
                ]
            )
            if target and (r.get("non2xx") or r.get("errors")):
                problems.append(f"{label}: {describe(r)}")
        report.table(
            [
                "",
                "req/s",
                "reference req/s",
                "ratio",
                "target",
                "",
                "CPU ms/req",
                "ref CPU ms/req",
                "CPU ratio",
                "p50 ms",
                "p99 ms",
                "errors",
            ],
            rows,
        )
        runs = results.get("reference_django_16", {}).get("runs")
        if runs:
            report.say(
                "  reference req/s: the mean of its runs just before and just after ours ("
                + " and ".join(common.fmt(rps) for rps in runs)
                + ")"
            )
        report.say(
            "  CPU ms/req: CPU time of the gunicorn master and workers over the run divided "
            "by the requests served;"
        )
        report.say(
            "  CPU ratio = reference CPU/req / ours: the throughput ratio to expect when the "
            "server, not the machine's other work, is the limit."
        )

    if "nginx" in only and "nginx_keepalive" in results:
        report.say("")
        report.say(
            "Bench 3: through nginx proxy_cache (bench/nginx-proxy-cache.conf), 16-comment article"
        )
        rows = []
        for key, label in (
            ("nginx_keepalive", "anonymous, keep-alive"),
            ("nginx_close", "anonymous, Connection: close"),
            ("nginx_signed", "signed-in (bypasses the cache)"),
        ):
            r = results[key]
            rows.append(
                [
                    label,
                    common.fmt(r.get("rps")),
                    common.fmt(ref16),
                    pct(r.get("rps"), ref16),
                    common.fmt(r.get("p50")),
                    common.fmt(r.get("p99")),
                    describe(r),
                ]
            )
            if r.get("non2xx") or r.get("errors"):
                problems.append(f"nginx {label}: {describe(r)}")
        report.table(["", "req/s", "reference req/s", "ratio", "p50 ms", "p99 ms", "errors"], rows)

    if "paged" in only:
        report.say("")
        report.say(
            f"Bench 2: the 5,000-comment article as readers get it (20 threads a page, "
            f"{pages_5000} pages), latency under load"
        )
        ref = results.get("reference_django_5000", {})
        rows = []
        for key, label in (
            ("ours_paged_5000_p1", "ours, page 1"),
            ("ours_paged_5000_random", "ours, random page and sort"),
        ):
            r = results[key]
            rows.append(
                [
                    label,
                    common.fmt(r.get("p50")),
                    common.fmt(r.get("p99")),
                    common.fmt(r.get("rps")),
                    common.fmt(r.get("server_cpu_ms_per_request"), 2),
                    common.fmt(ref.get("p50")),
                    common.fmt(ref.get("p99")),
                    common.fmt(ref.get("rps")),
                    describe(r),
                ]
            )
            if r.get("non2xx") or r.get("errors"):
                problems.append(f"5,000 comments, {label}: {describe(r)}")
        report.table(
            [
                "",
                "p50 ms",
                "p99 ms",
                "req/s",
                "CPU ms/req",
                "ref p50",
                "ref p99",
                "ref req/s",
                "errors",
            ],
            rows,
        )
        report.say("  (reference: a Django view sending the bytes of our page 1 from memory)")

    if "memory" in only:
        m = results["memory"]
        report.say("")
        report.say(
            f"Bench 5: gunicorn worker memory (VmRSS) over {m['requests']:,} requests, "
            f"max_requests=0 (mixed: 16-comment page anonymous and signed-in, "
            f"5,000-comment pages, home)"
        )
        rows = []
        for pid, w in m["workers"].items():
            rows.append(
                [
                    pid,
                    f"{w['start'] / 1024:.1f}",
                    f"{w['warm'] / 1024:.1f}",
                    f"{w['end'] / 1024:.1f}",
                    f"{(w['end'] - w['warm']) / 1024:+.1f}",
                    f"{(w['end'] - w['start']) / 1024:+.1f}",
                ]
            )
        report.table(
            [
                "worker pid",
                "start MiB",
                f"after {m['warmup']:,} MiB",
                "end MiB",
                "growth after warm-up",
                "growth from start",
            ],
            rows,
        )
        report.say(f"  {m['rps']:.1f} req/s, statuses {m['statuses']}")

    report.data["problems"] = problems
    if problems:
        report.say("Problems:")
        for problem in problems:
            report.say(f"  - {problem}")
    report.say(f"load average at the end: {common.machine()['loadavg']}")
    report.save()
    return 0


def measure_memory(env, args, small, big, pages_5000, session, csrf, total, report):
    warmup = min(1000, total // 10)
    problems = []
    server = common.Gunicorn(
        env,
        workers=args.workers,
        name="gunicorn-memory",
        GUNICORN_MAX_REQUESTS=0,
        GUNICORN_MAX_REQUESTS_JITTER=0,
    )
    with server.start(ready_path=small["url"]):
        time.sleep(1)
        pids = server.worker_pids()
        start = {pid: common.rss_kib(pid) for pid in pids}
        signed = {"Cookie": f"sessionid={session}" + (f"; csrftoken={csrf}" if csrf else "")}
        sorts = ["newest", "oldest", "replies", "liked"]
        # A mix of ten: 4 anonymous 16-comment pages, 3 signed-in, 2 pages of the
        # 5,000-comment discussion (page and sort varying), 1 home page.
        mix = []
        for n in range(400):
            mix += (
                [small["url"]] * 4
                + [(small["url"], signed)] * 3
                + [
                    f"{big['url']}?csort={sorts[n % 4]}&cpage={1 + (n * 7) % pages_5000}",
                    f"{big['url']}?csort={sorts[(n + 1) % 4]}&cpage={1 + (n * 13) % pages_5000}",
                    "/",
                ]
            )
        report.say(f"  memory: warm-up {warmup:,} requests, then {total - warmup:,} more ...")
        first = common.python_load(server.port, mix, total=warmup, concurrency=args.connections)
        warm = {pid: common.rss_kib(pid) for pid in pids}
        started = time.perf_counter()
        rest = common.python_load(
            server.port, mix, total=total - warmup, concurrency=args.connections
        )
        elapsed = time.perf_counter() - started
        end = {pid: common.rss_kib(pid) for pid in pids}
        now = server.worker_pids()
        if now != pids:
            problems.append(f"gunicorn workers changed during the memory run: {pids} -> {now}")
        statuses = {}
        for result in (first, rest):
            for code, n in result["statuses"].items():
                statuses[str(code)] = statuses.get(str(code), 0) + n
        bad = {c: n for c, n in statuses.items() if c == "None" or int(c) >= 400}
        if bad:
            problems.append(f"memory run: error statuses {bad}")
        for line in server.errors_logged()[:10]:
            problems.append(f"server log: {line[:200]}")
    return {
        "requests": first["requests"] + rest["requests"],
        "warmup": warmup,
        "rps": rest["requests"] / elapsed,
        "statuses": statuses,
        "workers": {
            str(pid): {"start": start[pid], "warm": warm[pid], "end": end.get(pid, 0)}
            for pid in pids
        },
        "problems": problems,
    }


if __name__ == "__main__":
    sys.exit(main())
