"""Trust under load: two app servers on one PostgreSQL and one Redis, readers and writers
at once, then checks that nothing was lost, doubled, half-written or shown stale; then the
same under faults (Redis stopped or hung, PostgreSQL backends killed, PostgreSQL restarted).

    .venv/bin/python bench/trust.py [--quick] [--seconds N] [--threads 16] [--workers N]
                                    [--skip-faults] [--faults redis,kill,pg]
                                    [--redis-stop save|nosave] [--wait-quiet S]

Not a benchmark with targets: every check prints PASS or FAIL (a few INFO) and the exit
status is 1 when any check failed, including a run that could not be set up.

1. Setup. PostgreSQL database `newsportal_trust` (dropped and created again), Redis db 13
   under its own key prefix, production mode as bench/common.py's app_env (DEBUG=0, fixed
   bench SECRET_KEY, plain HTTP on 127.0.0.1), migrate, load_demo, collectstatic into
   var/bench/trust/, 40 reader accounts (a month old) with sessions made by Django's own
   login, plus a few accounts for the single checks. Two gunicorn instances (A and B) with
   the project's gunicorn.conf.py on two free ports, same environment, 3 sync workers each
   with 4+ CPUs, else 2 (--workers).
2. Mixed load (RATE_LIMITS_ENABLED=0) for --seconds (20; --quick 8) from --threads threads
   (16): 3/8 readers GET the article pages (half anonymous, half signed in), the rest write:
   comments and replies (30% new threads) with unique bodies and submission tokens,
   reactions, likes and dislikes; every thread alternates A and B request by request. After
   some new threads the writer follows the comment's permalink on the *other* server,
   anonymously, and looks for the text. Then: every 201 stored exactly once, no other row,
   `manage.py check_comment_trees` exits 0, reaction counters equal the reaction rows,
   comment like/dislike counters equal the vote rows, no 5xx, no errors in the servers' logs.
3. Two servers agree (a second pair, RATE_LIMITS_ENABLED=1): a comment posted through A is
   on B's next page (anonymous, page cached before the post; and signed in); the demo
   moderator (logged in through B's login form) hides it through B: gone from A and B,
   anonymous and signed in; its author still sees it. Rate limits count across both: an
   account a month old posts burst+1 comments alternating A and B, a new account too; the
   last one is 429 and the database holds exactly the accepted ones.
4. Faults (--skip-faults: none; --faults picks; all three by default, --quick included).
   They run on Redis and PostgreSQL instances this script starts for itself, or on its own
   database only, never by stopping the machine's shared servers (other sessions' tests
   and benchmarks use those while this runs):
   redis: a private redis-server; a pair with limits on is pointed at it, then it is shut
          down (SHUTDOWN SAVE by default, as a Redis with snapshots stops; --redis-stop
          nosave): pages still 200 on both servers, readers and writers still served,
          a signed-in comment, a reaction, a vote, a login and a moderator's hide succeed,
          the logs say "cache unavailable" and "rate limits are off"; started again: pages
          fine, and whether what was written during the outage (a comment, a hide) shows at
          once or only once what was cached before it expires (measured). Then the Redis
          process is frozen (SIGSTOP) for a few requests: how long pages take.
   kill:  pg_terminate_backend on every backend of newsportal_trust (that database only):
          idle persistent connections with no load (the next requests must all succeed:
          connection health checks), then three times under load (in-flight requests fail
          cleanly, later ones succeed; failed comment POSTs are sent again with the same
          submission token), then a comment transaction held at its COMMIT (its author's
          row locked by this script) and killed there: nothing of it remains.
   pg:    a private PostgreSQL cluster (initdb under /tmp as the postgres user, its own
          port; a copy of newsportal_trust) restarted (pg_ctl restart -m fast) under load:
          failures are clean HTTP answers, every request succeeds again within 5 s, nothing
          half-written or doubled.
5. A summary table of every check.

Logs: bench/results/logs/trust-*.log; what is printed is also in bench/results/trust.txt
and trust.json.
"""

import argparse
import collections
import contextlib
import http.client
import itertools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import psycopg

DB_NAME = "newsportal_trust"
REDIS_DB = 13
PREFIX = "bench-trust"
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
KINDS = ("like", "laugh", "wow", "sad", "angry")
NEW_THREAD_SHARE = 0.3
PROBE_SHARE = 0.2  # of accepted new threads: followed on the other server
LOAD_ACCOUNTS = 40
SENTENCES = (
    "Спасибо за материал, читать было интересно.",
    "Хотелось бы узнать подробности о сроках.",
    "А что думают об этом жители района?",
    "Согласен с предыдущим комментарием.",
    "Интересно, как это повлияет на цены.",
    "Надеюсь, редакция продолжит следить за темой.",
    "Материал подробный, но хотелось бы больше цифр.",
)
LOGS = common.LOGS
MANAGE_LOG = LOGS / "trust-manage.log"

RUN = f"{random.Random().randrange(1000, 9999)}"
MARKER_RE = re.compile(re.escape(f"№{RUN}-") + r"(\d{6})")
_seq = itertools.count(1)
_seq_lock = threading.Lock()


def next_marker():
    with _seq_lock:
        return f"№{RUN}-{next(_seq):06d}"


# --------------------------------------------------------------------------- checks

CHECKS = []  # (phase, name, ok: True/False/None for information, detail)
report = None


def say(text=""):
    report.say(text)


THREAD_CRASHES = []


def _thread_crashed(hook_args):
    """A client thread that dies is a fault of this script: counted, shown, and a FAIL."""
    THREAD_CRASHES.append(
        f"{hook_args.thread.name}: {hook_args.exc_type.__name__}: {hook_args.exc_value}"
    )
    sys.__stderr__.write(f"client thread crashed: {THREAD_CRASHES[-1]}\n")


threading.excepthook = _thread_crashed


def check(phase, name, ok, detail=""):
    CHECKS.append((phase, name, ok, detail))
    label = "INFO" if ok is None else ("PASS" if ok else "FAIL")
    say(f"  [{label}] {name}" + (f": {detail}" if detail else ""))
    return ok


# --------------------------------------------------------------------------- HTTP


class Answer:
    __slots__ = ("body", "cookies", "error", "headers", "seconds", "status")

    def __init__(self, status, headers, body, seconds, error=None):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.cookies = {}
        for key, value in headers:
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        self.body = body
        self.seconds = seconds
        self.error = error

    def has(self, text):
        return text.encode() in self.body

    @property
    def cache_hit(self):
        return self.headers.get("x-page-cache") == "hit"

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return {}


def request(port, method, path, headers=None, body=None, timeout=40):
    all_headers = {"User-Agent": UA, **(headers or {})}
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        content = response.read()
        return Answer(
            response.status, response.getheaders(), content, time.perf_counter() - started
        )
    except (OSError, http.client.HTTPException) as error:
        return Answer(None, [], b"", time.perf_counter() - started, repr(error))
    finally:
        conn.close()


def without_fragment(url):
    return url.split("#", 1)[0]


# --------------------------------------------------------------------------- processes


def start_pair(env, label, workers, **extra_env):
    """Two gunicorn instances, A and B, with the same environment on two free ports."""
    pair = []
    try:
        for letter in "ab":
            server = common.Gunicorn(
                env, workers=workers, name=f"trust-{label}-{letter}", **extra_env
            )
            server.start()
            pair.append(server)
    except BaseException:
        stop_pair(pair)
        raise
    return pair


def stop_pair(pair):
    for server in pair:
        with contextlib.suppress(Exception):
            server.stop()


def log_text(server):
    try:
        return server.log.read_text(errors="replace")
    except OSError:
        return ""


