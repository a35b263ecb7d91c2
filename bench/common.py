"""Shared machinery of the benchmarks: the environment the app runs with, dedicated
databases, seeding, gunicorn and nginx processes, load generators, and the report.

Runs under the project's virtualenv (.venv/bin/python) but never imports the app itself:
everything that needs Django runs in a subprocess with the bench environment, so a script
measures the app as it is on disk when it runs.
"""

import contextlib
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
LOGS = RESULTS / "logs"
VAR = ROOT / "var" / "bench"  # databases, static files, media of the benchmarks only
VENV_BIN = ROOT / ".venv" / "bin"
PY = VENV_BIN / "python"
GUNICORN = VENV_BIN / "gunicorn"
PEER_VENV = BENCH / ".peer-venv"
PEER_PY = PEER_VENV / "bin" / "python"

PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("BENCH_PG_PORT", "5432")
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
PG_DB = os.environ.get("BENCH_PG_DB", "newsportal_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")

# A fixed key: sessions made by the seeding process must be valid in gunicorn's workers.
SECRET_KEY = "bench-only-not-a-secret-" + "k3y" * 16

# Settings variables of ours that must not leak from the caller's shell into a bench run.
_APP_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CACHE_KEY_PREFIX",
    "CONN_MAX_AGE",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "VAR_DIR",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "WEB_CONCURRENCY",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_MAX_REQUESTS_JITTER",
    "GUNICORN_ACCESSLOG",
    "BIND",
    "HOST",
    "PORT",
    "RATE_LIMITS_ENABLED",
)


# --------------------------------------------------------------------------- environment


