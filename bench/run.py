"""All the benchmarks, one after another, then a summary (what `make bench` runs).

    .venv/bin/python bench/run.py [--quick] [--only render,load,writes] [--wait-quiet N]
    make bench BENCH_ARGS=--quick

Each script prints its own figures as it goes and keeps them in bench/results/
(<name>.txt, <name>.json); the summary at the end is read back from those files. The
targets are information, not a gate: the exit status is non-zero only when a benchmark
could not run.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

SCRIPTS = {"render": "render.py", "load": "load.py", "writes": "writes.py"}


def load_json(name):
    try:
        return json.loads((common.RESULTS / f"{name}.json").read_text())
    except (OSError, ValueError):
        return None


def summary(names, started):
    lines = []
    say = lines.append
    info = common.machine()
    ver = common.versions()
    say("=" * 78)
    say("SUMMARY")
    say(f"machine : {info['nproc']} CPUs, {info['cpu']}, {info['ram']} RAM")
    say(f"software: Python {ver['python']}, Django {ver['django']}, {ver['gunicorn']}")
    say(f"app     : commit {ver['commit']}")

    if "render" in names and (data := load_json("render")) and data.get("started", "") >= started:
        ours, peer = data.get("ours", {}), data.get("peer")
        say(
            f"1. full discussion render ({data.get('database', '')}), "
            f"machine busy before: {data.get('busy_before', 0):.0%}"
        )
        say(
            "   comments | ours queries (caches warm) | ours ms (warm) | peer queries | peer ms "
            "| ratio (uncached)"
        )
        for size, o in ours.get("full", {}).items():
            p = (peer or {}).get("sizes", {}).get(size, {})
            ratio = f"{p['ms'] / o['ms']:.1f}x" if p.get("ms") and o.get("ms") else "—"
            say(
                f"   {int(size):>8,} | {o.get('queries', '?'):>12} "
                f"({o.get('queries_warm_cache', '?')}) "
                f"| {common.fmt(o.get('ms'))} ({common.fmt(o.get('ms_warm_cache'))}) "
                f"| {common.fmt(p.get('queries'))} | {common.fmt(p.get('ms'))} | {ratio}"
            )
    if "load" in names and (data := load_json("load")) and data.get("started", "") >= started:
        r = data.get("results", {})
        ref = r.get("reference_django_16", {}).get("rps")

        def share(key):
            value = r.get(key, {}).get("rps")
            return (
                f"{common.fmt(value)} req/s ({value / ref:.0%} of reference)"
                if value and ref
                else "—"
            )

        say(
            f"2-3, 5. under load ({data.get('database', '')}), machine busy before: "
            f"{data.get('busy_before', 0):.0%}"
        )
        say(f"   reference (Django view, same bytes): {common.fmt(ref)} req/s")
        say(f"   16 comments, anonymous : {share('ours_anon_16')}  target >= 70%")
        say(f"   16 comments, signed-in : {share('ours_signed_16')}  target >= 25%")
        if "nginx_keepalive" in r:
            say(
                f"   nginx cache, keep-alive: {share('nginx_keepalive')}; Connection: close: "
                f"{share('nginx_close')}"
            )
        for key, label in (
            ("ours_paged_5000_p1", "5,000 comments, page 1"),
            ("ours_paged_5000_random", "5,000 comments, random pages"),
        ):
            if key in r:
                say(
                    f"   {label}: p50 {common.fmt(r[key].get('p50'))} ms, "
                    f"p99 {common.fmt(r[key].get('p99'))} ms"
                )
        if "memory" in r:
            for pid, w in r["memory"]["workers"].items():
                say(
                    f"   worker {pid} RSS: {w['start'] / 1024:.1f} -> {w['warm'] / 1024:.1f} -> "
                    f"{w['end'] / 1024:.1f} MiB over {r['memory']['requests']:,} requests"
                )
    if "writes" in names and (data := load_json("writes")) and data.get("started", "") >= started:
        r = data.get("results", {})
        say(
            f"4. writes ({data.get('database', '')}), machine busy before: "
            f"{data.get('busy_before', 0):.0%}"
        )
        say(
            f"   {common.fmt(r.get('comments_per_second'))} comments/s (target >= 150) with "
            f"{r.get('writers')} writers; accepted {r.get('accepted')}, new rows "
            f"{r.get('new_rows')}, missing {len(r.get('missing_ids', []))}; "
            f"check_comment_trees exit {r.get('check_comment_trees', {}).get('exit')}"
        )
    for name in names:
        data = load_json(name)
        if data and data.get("started", "") >= started and data.get("problems"):
            say(f"problems ({name}):")
            for problem in data["problems"]:
                say(f"   - {problem}")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(SCRIPTS))
    parser.add_argument("--wait-quiet", type=int, default=60, metavar="SECONDS")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n in SCRIPTS]
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    failed = []
    for name in names:
        cmd = [
            sys.executable,
            str(common.BENCH / SCRIPTS[name]),
            "--wait-quiet",
            str(args.wait_quiet),
        ]
        if args.quick:
            cmd.append("--quick")
        print(f"\n$ {' '.join(cmd[1:])}", flush=True)
        if subprocess.run(cmd, cwd=common.ROOT).returncode != 0:
            failed.append(name)
    lines = summary(names, started)
    if failed:
        lines.append(f"FAILED to run: {', '.join(failed)}")
    print("\n" + "\n".join(lines))
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    (common.RESULTS / "summary.txt").write_text("\n".join(lines) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