class PrivateRedis:
    """A redis-server of our own on a free port, to stop and start without touching the
    machine's Redis. Snapshots only when told (SHUTDOWN SAVE), loaded again on start."""

    def __init__(self):
        self.port = common.free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="trust-redis-"))
        self.proc = None
        self.log = LOGS / "trust-redis.log"

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/{REDIS_DB}"

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def start(self):
        LOGS.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "a")  # noqa: SIM115 - redis-server's output while it runs
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--dbfilename",
                "trust.rdb",
                "--daemonize",
                "no",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if self.client().ping():
                    return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited ({self.proc.returncode}); see {self.log}")
            time.sleep(0.1)
        raise RuntimeError("the private redis-server did not answer")

    def shutdown(self, save=True):
        if self.proc is None or self.proc.poll() is not None:
            return
        # redis-cli, not redis-py: the latter retries a command whose connection closed.
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "save" if save else "nosave"],
            capture_output=True,
            timeout=15,
            check=False,
        )
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def pg_bin():
    versions = (
        sorted(
            (
                p.name
                for p in Path("/etc/postgresql").iterdir()
                if p.name.replace(".", "").isdigit()
            ),
            key=lambda v: float(v),
        )
        if Path("/etc/postgresql").is_dir()
        else []
    )
    for version in reversed(versions):
        path = Path(f"/usr/lib/postgresql/{version}/bin")
        if (path / "pg_ctl").exists():
            return path
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    raise RuntimeError("no PostgreSQL server binaries (pg_ctl) found")


class PrivateCluster:
    """A throwaway PostgreSQL cluster (initdb under /tmp, its own port and socket
    directory), run as the postgres user when we are root. Restarting it disturbs nobody."""

    def __init__(self):
        self.bin = pg_bin()
        self.port = common.free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="trust-pg-"))
        self.data = self.dir / "data"
        self.logfile = LOGS / "trust-postgres.log"
        self.running = False
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            LOGS.mkdir(parents=True, exist_ok=True)
            self.logfile.touch()
            shutil.chown(self.logfile, "postgres", "postgres")

    def _run(self, *args, timeout=120):
        cmd = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stdout}{result.stderr}")
        return result

    def _options(self):
        return (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=50"
        )

    def init(self):
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        return self

    def start(self):
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.logfile),
            "-o",
            self._options(),
            "-w",
            "-t",
            "60",
            "start",
        )
        self.running = True
        return self

    def restart(self):
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.logfile),
            "-o",
            self._options(),
            "-m",
            "fast",
            "-w",
            "-t",
            "60",
            "restart",
        )

    def close(self):
        if self.running:
            with contextlib.suppress(Exception):
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
            self.running = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def conninfo(self, dbname):
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"


# --------------------------------------------------------------------------- the app's side


SETUP_CODE = r"""
import json, os
import django
django.setup()
from datetime import timedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from articles.models import Article

spec = json.loads(os.environ["TRUST_SPEC"])
User = get_user_model()
old = timezone.now() - timedelta(days=30)
out = {"accounts": {}, "articles": []}
for name, age in spec["accounts"]:
    user = User.objects.filter(username=name).first() or User.objects.create_user(
        username=name, email=f"{name}@example.com", password=None
    )
    if age == "old":
        User.objects.filter(pk=user.pk).update(date_joined=old)
    client = Client()
    client.force_login(user)
    out["accounts"][name] = {"pk": user.pk, "session": client.cookies["sessionid"].value}
articles = (
    Article.objects.published()
    .filter(comments_enabled=True, premoderate=False)
    .order_by("-published_at", "-pk")[: spec["articles"]]
)
for article in articles:
    out["articles"].append({"pk": article.pk, "url": article.get_absolute_url()})
out["limits"] = {
    "enabled_default": settings.RATE_LIMITS_ENABLED,
    "comment": settings.RATE_LIMITS.get("comment", {}),
    "new_account_hours": settings.RATE_LIMIT_NEW_ACCOUNT_HOURS,
    "page_cache_seconds": getattr(settings, "PAGE_CACHE_SECONDS", 0),
}
print("TRUST-JSON " + json.dumps(out))
"""