def app_env(db="sqlite", name="bench", **extra):
    """The environment our app runs with in a benchmark: production mode (DEBUG=0) over
    plain HTTP on 127.0.0.1, a dedicated database, its own static and media directories.

    db="sqlite": var/bench/<name>.sqlite3 and the per-process memory cache;
    db="postgres": PostgreSQL database PG_DB and Redis (db 14, own key prefix), as in
    production."""
    env = {k: v for k, v in os.environ.items() if k not in _APP_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="newsportal.settings",
        DEBUG="0",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        VAR_DIR=str(VAR),
        STATIC_ROOT=str(VAR / "static"),
        MEDIA_ROOT=str(VAR / "media"),
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if db == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{VAR / (name + '.sqlite3')}"
    elif db == "postgres":
        env["DATABASE_URL"] = f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB}"
        env["REDIS_URL"] = REDIS_URL
        env["CACHE_KEY_PREFIX"] = f"bench-{name}"
    else:
        raise ValueError(f"unknown database {db!r}")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def describe_db(env):
    url = env["DATABASE_URL"]
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version} ({url.split(':///', 1)[1]}), local-memory cache"
    version = run_out(
        ["psql", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-tAc", "SHOW server_version"]
    ).strip()
    return (
        f"PostgreSQL {version.split()[0] if version else '?'} ({PG_DB}), Redis cache ({REDIS_URL})"
    )


def run_out(cmd, **kwargs):
    try:
        return subprocess.run(
            cmd, capture_output=True, text=True, check=False, timeout=30, **kwargs
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


# --------------------------------------------------------------------------- database


def reset_database(env):
    """A fresh, empty bench database (never var/db.sqlite3 or another engineer's)."""
    url = env["DATABASE_URL"]
    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])
        assert path.parent == VAR, path  # only ever under var/bench/
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        VAR.mkdir(parents=True, exist_ok=True)
        return
    base = ["-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER]
    subprocess.run(["dropdb", *base, "--if-exists", "--force", PG_DB], check=True)
    subprocess.run(["createdb", *base, PG_DB], check=True)
    if env.get("REDIS_URL"):
        clear_redis_prefix(env)


def clear_redis_prefix(env):
    """Drop this bench's cache keys (its own prefix) so a run starts cold."""
    try:
        import redis  # the project's dependency
    except ImportError:
        return
    client = redis.Redis.from_url(env["REDIS_URL"])
    keys = list(client.scan_iter(match=f"{env['CACHE_KEY_PREFIX']}:*", count=1000))
    if keys:
        client.delete(*keys)


def manage(env, *args, log=None, check=True):
    """python manage.py ... with the bench environment; output to the log file."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log = log or LOGS / "manage.log"
    with open(log, "a") as out:
        out.write(f"\n$ manage.py {' '.join(args)}\n")
        out.flush()
        result = subprocess.run(
            [str(PY), "manage.py", *args], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    if check and result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed ({result.returncode}); see {log}")
    return result.returncode


def prepare_site(env, say=print):
    """Migrate a fresh database, load the demo newsroom, collect static files."""
    started = time.perf_counter()
    reset_database(env)
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo", "--site-domain", "127.0.0.1")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    elapsed = time.perf_counter() - started
    say(f"  database ready (migrate + load_demo + collectstatic) in {elapsed:.1f} s")


def seed(env, command, spec=None):
    """Run bench/seed.py COMMAND in the app's environment; it answers one JSON line."""
    result = subprocess.run(
        [str(PY), str(BENCH / "seed.py"), command],
        cwd=ROOT,
        env=env,
        input=json.dumps(spec or {}),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-5000:])
        raise SystemExit(f"bench/seed.py {command} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- processes


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(port, path, headers=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def wait_for(port, path="/", timeout=60, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"server exited with status {proc.returncode} before answering")
        try:
            status, _headers, _body = http_get(port, path, timeout=10)
            if status < 500:
                return status
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"nothing answered on port {port} in {timeout} s")


class Gunicorn:
    """gunicorn with the project's own gunicorn.conf.py, on a free port."""

    def __init__(
        self, env, app="newsportal.wsgi", workers=2, name="gunicorn", pythonpath=None, **extra_env
    ):
        self.port = free_port()
        self.env = dict(env)
        self.env.update(HOST="127.0.0.1", PORT=str(self.port))
        if workers is not None:
            self.env["WEB_CONCURRENCY"] = str(workers)
        self.env.update({k: str(v) for k, v in extra_env.items()})
        self.app = app
        self.name = name
        self.pythonpath = pythonpath
        self.proc = None
        self.log = LOGS / f"{name}.log"

    def __enter__(self):
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self, ready_path="/"):
        LOGS.mkdir(parents=True, exist_ok=True)
        cmd = [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py")]
        if self.pythonpath:
            cmd += ["--pythonpath", str(self.pythonpath)]
        cmd.append(self.app)
        self._out = open(self.log, "w")  # noqa: SIM115 - the server's log while it runs
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=self.env, stdout=self._out, stderr=subprocess.STDOUT
        )
        wait_for(self.port, ready_path, proc=self.proc)
        return self

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self):
        return children_of(self.proc.pid)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._out.close()

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def errors_logged(self):
        """Tracebacks and error lines in the server log (5xx answers leave them)."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return []
        return [
            line
            for line in text.splitlines()
            if "Traceback" in line
            or " ERROR " in line
            or "[CRITICAL]" in line
            or "WORKER TIMEOUT" in line
        ]


def children_of(pid):
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces, so split after the last ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            kids.append(int(entry.name))
    return sorted(kids)


def _stat_fields(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()


def server_cpu_seconds(master_pid):
    """CPU time used so far by a gunicorn master and its workers, those alive and those
    already reaped (their time is in the master's cutime/cstime), so the difference over
    a run is exact even when workers are recycled in between."""
    tick = os.sysconf("SC_CLK_TCK")
    fields = _stat_fields(master_pid)
    if fields is None:
        return None
    # After ")": state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    total = sum(int(fields[i]) for i in (11, 12, 13, 14))
    for pid in children_of(master_pid):
        child = _stat_fields(pid)
        if child is not None:
            total += int(child[11]) + int(child[12])
    return total / tick


def db_backend_cpu_seconds(dbname):
    """CPU time of the PostgreSQL backends connected to dbname (their process titles name
    the database). Approximate: a backend that exits takes its time with it."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    needle = f" {dbname} ".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(b"postgres:") and needle in cmdline:
            fields = _stat_fields(entry.name)
            if fields is not None:
                total += int(fields[11]) + int(fields[12])
    return total / tick


def cpu_busy(seconds=2.0):
    """Share of the machine's CPU time that was busy over `seconds` (all processes)."""

    def sample():
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values), idle

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


def wait_until_quiet(say, max_wait, threshold=0.25):
    """Before measuring: how busy the machine is with other work; wait up to max_wait
    seconds for it to calm down below threshold. Returns the busy share measured last."""
    busy = cpu_busy()
    waited = 0
    while busy > threshold and waited < max_wait:
        time.sleep(10)
        waited += 12
        busy = cpu_busy()
    note = f" after waiting {waited} s" if waited else ""
    say(
        f"other work on the machine{note}: {busy:.0%} of all CPUs busy before starting"
        + ("  (BUSY: figures below are depressed by other processes)" if busy > threshold else "")
    )
    return busy


