"""gunicorn settings for the portal; every value can be overridden from the environment."""

import gc
import multiprocessing
import os

bind = os.environ.get(
    "BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
# Sync workers: a page is a few milliseconds of CPU and the database is close by.
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 12)))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (a guard against slow leaks in any library), with jitter
# so they do not all restart at once. Rarely: a worker's memory stays flat once warm
# (bench/load.py measures it), and a recycle stalls the requests queued on that worker;
# at 2,000 requests a busy server recycled every few seconds and lost a third of its
# throughput to it. The app is loaded once, in the master, so a recycled worker is a fork
# rather than a new import of Django and every app. Nothing connects to the database or
# Redis at import, so no connection is shared between forked workers.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "2000"))
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def pre_fork(server, worker):
    # What the master loaded (Django, the apps, their modules) lives as long as any worker;
    # frozen, it is out of the garbage collector's reach, so a full collection in a worker
    # does not walk it (a pause of tens of milliseconds every few big pages) and does not
    # touch the memory it shares with the master.
    gc.freeze()