def django_setup(env, spec):
    result = subprocess.run(
        [str(common.PY), "-c", SETUP_CODE],
        cwd=common.ROOT,
        env={**env, "TRUST_SPEC": json.dumps(spec)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    for line in result.stdout.splitlines():
        if line.startswith("TRUST-JSON "):
            return json.loads(line[len("TRUST-JSON ") :])
    sys.stderr.write(result.stdout[-3000:] + result.stderr[-5000:])
    raise RuntimeError("setting up accounts failed")


def check_trees(env):
    result = subprocess.run(
        [str(common.PY), "manage.py", "check_comment_trees"],
        cwd=common.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = (result.stdout + result.stderr).strip().splitlines()
    return result.returncode, (lines[-1] if lines else "")


def conninfo_of(env):
    url = urllib.parse.urlparse(env["DATABASE_URL"])
    return (
        f"host={url.hostname} port={url.port or 5432} user={url.username or 'postgres'} "
        f"dbname={url.path.lstrip('/')}"
    )


# --------------------------------------------------------------------------- the site


class Site:
    """What a client knows about one deployment: its servers, accounts, articles, and every
    comment it tried to post there."""

    def __init__(self, env, accounts, articles, ports=()):
        self.env = env
        self.conninfo = conninfo_of(env)
        self.accounts = accounts  # name -> {"pk", "session", "csrf"}
        self.articles = articles  # [{"pk", "url"}]
        self.ports = list(ports)
        self.lock = threading.Lock()
        self.replyable = {a["pk"]: [] for a in articles}  # [(comment id, author name)]
        self.attempts = []
        self.moderator = None  # {"session", "csrf"}

    def clone(self, env, ports):
        other = Site(env, self.accounts, self.articles, ports)
        other.replyable = {pk: list(v) for pk, v in self.replyable.items()}
        other.moderator = self.moderator
        return other

    def load_accounts(self):
        return [n for n in self.accounts if n.startswith("trust-r")]

    def cookie(self, name):
        account = self.accounts[name]
        cookie = f"sessionid={account['session']}"
        if account.get("csrf"):
            cookie += f"; csrftoken={account['csrf']}"
        return cookie

    def signed_get(self, port, name, path):
        return request(port, "GET", path, {"Cookie": self.cookie(name)})

    def post(self, port, name, path, fields, session=None):
        if session is None:
            account = self.accounts[name]
            session = {"session": account["session"], "csrf": account["csrf"]}
        return request(
            port,
            "POST",
            path,
            {
                "Cookie": f"sessionid={session['session']}; csrftoken={session['csrf']}",
                "X-CSRFToken": session["csrf"],
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            urllib.parse.urlencode(fields),
        )

    def fetch_csrf(self, names=None):
        """GET an article signed in (alternating A and B): the CSRF cookie, and proof that
        the session is honoured by both servers."""
        names = list(names or self.accounts)
        problems = []

        def fetch(index, name):
            port = self.ports[index % len(self.ports)]
            answer = request(port, "GET", self.articles[0]["url"], {"Cookie": self.cookie(name)})
            token = answer.cookies.get("csrftoken") or self.accounts[name].get("csrf")
            if answer.status != 200 or not token or not answer.has("/accounts/logout/"):
                problems.append(f"{name} on :{port}: {answer.status} {answer.error or ''}")
            self.accounts[name]["csrf"] = token

        threads = [threading.Thread(target=fetch, args=(i, n)) for i, n in enumerate(names)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return problems

    def post_comment(
        self,
        port,
        name,
        article_pk,
        parent=None,
        rec=None,
        replyable=True,
        marker=None,
        token=None,
        server=0,
    ):
        marker = marker or next_marker()
        token = token or str(uuid.uuid4())
        body = f"{random.choice(SENTENCES)} {marker}"
        fields = {"body": body, "submission_token": token}
        if parent:
            fields["parent"] = str(parent)
        answer = self.post(port, name, f"/comments/post/{article_pk}/", fields)
        attempt = {
            "marker": marker,
            "token": token,
            "body": body,
            "account": name,
            "article": article_pk,
            "parent": parent,
            "status": answer.status,
            "error": answer.error,
            "id": None,
            "t": time.monotonic(),
        }
        if answer.status == 201:
            attempt["id"] = answer.json().get("id")
            if replyable and attempt["id"]:
                with self.lock:
                    self.replyable[article_pk].append((attempt["id"], name))
        with self.lock:
            self.attempts.append(attempt)
        if rec is not None:
            rec.add("comment", server, answer, attempt)
        return attempt, answer

    def resend(self, attempt, port):
        """The same form sent again (same body and submission token), as a reader whose
        first try failed would do."""
        fields = {"body": attempt["body"], "submission_token": attempt["token"]}
        if attempt["parent"]:
            fields["parent"] = str(attempt["parent"])
        answer = self.post(
            port, attempt["account"], f"/comments/post/{attempt['article']}/", fields
        )
        attempt["resent_status"] = answer.status
        if answer.status == 201:
            attempt["first_status"] = attempt["status"]
            attempt["status"] = 201
            attempt["id"] = answer.json().get("id")
        return answer


# --------------------------------------------------------------------------- load


class Recorder:
    """Every request of a load run: when, which server, what kind, the answer."""

    def __init__(self):
        self.lock = threading.Lock()
        self.events = []  # (t start, t end, server, kind, status, seconds, error)
        self.probes = []  # (ok, detail)
        self.anon_reads = 0
        self.anon_hits = 0
        self.not_signed_in = 0
        self.t0 = time.monotonic()

    def add(self, kind, server, answer, attempt=None):
        end = time.monotonic()
        with self.lock:
            self.events.append(
                (
                    end - answer.seconds - self.t0,
                    end - self.t0,
                    server,
                    kind,
                    answer.status,
                    answer.seconds,
                    answer.error,
                )
            )

    def statuses(self, kinds=None):
        counter = collections.Counter()
        for event in self.events:
            if kinds is None or event[3] in kinds:
                counter[event[4]] += 1
        return counter

    def by_kind(self):
        kinds = collections.defaultdict(list)
        for event in self.events:
            kinds[event[3]].append(event)
        return kinds


def percentile(values, share):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))]


def histogram(counter):
    return ", ".join(
        f"{'error' if k is None else k}: {v}"
        for k, v in sorted(counter.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    )


EXPECTED = {
    "read-anon": {200},
    "read-signed": {200},
    "comment": {201},
    "react": {200},
    "vote": {200},
    "probe-permalink": {302},
    "probe-page": {200},
}


def mixed_load(site, seconds, threads, seed=1, faults=(), probe=True):
    """Readers and writers for `seconds`, every thread alternating the servers; `faults` is
    a list of (seconds after start, callable) run on their own thread. Returns the
    Recorder and the fault timings [(name, t begin, t end, result)]."""
    rec = Recorder()
    readers = max(2, threads * 3 // 8)
    writers = max(1, threads - readers)
    accounts = site.load_accounts()
    start = threading.Event()
    timings = []
    ports = site.ports

    def reader(index):
        rng = random.Random(seed * 7919 + index)
        anonymous = index % 2 == 0
        name = accounts[index % len(accounts)]
        turn = index
        start.wait()
        while time.monotonic() < rec.deadline:
            server = turn % 2
            turn += 1
            article = rng.choice(site.articles)
            if anonymous:
                answer = request(ports[server], "GET", article["url"])
                rec.add("read-anon", server, answer)
                with rec.lock:
                    rec.anon_reads += 1
                    rec.anon_hits += answer.cache_hit
            else:
                answer = site.signed_get(ports[server], name, article["url"])
                rec.add("read-signed", server, answer)
                if answer.status == 200 and not answer.has("/accounts/logout/"):
                    with rec.lock:
                        rec.not_signed_in += 1

    def writer(index):
        rng = random.Random(seed * 104729 + index)
        turn = index
        start.wait()
        while time.monotonic() < rec.deadline:
            server = turn % 2
            turn += 1
            port = ports[server]
            name = rng.choice(accounts)
            article = rng.choice(site.articles)
            roll = rng.random()
            if roll < 0.55:
                with site.lock:
                    pool = site.replyable[article["pk"]][-100:]
                parent = None
                if pool and rng.random() >= NEW_THREAD_SHARE:
                    parent = rng.choice(pool)[0]
                attempt, answer = site.post_comment(
                    port, name, article["pk"], parent, rec=rec, server=server
                )
                if probe and answer.status == 201 and parent is None and rng.random() < PROBE_SHARE:
                    follow(attempt, 1 - server)
                continue
            if roll < 0.8:
                answer = site.post(
                    port, name, f"/articles/{article['pk']}/react/", {"kind": rng.choice(KINDS)}
                )
                rec.add("react", server, answer)
                continue
            with site.lock:
                pool = [c for c in site.replyable[article["pk"]][-200:] if c[1] != name]
            if not pool:
                continue
            comment_id = rng.choice(pool)[0]
            answer = site.post(
                port, name, f"/comments/{comment_id}/vote/", {"value": rng.choice((1, -1))}
            )
            rec.add("vote", server, answer)

    def follow(attempt, server):
        """The comment's permalink on the other server, anonymously, then that page."""
        port = ports[server]
        answer = request(port, "GET", f"/comments/{attempt['id']}/")
        rec.add("probe-permalink", server, answer)
        location = answer.headers.get("location")
        if answer.status != 302 or not location:
            with rec.lock:
                rec.probes.append((False, f"permalink {attempt['id']}: {answer.status}"))
            return
        page = request(
            port,
            "GET",
            without_fragment(
                urllib.parse.urlsplit(location)._replace(scheme="", netloc="").geturl()
            ),
        )
        rec.add("probe-page", server, page)
        ok = page.status == 200 and page.has(attempt["marker"])
        with rec.lock:
            rec.probes.append(
                (
                    ok,
                    f"{attempt['id']} via :{port} {location}: {page.status}, "
                    f"{'shown' if page.has(attempt['marker']) else 'NOT shown'}"
                    f"{' (page cache hit)' if page.cache_hit else ''}",
                )
            )

    def run_faults():
        for offset, name, action in faults:
            delay = rec.t0 + offset - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            began = time.monotonic() - rec.t0
            try:
                result = action()
            except Exception as error:
                result = f"failed: {error!r}"
            timings.append((name, began, time.monotonic() - rec.t0, result))

    workers = [threading.Thread(target=reader, args=(i,)) for i in range(readers)]
    workers += [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in workers:
        thread.start()
    rec.t0 = time.monotonic()
    rec.deadline = rec.t0 + seconds
    fault_thread = threading.Thread(target=run_faults)
    fault_thread.start()
    start.set()
    for thread in workers:
        thread.join()
    fault_thread.join()
    rec.elapsed = time.monotonic() - rec.t0
    rec.readers, rec.writers = readers, writers
    return rec, timings


def print_load(rec, attempts):
    total = len(rec.events)
    accepted = [a for a in attempts if a["status"] == 201]
    say(
        f"  {total} requests in {rec.elapsed:.1f} s = {total / rec.elapsed:.1f} requests/s "
        f"({rec.readers} reader and {rec.writers} writer threads); "
        f"per server: A {sum(1 for e in rec.events if e[2] == 0)}, "
        f"B {sum(1 for e in rec.events if e[2] == 1)}"
    )
    say(
        f"  comments accepted: {len(accepted)} = {len(accepted) / rec.elapsed:.1f} comments/s "
        f"({sum(1 for a in accepted if a['parent'] is None)} new threads, "
        f"{sum(1 for a in accepted if a['parent'])} replies); "
        f"reactions {rec.statuses({'react'}).get(200, 0)}, "
        f"votes {rec.statuses({'vote'}).get(200, 0)}"
    )
    if rec.anon_reads:
        say(
            f"  anonymous page reads served from the page cache: {rec.anon_hits} of "
            f"{rec.anon_reads} ({rec.anon_hits / rec.anon_reads:.0%})"
        )
    rows = []
    for kind, events in sorted(rec.by_kind().items()):
        latencies = [e[5] * 1000 for e in events]
        rows.append(
            [
                kind,
                len(events),
                histogram(collections.Counter(e[4] for e in events)),
                common.fmt(percentile(latencies, 0.5)),
                common.fmt(percentile(latencies, 0.99)),
                common.fmt(max(latencies)),
            ]
        )
    report.table(["request", "n", "status histogram", "p50 ms", "p99 ms", "max ms"], rows)
    say(f"  all statuses: {histogram(rec.statuses())}")


def unexpected(rec):
    out = collections.Counter()
    for event in rec.events:
        if event[4] not in EXPECTED.get(event[3], {200}):
            out[(event[3], event[4])] += 1
    return out


# --------------------------------------------------------------------------- database checks


def stored_comments(conninfo):
    """marker -> [(id, status, body_html is not empty, parent_id, article_id)] for this run."""
    rows = collections.defaultdict(list)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for cid, body, status, has_html, parent, article in conn.execute(
            "SELECT id, body, status, body_html <> '', parent_id, article_id "
            "FROM comments_comment WHERE body LIKE %s",
            (f"%№{RUN}-%",),
        ):
            match = MARKER_RE.search(body)
            if match:
                rows[f"№{RUN}-{match.group(1)}"].append((cid, status, has_html, parent, article))
    return rows


def verify_comments(phase, site, attempts, failures_allowed=False):
    """Every 201 stored exactly once under the id it was answered with; nothing stored for a
    refused attempt; at most one row for an attempt whose answer was lost; every row whole."""
    stored = stored_comments(site.conninfo)
    accepted = [a for a in attempts if a["status"] == 201]
    ids = [a["id"] for a in accepted]
    once = missing = doubled = wrong_id = 0
    for attempt in accepted:
        rows = stored.get(attempt["marker"], [])
        if len(rows) == 1 and rows[0][0] == attempt["id"]:
            once += 1
        elif not rows:
            missing += 1
        elif len(rows) > 1:
            doubled += 1
        else:
            wrong_id += 1
    refused = [a for a in attempts if a["status"] is not None and 400 <= a["status"] < 500]
    refused_stored = sum(1 for a in refused if stored.get(a["marker"]))
    lost = [a for a in attempts if a["status"] != 201 and a not in refused]
    lost_rows = collections.Counter(min(len(stored.get(a["marker"], [])), 2) for a in lost)
    markers = {a["marker"] for a in attempts}
    rows = [r for m in markers for r in stored.get(m, [])]
    not_whole = sum(1 for r in rows if not r[2])
    bad_parent = 0
    by_marker = {a["marker"]: a for a in attempts}
    for marker in markers:
        for row in stored.get(marker, []):
            if row[3] != by_marker[marker]["parent"] or row[4] != by_marker[marker]["article"]:
                bad_parent += 1
    ok = (
        once == len(accepted)
        and len(set(ids)) == len(ids)
        and refused_stored == 0
        and lost_rows.get(2, 0) == 0
        and not_whole == 0
        and bad_parent == 0
    )
    detail = (
        f"{len(accepted)} accepted, {once} stored exactly once, {missing} missing, "
        f"{doubled} doubled, {wrong_id} under another id, distinct ids {len(set(ids))}"
    )
    if refused:
        detail += f"; {len(refused)} refused (4xx), {refused_stored} of them stored"
    if lost:
        detail += (
            f"; {len(lost)} without an answer or with 5xx: {lost_rows.get(0, 0)} left nothing, "
            f"{lost_rows.get(1, 0)} stored once, {lost_rows.get(2, 0)} stored twice or more"
        )
    if not_whole or bad_parent:
        detail += f"; {not_whole} rows without body_html, {bad_parent} under the wrong parent"
    check(phase, "every accepted comment stored exactly once, nothing else", ok, detail)
    statuses = collections.Counter(r[1] for r in rows)
    return stored, statuses


def verify_invariants(phase, site):
    code, line = check_trees(site.env)
    check(phase, "manage.py check_comment_trees exits 0", code == 0, f"exit {code}: {line}")
    with psycopg.connect(site.conninfo, autocommit=True) as conn:
        stats = {
            row[0]: dict(zip(KINDS, row[1:], strict=True))
            for row in conn.execute(
                'SELECT article_id, "like", laugh, wow, sad, angry FROM articles_articlestats'
            )
        }
        rows = collections.defaultdict(lambda: dict.fromkeys(KINDS, 0))
        for article, kind, n in conn.execute(
            "SELECT article_id, kind, count(*) FROM articles_articlereaction GROUP BY 1, 2"
        ):
            rows[article][kind] = n
        wrong = []
        for article in set(stats) | set(rows):
            counters = stats.get(article, dict.fromkeys(KINDS, 0))
            if counters != rows[article]:
                wrong.append((article, counters, dict(rows[article])))
        total = sum(sum(v.values()) for v in rows.values())
        check(
            phase,
            "reaction counters equal the reaction rows",
            not wrong,
            f"{total} reaction rows over {len(rows)} articles; {len(wrong)} articles differ"
            + (f", e.g. {wrong[:2]}" if wrong else ""),
        )
        votes = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE value = 1) FROM comments_commentvote"
        ).fetchone()
        bad = conn.execute(
            """
            SELECT c.id, c.likes, c.dislikes,
                   count(v.id) FILTER (WHERE v.value = 1),
                   count(v.id) FILTER (WHERE v.value = -1)
            FROM comments_comment c LEFT JOIN comments_commentvote v ON v.comment_id = c.id
            GROUP BY c.id
            HAVING c.likes <> count(v.id) FILTER (WHERE v.value = 1)
                OR c.dislikes <> count(v.id) FILTER (WHERE v.value = -1)
            """
        ).fetchall()
        check(
            phase,
            "comment like/dislike counters equal the vote rows",
            not bad,
            f"{votes[0]} vote rows ({votes[1]} likes); {len(bad)} comments differ"
            + (f", e.g. {bad[:3]}" if bad else ""),
        )


def server_errors(pair):
    out = []
    for server in pair:
        out += [f"{server.name}: {line}" for line in server.errors_logged()]
    return out


# --------------------------------------------------------------------------- phases


def phase_setup(args, env):
    say("")
    say("1. Setup")
    started = time.perf_counter()
    base = ["-h", common.PG_HOST, "-p", common.PG_PORT, "-U", common.PG_USER]
    subprocess.run(["dropdb", *base, "--if-exists", "--force", DB_NAME], check=True)
    subprocess.run(["createdb", *base, DB_NAME], check=True)
    common.clear_redis_prefix(env)
    common.manage(env, "migrate", "--noinput", log=MANAGE_LOG)
    common.manage(env, "load_demo", "--site-domain", "127.0.0.1", log=MANAGE_LOG)
    common.manage(env, "collectstatic", "--noinput", "--verbosity", "0", log=MANAGE_LOG)
    accounts = [(f"trust-r{i:02d}", "old") for i in range(LOAD_ACCOUNTS)]
    accounts += [
        ("trust-agree", "old"),
        ("trust-midwrite", "old"),
        ("trust-limit-old", "old"),
        ("trust-limit-new", "new"),
        ("trust-redis-a", "old"),
        ("trust-redis-b", "old"),
    ]
    out = django_setup(env, {"accounts": accounts, "articles": 2})
    if len(out["articles"]) < 2:
        raise RuntimeError(f"load_demo left fewer than two open articles: {out['articles']}")
    say(
        f"  {DB_NAME} migrated, demo loaded, {len(out['accounts'])} accounts with sessions in "
        f"{time.perf_counter() - started:.1f} s; articles under load: "
        + ", ".join(a["url"] for a in out["articles"])
    )
    say(
        f"  the app's comment limits: {out['limits']['comment']} (burst, seconds per comment "
        f"after it); new account = younger than {out['limits']['new_account_hours']} h; "
        f"anonymous pages cached {out['limits']['page_cache_seconds']} s"
    )
    return Site(env, out["accounts"], out["articles"]), out["limits"]


def phase_load(args, site, pair, seconds):
    say("")
    say(
        f"2. Mixed load for {seconds} s on A and B (RATE_LIMITS_ENABLED=0, "
        f"{len(pair[0].worker_pids())} + {len(pair[1].worker_pids())} sync workers)"
    )
    rec, _ = mixed_load(site, seconds, args.threads, seed=2)
    attempts = [a for a in site.attempts if a["t"] >= rec.t0]
    print_load(rec, attempts)
    accepted = sum(1 for a in attempts if a["status"] == 201)
    check(
        "2",
        "the load ran (reads, comments, reactions and votes answered)",
        all(rec.statuses({k}) for k in ("read-anon", "read-signed", "react", "vote"))
        and accepted > 0,
        f"{len(rec.events)} requests, {accepted} comments accepted",
    )
    fivexx = sum(v for k, v in rec.statuses().items() if k is not None and k >= 500)
    errors = rec.statuses().get(None, 0)
    check(
        "2",
        "no 5xx, no connection errors",
        fivexx == 0 and errors == 0,
        f"{fivexx} 5xx, {errors} connection errors",
    )
    odd = unexpected(rec)
    check(
        "2",
        "every request answered as expected (201/200/302)",
        not odd,
        ", ".join(f"{k[0]} {k[1]}: {v}" for k, v in odd.items()) or "all",
    )
    check(
        "2",
        "signed-in pages signed in on both servers",
        rec.not_signed_in == 0,
        f"{rec.not_signed_in} signed-in reads without the reader's session",
    )
    probes_ok = sum(1 for ok, _ in rec.probes if ok)
    bad = [d for ok, d in rec.probes if not ok]
    check(
        "2",
        "a new comment is on the other server's page at once (permalink, anonymous)",
        bool(rec.probes) and not bad,
        f"{probes_ok} of {len(rec.probes)} followed comments shown"
        + (f"; {bad[:3]}" if bad else ""),
    )
    _, statuses = verify_comments("2", site, attempts)
    if set(statuses) - {"visible"}:
        check("2", "accepted comments are visible", False, dict(statuses))
    verify_invariants("2", site)
    errors_logged = server_errors(pair)
    check(
        "2",
        "no errors in the servers' logs",
        not errors_logged,
        f"{len(errors_logged)} lines"
        + (f", first: {errors_logged[0][:200]}" if errors_logged else ""),
    )
    report.data["load"] = {
        "seconds": rec.elapsed,
        "requests": len(rec.events),
        "rps": len(rec.events) / rec.elapsed,
        "comments_accepted": sum(1 for a in attempts if a["status"] == 201),
        "statuses": {str(k): v for k, v in rec.statuses().items()},
        "probes": len(rec.probes),
        "probes_ok": probes_ok,
    }


def login(port, username, password):
    """The real login form: GET for the CSRF cookie, POST, the session cookie back."""
    page = request(port, "GET", "/accounts/login/")
    token = page.cookies.get("csrftoken")
    if page.status != 200 or not token:
        return None, f"login page {page.status} {page.error or ''}"
    answer = request(
        port,
        "POST",
        "/accounts/login/",
        {
            "Cookie": f"csrftoken={token}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        urllib.parse.urlencode(
            {"login": username, "password": password, "csrfmiddlewaretoken": token}
        ),
    )
    session = answer.cookies.get("sessionid")
    if answer.status != 302 or not session:
        return None, f"login POST {answer.status} after {answer.seconds:.2f} s {answer.error or ''}"
    took = f"302 after {answer.seconds:.2f} s"
    return {"session": session, "csrf": answer.cookies.get("csrftoken") or token}, took


def hide(site, port, comment_id):
    return site.post(
        port,
        None,
        f"/moderation/comments/{comment_id}/hide/",
        {"reason": "insult"},
        session=site.moderator,
    )


def phase_agree(args, site, pair, limits):
    say("")
    say("3. Two servers agree (a second pair, RATE_LIMITS_ENABLED=1)")
    a, b = site.ports
    article = site.articles[0]
    url = article["url"]
    warm = [request(b, "GET", url) for _ in range(2)]
    attempt, answer = site.post_comment(a, "trust-agree", article["pk"], replyable=False)
    marker = attempt["marker"]
    b_anon = request(b, "GET", url)
    b_signed = site.signed_get(b, "trust-r00", url)
    check(
        "3",
        "a comment posted through A is on B's next page",
        answer.status == 201 and b_anon.has(marker) and b_signed.has(marker),
        f"POST via A {answer.status} id {attempt['id']}; B before the post: "
        f"{'page cache hit' if warm[-1].cache_hit else 'not cached'}; B after: anonymous "
        f"{b_anon.status} {'shown' if b_anon.has(marker) else 'NOT shown'}"
        f"{' (page cache hit)' if b_anon.cache_hit else ''}, signed in {b_signed.status} "
        f"{'shown' if b_signed.has(marker) else 'NOT shown'}",
    )
    # A caches the page with the comment before it is hidden through B.
    warm_a = [request(a, "GET", url) for _ in range(2)]
    moderator, how = login(b, "moderator", "moderator-demo")
    check("3", "the demo moderator logs in through B's login form", moderator is not None, how)
    if moderator is None or attempt["id"] is None:
        return
    site.moderator = moderator
    hidden = hide(site, b, attempt["id"])
    seen = {
        "A anonymous": request(a, "GET", url),
        "B anonymous": request(b, "GET", url),
        "A signed in": site.signed_get(a, "trust-r01", url),
        "B signed in": site.signed_get(b, "trust-r01", url),
    }
    still = [k for k, v in seen.items() if v.status != 200 or v.has(marker)]
    check(
        "3",
        "hidden through B: gone from A and B, anonymous and signed in",
        hidden.status == 200 and not still,
        f"hide via B {hidden.status} ({hidden.json().get('status', hidden.error or '')}); A had it "
        f"cached: {'yes' if warm_a[-1].cache_hit and warm_a[-1].has(marker) else 'no'}; "
        + ", ".join(
            f"{k} {v.status} {'STILL SHOWN' if v.has(marker) else 'gone'}"
            f"{' (cache hit)' if v.cache_hit else ''}"
            for k, v in seen.items()
        ),
    )
    author = site.signed_get(a, "trust-agree", url)
    check(
        "3",
        "its author still sees it (with the reason)",
        author.has(marker) or None,
        f"author's page {author.status}, {'shown' if author.has(marker) else 'not shown'}",
    )

    comment_limits = limits.get("comment", {})
    for label, name, kind in (
        ("an account a month old", "trust-limit-old", "user"),
        ("a new account", "trust-limit-new", "new_user"),
    ):
        burst = comment_limits.get(kind, [None])[0]
        if burst is None:
            check("3", f"comment limit for {label}", None, "no such limit configured")
            continue
        attempts, answers = [], []
        for index in range(burst + 1):
            port = site.ports[index % 2]
            attempt, answer = site.post_comment(port, name, article["pk"], replyable=False)
            attempts.append(attempt)
            answers.append(answer)
        statuses = [x.status for x in answers]
        stored = stored_comments(site.conninfo)
        rows = sum(len(stored.get(x["marker"], [])) for x in attempts)
        expected = [201] * burst + [429]
        retry_after = answers[-1].headers.get("retry-after")
        check(
            "3",
            f"rate limit across A and B, {label} (burst {burst})",
            statuses == expected and rows == burst and bool(retry_after),
            f"answers alternating A/B: {statuses}, expected {expected}; rows stored {rows}; "
            f"Retry-After {retry_after}",
        )
    errors_logged = server_errors(pair)
    check(
        "3",
        "no errors in the servers' logs",
        not errors_logged,
        f"{len(errors_logged)} lines"
        + (f", first: {errors_logged[0][:200]}" if errors_logged else ""),
    )


def summarize_window(phase, rec, begin, end, settle):
    """Answers around a fault between `begin` and `end` (seconds since the load started):
    failures must be HTTP answers (no hangs, no dropped connections), and every request
    that starts `settle` seconds after the fault ended must succeed."""
    failures = [e for e in rec.events if e[4] is None or e[4] >= 500]
    clean = [e for e in failures if e[4] is not None]
    unclean = [e for e in failures if e[4] is None]
    before = [e for e in failures if e[1] < begin]
    late = [e for e in failures if e[0] > end + settle]
    last = max((e[1] for e in failures), default=None)
    slowest = max((e[5] for e in rec.events), default=0)
    odd = {k: v for k, v in unexpected(rec).items() if k[1] is not None and k[1] < 500}
    say(
        f"  fault from {begin:.2f} s to {end:.2f} s of the load; failed requests: {len(failures)} "
        f"({len(clean)} HTTP 5xx answers, {len(unclean)} without an answer); last failure "
        f"{'—' if last is None else f'{last:.2f} s'}; slowest request {slowest:.2f} s"
    )
    check(
        phase,
        "failures are clean HTTP answers, no hangs or dropped connections",
        not unclean and slowest < 10,
        f"{len(unclean)} without an answer"
        + (f" (e.g. {unclean[0][6]})" if unclean else "")
        + f"; slowest {slowest:.2f} s (limit 10 s)",
    )
    check(phase, "no failures before the fault", not before, f"{len(before)} before it")
    recovered = None if last is None else max(0.0, last - end)
    check(
        phase,
        f"every request succeeds again within {settle:.0f} s after the fault",
        not late,
        f"{len(late)} failures later than that; last failure "
        + ("none" if recovered is None else f"{recovered:.2f} s after the fault ended"),
    )
    check(
        phase,
        "no unexpected 4xx",
        not odd,
        ", ".join(f"{k[0]} {k[1]}: {v}" for k, v in odd.items()) or "none",
    )
    return failures


def resend_failed(phase, site, attempts):
    """Comment POSTs that failed (5xx or no answer) sent again with the same token."""
    failed = [a for a in attempts if a["status"] is None or a["status"] >= 500]
    if not failed:
        check(phase, "failed comment POSTs sent again with the same token", None, "none failed")
        return
    stored_before = stored_comments(site.conninfo)
    had_row = {a["marker"]: [r[0] for r in stored_before.get(a["marker"], [])] for a in failed}
    results = collections.Counter()
    same_id = 0
    for index, attempt in enumerate(failed):
        answer = site.resend(attempt, site.ports[index % 2])
        results[answer.status] += 1
        if answer.status == 201 and had_row[attempt["marker"]] == [attempt["id"]]:
            same_id += 1
    with_row = sum(1 for rows in had_row.values() if rows)
    check(
        phase,
        "failed comment POSTs sent again with the same token: accepted, never doubled",
        results.get(201, 0) == len(failed) and same_id == with_row,
        f"{len(failed)} failed; {with_row} had been stored despite the failure (the answer was "
        f"lost after the commit); sent again: {histogram(results)}; {same_id} of those "
        f"{with_row} answered with the stored comment's id",
    )


def phase_redis(args, site, env, workers, seconds):
    say("")
    say("4a. Redis stopped and started again (a private redis-server, not the machine's)")
    redis_server = PrivateRedis().start()
    pair = []
    try:
        env_r = {**env, "REDIS_URL": redis_server.url, "CACHE_KEY_PREFIX": f"{PREFIX}-redisfault"}
        pair = start_pair(env_r, "redis", workers, RATE_LIMITS_ENABLED=1)
        rsite = site.clone(env_r, [s.port for s in pair])
        a, b = rsite.ports
        url = rsite.articles[0]["url"]
        pk = rsite.articles[0]["pk"]
        say(f"  redis-server on :{redis_server.port}; servers A :{a}, B :{b} (limits on)")
        # Before: a comment to be hidden during the outage, cached on both servers.
        before, answer = rsite.post_comment(a, "trust-redis-a", pk, replyable=False)
        warm = {
            name: [request(port, "GET", url) for _ in range(2)][-1]
            for name, port in (("A", a), ("B", b))
        }
        say(
            f"  before: comment {before['id']} ({answer.status}); anonymous page cached on "
            + ", ".join(
                f"{k}: {'hit' if v.cache_hit else 'miss'}, "
                f"{'shows it' if v.has(before['marker']) else 'without it'}"
                for k, v in warm.items()
            )
        )
        down_at = time.monotonic()
        redis_server.shutdown(save=args.redis_stop == "save")
        say(
            f"  redis-server stopped with SHUTDOWN {args.redis_stop.upper()} in "
            f"{time.monotonic() - down_at:.2f} s"
        )

        pages = {}
        for name, port in (("A", a), ("B", b)):
            pages[f"{name} anonymous"] = request(port, "GET", url)
            pages[f"{name} signed in"] = rsite.signed_get(port, "trust-r05", url)
            pages[f"{name} home"] = request(port, "GET", "/")
        bad = {k: v for k, v in pages.items() if v.status != 200}
        check(
            "4a",
            "with Redis stopped, pages still 200 from both servers",
            not bad,
            ", ".join(
                f"{k} {v.status} {v.seconds * 1000:.0f} ms{' (cache hit?!)' if v.cache_hit else ''}"
                for k, v in pages.items()
            ),
        )
        # Readers and writers on the other article, so that the single checks on the first
        # one keep their comments on its first page.
        load_site = rsite.clone(env_r, rsite.ports)
        load_site.articles = rsite.articles[1:2]
        rec, _ = mixed_load(load_site, seconds, max(4, args.threads // 2), seed=4, probe=False)
        attempts_outage = load_site.attempts
        print_load(rec, attempts_outage)
        fivexx = sum(v for k, v in rec.statuses().items() if k is None or k >= 500)
        odd = unexpected(rec)
        check(
            "4a",
            "with Redis stopped, mixed load: no 5xx, every write accepted (limits fail open)",
            fivexx == 0 and not odd,
            f"{histogram(rec.statuses())}" + (f"; unexpected: {dict(odd)}" if odd else ""),
        )
        during, posted = rsite.post_comment(b, "trust-redis-b", pk, replyable=False)
        reacted = rsite.post(a, "trust-redis-b", f"/articles/{pk}/react/", {"kind": "wow"})
        voted = rsite.post(b, "trust-r06", f"/comments/{before['id']}/vote/", {"value": 1})
        check(
            "4a",
            "with Redis stopped, a signed-in comment, a reaction and a vote succeed",
            posted.status == 201 and reacted.status == 200 and voted.status == 200,
            f"comment via B {posted.status} ({posted.seconds * 1000:.0f} ms), reaction via A "
            f"{reacted.status}, vote via B {voted.status}",
        )
        session, how = login(a, "reader", "reader-demo")
        check(
            "4a", "with Redis stopped, logging in works (the login form)", session is not None, how
        )
        hidden = hide(rsite, a, before["id"]) if rsite.moderator else None
        check(
            "4a",
            "with Redis stopped, a moderator's hide succeeds",
            hidden is not None and hidden.status == 200,
            f"hide of {before['id']} via A: {hidden.status if hidden else 'no moderator session'}",
        )
        logs = {s.name: log_text(s) for s in pair}
        cache_warned = all("cache unavailable" in t for t in logs.values())
        limits_warned = all("rate limits are off" in t for t in logs.values())
        check(
            "4a",
            "both servers' logs say so ('cache unavailable', 'rate limits are off')",
            cache_warned and limits_warned,
            ", ".join(
                f"{n}: {t.count('cache unavailable')} + {t.count('rate limits are off')} lines"
                for n, t in logs.items()
            ),
        )
        outage = time.monotonic() - down_at
        redis_server.start()
        up_at = time.monotonic()
        say(
            f"  redis-server started again after {outage:.1f} s down"
            + (" with its snapshot" if args.redis_stop == "save" else ", empty")
        )
        # What was written during the outage (a comment, and the hide of a comment cached
        # before it): on the very first pages after Redis is back, or only once what was
        # cached before the outage (pages, discussion fragments, the latest-comments list,
        # under keys the outage could not replace or delete) expires?
        views = {
            "A anonymous": lambda: request(a, "GET", url),
            "B anonymous": lambda: request(b, "GET", url),
            "A signed in": lambda: rsite.signed_get(a, "trust-r05", url),
            "B signed in": lambda: rsite.signed_get(b, "trust-r05", url),
        }
        first = {name: view() for name, view in views.items()}

        def parts(page):
            """(the page without the latest-comments list, that list)."""
            body = page.body.decode(errors="replace")
            start = body.find('<section class="latest-comments"')
            if start < 0:
                return body, ""
            end = body.find("</section>", start)
            return body[:start] + body[end:], body[start:end]

        def current(page):
            rest, latest = parts(page)
            return (
                page.status == 200
                and during["marker"] in rest
                and before["marker"] not in rest + latest
            )

        def where(page, attempt):
            rest, latest = parts(page)
            places = []
            if attempt["marker"] in rest:
                places.append("in the discussion")
            if attempt["marker"] in latest:
                places.append("in the latest-comments list")
            return " and ".join(places) or "nowhere"

        bad = {k: v for k, v in first.items() if v.status != 200}
        check(
            "4a",
            "Redis back: pages 200 from both servers",
            not bad,
            ", ".join(f"{k} {v.status}" for k, v in first.items()),
        )
        fresh_at = {name: 0.0 for name, page in first.items() if current(page)}
        while len(fresh_at) < len(views) and time.monotonic() - up_at <= args.stale_wait:
            time.sleep(1)
            for name in [n for n in views if n not in fresh_at]:
                if current(views[name]()):
                    fresh_at[name] = time.monotonic() - up_at
        detail = []
        for name, page in first.items():
            if fresh_at.get(name) == 0:
                detail.append(f"{name}: current at once")
                continue
            detail.append(
                f"{name}: STALE{' (page cache hit)' if page.cache_hit else ''}, the comment "
                f"posted during the outage {where(page, during)}, the comment hidden during "
                f"it {where(page, before)}"
                + (
                    f", current {fresh_at[name]:.0f} s after Redis came back"
                    if name in fresh_at
                    else f", still stale after {args.stale_wait:.0f} s"
                )
            )
        check(
            "4a",
            "Redis back: what was written during the outage shows at once (a comment, a hide)",
            len(fresh_at) == len(views) and all(v == 0 for v in fresh_at.values()),
            "; ".join(detail),
        )
        again = [request(a, "GET", url) for _ in range(2)][-1]
        check(
            "4a",
            "Redis back: the page cache works again",
            again.cache_hit or None,
            f"second anonymous GET on A: {'hit' if again.cache_hit else 'miss'}",
        )
        stale_for = {name: fresh_at.get(name) for name in views}
        report.data["redis_fault"] = {"stale_seconds": stale_for, "outage_seconds": outage}

        # A hung Redis (the process frozen with SIGSTOP: connections are accepted by the
        # kernel, nothing answers) rather than a stopped one: every cache call waits for the
        # client's timeout instead of failing at once.
        say("  redis-server frozen (SIGSTOP), as a hung or unreachable Redis:")
        frozen = {}
        redis_server.proc.send_signal(signal.SIGSTOP)
        try:
            frozen["A anonymous"] = request(a, "GET", url)
            frozen["B signed in"] = rsite.signed_get(b, "trust-r05", url)
            frozen["A comment POST"] = rsite.post_comment(a, "trust-redis-b", pk, replyable=False)[
                1
            ]
        finally:
            redis_server.proc.send_signal(signal.SIGCONT)
        expected = {"A anonymous": 200, "B signed in": 200, "A comment POST": 201}
        slowest = max(x.seconds for x in frozen.values())
        check(
            "4a",
            "with Redis hung, pages and a comment still answered (before gunicorn's timeout)",
            all(frozen[k].status == v for k, v in expected.items()),
            ", ".join(f"{k} {v.status or v.error} in {v.seconds:.1f} s" for k, v in frozen.items()),
        )
        check(
            "4a",
            "with Redis hung, answers within 5 s",
            slowest < 5,
            f"slowest {slowest:.1f} s (the cache's socket timeouts are 0.5 s per call)",
        )
        report.data["redis_fault"]["hung_seconds"] = {k: v.seconds for k, v in frozen.items()}
        verify_comments("4a", rsite, rsite.attempts + load_site.attempts)
        code, line = check_trees(rsite.env)
        check("4a", "manage.py check_comment_trees exits 0", code == 0, f"exit {code}: {line}")
    finally:
        stop_pair(pair)
        redis_server.close()


def phase_kill(args, site, pair, seconds):
    say("")
    say(
        f"4b. PostgreSQL backends killed (pg_terminate_backend on {DB_NAME}'s backends only; "
        "the machine's other databases are not touched)"
    )
    admin = conninfo_of(
        {**site.env, "DATABASE_URL": site.env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"}
    )

    def kill():
        with psycopg.connect(admin, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid, coalesce(state, '?') FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (DB_NAME,),
            ).fetchall()
            for pid, _state in rows:
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return dict(collections.Counter(state for _pid, state in rows))

    # Idle persistent connections (CONN_MAX_AGE) killed with no load: the next request of
    # every worker finds its connection dead; the health check must replace it unseen.
    killed = kill()
    url = site.articles[0]["url"]
    answers = [site.signed_get(site.ports[i % 2], "trust-r07", url) for i in range(12)]
    writes = [
        site.post_comment(site.ports[i % 2], "trust-r08", site.articles[0]["pk"], server=i % 2)[1]
        for i in range(4)
    ]
    statuses = collections.Counter(x.status for x in answers + writes)
    check(
        "4b",
        "idle connections killed, no load: the next requests all succeed (health checks)",
        all(x.status == 200 for x in answers) and all(x.status == 201 for x in writes),
        f"backends terminated by state {killed}; then 12 signed-in GETs and 4 comment POSTs "
        f"alternating A/B: {histogram(statuses)}",
    )

    say(f"  under load ({seconds:g} s), every backend of {DB_NAME} killed three times:")
    offsets = [seconds * f for f in (0.25, 0.45, 0.65)]
    faults = [(t, f"kill {i + 1}", kill) for i, t in enumerate(offsets)]
    rec, timings = mixed_load(site, seconds, args.threads, seed=5, faults=faults, probe=False)
    attempts = [a for a in site.attempts if a["t"] >= rec.t0]
    for name, began, _ended, result in timings:
        say(f"  {name} at {began:.2f} s: backends terminated by state {result}")
    print_load(rec, attempts)
    summarize_window("4b", rec, timings[0][1], timings[-1][2], settle=3.0)
    resend_failed("4b", site, attempts)

    midwrite = midwrite_kills(site, admin)
    verify_comments("4b", site, attempts + midwrite)
    verify_invariants("4b", site)


def midwrite_kills(site, admin):
    """A comment whose transaction dies after its tree writes and before its commit.

    This script holds the author's user row FOR UPDATE; the comment's foreign keys are
    checked at COMMIT (Django makes them DEFERRABLE INITIALLY DEFERRED), so the POST does
    all its work (tree lock, renumbering, INSERT) and then waits at the commit. That
    backend is terminated there. Nothing of it may remain; sent again with the same
    submission token it must be stored once."""
    say("  a comment transaction killed at its commit (after the tree writes and the INSERT):")
    name = "trust-midwrite"
    uid = site.accounts[name]["pk"]
    article = site.articles[1]["pk"]
    with site.lock:
        pool = list(site.replyable[article])
    attempts = []
    for label, parent in (("a reply", pool[-1][0] if pool else None), ("a new thread", None)):
        if label == "a reply" and parent is None:
            continue
        box = {}
        blocked = None
        locker = psycopg.connect(site.conninfo)
        try:
            locker.execute("SELECT id FROM accounts_user WHERE id = %s FOR UPDATE", (uid,))
            thread = threading.Thread(
                target=lambda parent=parent, box=box: box.update(
                    out=site.post_comment(site.ports[0], name, article, parent, replyable=False)
                )
            )
            thread.start()
            with psycopg.connect(admin, autocommit=True) as conn:
                deadline = time.monotonic() + 15
                while blocked is None and time.monotonic() < deadline and thread.is_alive():
                    blocked = conn.execute(
                        """
                        SELECT a.pid, a.query,
                               (SELECT count(*) FROM pg_locks l
                                WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted),
                               extract(epoch FROM now() - a.xact_start)
                        FROM pg_stat_activity a
                        WHERE a.datname = %s AND %s = ANY(pg_blocking_pids(a.pid))
                        """,
                        (DB_NAME, locker.info.backend_pid),
                    ).fetchone()
                    if blocked is None:
                        time.sleep(0.05)
                if blocked is not None:
                    time.sleep(0.2)  # it is really stuck there, not passing through
                    conn.execute("SELECT pg_terminate_backend(%s)", (blocked[0],))
            thread.join(45)
        finally:
            locker.rollback()
            locker.close()
        attempt, answer = box.get("out", (None, None))
        if attempt is None:
            check("4b", f"{label}: killed at its commit", False, "the POST did not return")
            continue
        attempts.append(attempt)
        rows = len(stored_comments(site.conninfo).get(attempt["marker"], []))
        where = (
            f"the POST waited at '{' '.join(blocked[1].split())[:40]}' holding {blocked[2]} "
            f"advisory tree lock(s), {float(blocked[3]):.2f} s into its transaction; "
            if blocked
            else "the POST never waited on the lock (not killed); "
        )
        check(
            "4b",
            f"{label}: its transaction killed at the commit leaves nothing behind",
            blocked is not None
            and answer.status is not None
            and answer.status >= 500
            and rows == 0,
            where + f"answer {answer.status} after {answer.seconds:.2f} s; rows stored: {rows}",
        )
        again = site.resend(attempt, site.ports[1])
        rows = len(stored_comments(site.conninfo).get(attempt["marker"], []))
        check(
            "4b",
            f"{label}: sent again through B with the same token, stored once",
            again.status == 201 and rows == 1,
            f"answer {again.status}, rows stored {rows}",
        )
    return attempts


def phase_pg_restart(args, site, env, workers, seconds):
    say("")
    say("4c. PostgreSQL restarted under load (a private cluster, not the machine's)")
    cluster = PrivateCluster()
    pair = []
    try:
        cluster.init().start()
        say(f"  private cluster {cluster.bin.parent.name} on :{cluster.port} ({cluster.dir})")
        with psycopg.connect(cluster.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        dump = subprocess.Popen(
            [
                str(cluster.bin / "pg_dump"),
                "-h",
                common.PG_HOST,
                "-p",
                common.PG_PORT,
                "-U",
                common.PG_USER,
                "--no-owner",
                DB_NAME,
            ],
            stdout=subprocess.PIPE,
        )
        restore = subprocess.run(
            [
                str(cluster.bin / "psql"),
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(cluster.port),
                "-U",
                "postgres",
                "-d",
                DB_NAME,
            ],
            stdin=dump.stdout,
            capture_output=True,
            text=True,
            check=False,
        )
        dump.stdout.close()
        if dump.wait() != 0 or restore.returncode != 0:
            raise RuntimeError(f"copying {DB_NAME} failed: {restore.stderr[-2000:]}")
        env_pg = {
            **env,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{cluster.port}/{DB_NAME}",
            "CACHE_KEY_PREFIX": f"{PREFIX}-pgfault",
        }
        common.clear_redis_prefix(env_pg)
        pair = start_pair(env_pg, "pg", workers, RATE_LIMITS_ENABLED=0)
        psite = site.clone(env_pg, [s.port for s in pair])
        say(f"  {DB_NAME} copied into it; servers A :{pair[0].port}, B :{pair[1].port}")
        restart_at = seconds * 0.3
        rec, timings = mixed_load(
            psite,
            seconds,
            args.threads,
            seed=6,
            probe=False,
            faults=[(restart_at, "restart", lambda: cluster.restart() or "restarted")],
        )
        attempts = [a for a in psite.attempts if a["t"] >= rec.t0]
        _name, began, ended, result = timings[0]
        say(
            f"  pg_ctl restart -m fast from {began:.2f} s to {ended:.2f} s "
            f"({ended - began:.2f} s): {result}"
        )
        print_load(rec, attempts)
        summarize_window("4c", rec, began, ended, settle=5.0)
        resend_failed("4c", psite, attempts)
        verify_comments("4c", psite, attempts)
        verify_invariants("4c", psite)
    finally:
        stop_pair(pair)
        cluster.close()
        common.clear_redis_prefix({**env, "CACHE_KEY_PREFIX": f"{PREFIX}-pgfault"})


def summary():
    say("")
    say("5. Summary")
    rows = [
        [phase, "INFO" if ok is None else ("PASS" if ok else "FAIL"), name]
        for phase, name, ok, _detail in CHECKS
    ]
    report.table(["phase", "result", "check"], rows)
    failed = [c for c in CHECKS if c[2] is False]
    say("")
    say(
        f"{sum(1 for c in CHECKS if c[2])} passed, {len(failed)} failed, "
        f"{sum(1 for c in CHECKS if c[2] is None)} for information"
    )
    report.data["checks"] = [
        {"phase": p, "check": n, "result": ok, "detail": d} for p, n, ok, d in CHECKS
    ]
    return failed


def main(argv=None):
    global report
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter load runs")
    parser.add_argument("--seconds", type=float, default=None, help="mixed load (20; quick 8)")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="sync workers per gunicorn (3 with 4+ CPUs, else 2)",
    )
    parser.add_argument("--skip-faults", action="store_true")
    parser.add_argument(
        "--faults", default="redis,kill,pg", help="which faults: redis, kill, pg (comma-separated)"
    )
    parser.add_argument(
        "--stale-wait",
        type=float,
        default=75,
        help="after Redis is back, how long to wait for current pages",
    )
    parser.add_argument(
        "--redis-stop",
        choices=["save", "nosave"],
        default="save",
        help="how the Redis fault stops Redis: SHUTDOWN SAVE (a Redis with snapshots, the "
        "default of Debian's redis-server; it comes back with its data) or NOSAVE (empty)",
    )
    parser.add_argument("--wait-quiet", type=int, default=30, metavar="SECONDS")
    args = parser.parse_args(argv)
    seconds = args.seconds or (8 if args.quick else 20)
    fault_seconds = 6 if args.quick else 12
    faults = set() if args.skip_faults else {f.strip() for f in args.faults.split(",") if f.strip()}
    unknown = faults - {"redis", "kill", "pg"}
    if unknown:
        parser.error(f"unknown faults: {sorted(unknown)}")
    workers = args.workers or (3 if (os.cpu_count() or 1) >= 4 else 2)

    # SIGTERM (or a CI timeout) still stops every process and private server we started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    env = common.app_env(
        "postgres",
        "trust",
        STATIC_ROOT=common.VAR / "trust" / "static",
        MEDIA_ROOT=common.VAR / "trust" / "media",
    )
    env["DATABASE_URL"] = f"postgres://{common.PG_USER}@{common.PG_HOST}:{common.PG_PORT}/{DB_NAME}"
    redis_url = urllib.parse.urlparse(common.REDIS_URL)
    env["REDIS_URL"] = f"redis://{redis_url.netloc}/{REDIS_DB}"
    env["CACHE_KEY_PREFIX"] = PREFIX

    report = common.Report("trust")
    report.header(
        "Trust under load: two app servers, one PostgreSQL, one Redis",
        f"PostgreSQL {common.PG_HOST}:{common.PG_PORT}/{DB_NAME}, Redis {env['REDIS_URL']} "
        f"(prefix {PREFIX})",
        wait_quiet=args.wait_quiet,
    )
    say(
        f"run {RUN}: {workers} sync workers per server, {args.threads} client threads, "
        f"load {seconds:g} s, faults: {', '.join(sorted(faults)) or 'none'}"
    )
    report.data["run"] = RUN
    pairs = []
    try:
        site, limits = phase_setup(args, env)
        load_pair = start_pair(env, "load", workers, RATE_LIMITS_ENABLED=0)
        pairs.append(load_pair)
        site.ports = [s.port for s in load_pair]
        say(f"  servers A :{site.ports[0]}, B :{site.ports[1]} (load pair, limits off)")
        problems = site.fetch_csrf()
        check(
            "1",
            "every account signed in on A and B (CSRF cookie from a signed-in page)",
            not problems,
            f"{len(site.accounts) - len(problems)} of {len(site.accounts)}"
            + (f"; {problems[:3]}" if problems else ""),
        )

        phase_load(args, site, load_pair, seconds)

        limits_pair = start_pair(env, "limits", workers, RATE_LIMITS_ENABLED=1)
        pairs.append(limits_pair)
        agree_site = site.clone(env, [s.port for s in limits_pair])
        phase_agree(args, agree_site, limits_pair, limits)
        site.moderator = agree_site.moderator
        site.attempts += agree_site.attempts
        stop_pair(limits_pair)

        if "redis" in faults:
            phase_redis(args, site, env, workers, fault_seconds / 2)
        if "kill" in faults:
            phase_kill(args, site, load_pair, fault_seconds)
        if "pg" in faults:
            phase_pg_restart(args, site, env, workers, fault_seconds * 1.5)
    except Exception as error:
        traceback.print_exc()
        check("-", "the run could be carried out", False, repr(error)[:500])
    finally:
        for pair in pairs:
            stop_pair(pair)
        with contextlib.suppress(Exception):
            common.clear_redis_prefix(env)
    if THREAD_CRASHES:
        check(
            "-", "no client thread crashed", False, f"{len(THREAD_CRASHES)}: {THREAD_CRASHES[:3]}"
        )
    failed = summary()
    say(f"load average at the end: {common.machine()['loadavg']}")
    report.save()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