def rss_kib(pid):
    """VmRSS of a process in KiB (0 if it is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# --------------------------------------------------------------------------- nginx


def nginx_available():
    return shutil.which("nginx") is not None


class Nginx:
    """nginx in the foreground with bench/nginx.conf (placeholders filled in)."""

    def __init__(self, upstream_port, name="nginx"):
        self.port = free_port()
        self.upstream_port = upstream_port
        self.prefix = RESULTS / name
        self.proc = None

    def __enter__(self):
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        shutil.rmtree(self.prefix, ignore_errors=True)
        (self.prefix / "cache").mkdir(parents=True)
        (self.prefix / "temp").mkdir()
        # nginx's workers drop to an unprivileged user when started as root.
        user_line = ""
        if os.geteuid() == 0:
            user_line = "user root;"  # the bench's own throwaway directories only
        template = (BENCH / "nginx.conf").read_text()
        conf = (
            template.replace("@USER@", user_line)
            .replace("@PREFIX@", str(self.prefix))
            .replace("@PORT@", str(self.port))
            .replace("@UPSTREAM@", f"127.0.0.1:{self.upstream_port}")
            .replace("@BENCH@", str(BENCH))
        )
        path = self.prefix / "nginx.conf"
        path.write_text(conf)
        LOGS.mkdir(parents=True, exist_ok=True)
        self._out = open(LOGS / "nginx.log", "w")  # noqa: SIM115 - open while nginx runs
        self.proc = subprocess.Popen(
            ["nginx", "-p", str(self.prefix), "-c", str(path), "-g", "daemon off;"],
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        wait_for(self.port, "/", proc=self.proc)
        return self

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGQUIT)  # graceful
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._out.close()


# --------------------------------------------------------------------------- load


BROWSER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


def wrk_available():
    return shutil.which("wrk") is not None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(match.group(1)) * _UNITS[match.group(2)] if match else None


def wrk(url, seconds=10, connections=8, threads=2, headers=(), script=None, label=""):
    """wrk --latency; returns requests/s, latency percentiles (ms), errors, non-2xx/3xx."""
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    # A reader's browser names itself: its views are counted, as every real reader's are
    # (articles.popularity does not count clients without a User-Agent).
    for header in [f"User-Agent: {BROWSER_AGENT}", *headers]:
        cmd += ["-H", header]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / "wrk.log", "a") as log:
        log.write(f"\n### {label}\n$ {' '.join(cmd)}\n{out}")
    result = {"cmd": " ".join(cmd), "rps": None, "requests": 0, "errors": 0, "non2xx": 0}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", out):
        result["rps"] = float(m.group(1))
    if m := re.search(r"(\d+) requests in", out):
        result["requests"] = int(m.group(1))
    for pct in ("50", "75", "90", "99"):
        if m := re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M):
            result[f"p{pct}"] = _ms(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        result["socket_errors"] = dict(
            zip(("connect", "read", "write", "timeout"), map(int, m.groups()), strict=True)
        )
        result["errors"] = sum(result["socket_errors"].values())
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        result["non2xx"] = int(m.group(1))
    if result["rps"] is None:
        result["raw"] = out
    return result


def python_load(port, paths, total=None, seconds=None, concurrency=8, headers=None, keepalive=True):
    """A small threaded load generator (http.client) for when wrk cannot do the job:
    an exact number of requests, or Python-side bookkeeping per request.

    paths: a list cycled through, or a callable(worker_index, n) -> path; a path may be a
    (path, {extra headers}) pair.
    Returns {"requests", "seconds", "rps", "statuses": {code: n}, "errors", "p50", "p99"}.
    """
    lock = threading.Lock()
    counter = {"n": 0}
    statuses = {}
    latencies = []
    errors = []
    deadline = None if seconds is None else time.monotonic() + seconds

    def next_index():
        with lock:
            if total is not None and counter["n"] >= total:
                return None
            counter["n"] += 1
            return counter["n"] - 1

    def worker(index):
        conn = None
        local_lat = []
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                break
            n = next_index()
            if n is None:
                break
            path = paths(index, n) if callable(paths) else paths[n % len(paths)]
            request_headers = {"User-Agent": BROWSER_AGENT, **(headers or {})}
            if isinstance(path, tuple):  # (path, extra headers)
                path, extra = path
                request_headers = {**request_headers, **extra}
            started = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", path, headers=request_headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if not keepalive or response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as error:
                status = None
                with lock:
                    errors.append(repr(error))
                if conn is not None:
                    conn.close()
                conn = None
            local_lat.append(time.perf_counter() - started)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
        if conn is not None:
            conn.close()
        with lock:
            latencies.extend(local_lat)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    done = len(latencies)
    return {
        "requests": done,
        "seconds": elapsed,
        "rps": done / elapsed if elapsed else 0,
        "statuses": statuses,
        "errors": len(errors),
        "error_samples": errors[:3],
        "p50": latencies[done // 2] * 1000 if done else None,
        "p99": latencies[min(done - 1, int(done * 0.99))] * 1000 if done else None,
    }


def median(values):
    return statistics.median(values) if values else None


# --------------------------------------------------------------------------- report


def machine():
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    nproc = run_out(["nproc"]).strip() or str(os.cpu_count())
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return {"nproc": nproc, "cpu": cpu, "ram": mem, "loadavg": load, "kernel": platform.release()}


def versions():
    django = run_out([str(PY), "-c", "import django; print(django.get_version())"]).strip()
    gunicorn = run_out([str(GUNICORN), "--version"]).strip()
    wrk_version = ""
    if wrk_available():
        wrk_version = run_out(["wrk", "-v"]).splitlines()[0:1]
        wrk_version = wrk_version[0].split(" Copyright")[0] if wrk_version else ""
    nginx_version = ""
    if nginx_available():
        nginx_version = subprocess.run(
            ["nginx", "-v"], capture_output=True, text=True, check=False
        ).stderr.strip()
    commit = run_out(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]).strip()
    dirty = [
        line
        for line in run_out(["git", "-C", str(ROOT), "status", "--porcelain"]).splitlines()
        if not line[3:].startswith("bench/") and line[3:] != "bench"
    ]
    return {
        "python": platform.python_version(),
        "django": django,
        "gunicorn": gunicorn,
        "wrk": wrk_version,
        "nginx": nginx_version,
        "commit": commit
        + (f" + {len(dirty)} uncommitted paths (app being edited)" if dirty else ""),
    }


class Report:
    """Prints and keeps what it printed: bench/results/<name>.txt and <name>.json."""

    def __init__(self, name, argv=None):
        self.name = name
        self.lines = []
        self.data = {
            "name": name,
            "started": datetime.datetime.now().isoformat(timespec="seconds"),
            "argv": argv if argv is not None else sys.argv[1:],
        }
        RESULTS.mkdir(parents=True, exist_ok=True)

    def say(self, text=""):
        print(text, flush=True)
        self.lines.append(text)

    def header(self, title, db_description, wait_quiet=0):
        info = machine()
        ver = versions()
        self.data["machine"] = info
        self.data["versions"] = ver
        self.data["database"] = db_description
        self.say(f"== {title}")
        self.say(
            f"machine : {info['nproc']} CPUs, {info['cpu']}, {info['ram']} RAM, "
            f"load average {info['loadavg']}, Linux {info['kernel']}"
        )
        self.say(
            f"software: Python {ver['python']}, Django {ver['django']}, {ver['gunicorn']}"
            + (f", {ver['wrk']}" if ver["wrk"] else "")
            + (f", {ver['nginx']}" if ver["nginx"] else "")
        )
        self.say(f"app     : commit {ver['commit']}")
        self.say(f"database: {db_description}")
        self.data["busy_before"] = wait_until_quiet(self.say, wait_quiet)

    def table(self, headers, rows):
        cells = [[str(h) for h in headers]] + [
            ["" if c is None else str(c) for c in r] for r in rows
        ]
        widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
        for index, row in enumerate(cells):
            self.say("  " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
            if index == 0:
                self.say("  " + "-+-".join("-" * w for w in widths))

    def save(self):
        self.data["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
        (RESULTS / f"{self.name}.txt").write_text("\n".join(self.lines) + "\n")
        (RESULTS / f"{self.name}.json").write_text(json.dumps(self.data, indent=2, default=str))


def fmt(value, digits=1):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def verdict(ok):
    return "meets target" if ok else "BELOW TARGET"
