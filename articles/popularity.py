"""Readers' views of articles and "Самое читаемое", without a database write per view.

Counting. A reader's view (a GET of a public article from something that is not a bot or a
prefetch) increments counters in the cache only, with atomic cache.incr (Redis INCR with
the Redis backend):

- `views:n:<day>:<article>`: the views of one article on one day (Almaty time) that are not
  in the database yet;
- `views:seq:<day>` and `views:slot:<day>:<n>`: the register of which articles have such a
  counter that day. The view that creates a day's counter (created only if missing, so by exactly
  one request) takes the next slot number with incr and writes the article id there;
- `views:total` and `views:since`: how many views wait for the database altogether, and the
  time of the oldest; they decide when a flush is due.

Flushing moves the counters into ArticleStats.views and ArticleDailyViews with F() updates,
in one transaction of a handful of queries whatever the number of articles. It runs:

- from the view path, when `views:total` reaches a multiple of ARTICLE_VIEWS_FLUSH_EVERY
  (N, cluster-wide) or the oldest waiting view is ARTICLE_VIEWS_FLUSH_SECONDS old (T; each
  process looks at that at most every few seconds);
- from cron: `python manage.py flush_article_views`.

Only one flush runs at a time (a lock taken with cache.add). A flush reads each counter and
then *subtracts* what it read with an atomic decr, rather than deleting or resetting it, so
views counted while it runs stay in the counter for the next flush; if the database write
fails, the amounts are added back. If two flushes ever overlapped (the lock expired), one
that drives a counter below zero gives the excess back, so nothing is counted twice.
Counters live for VIEW_TTL days; the register of a day that has been flushed after it
ended is marked done and no longer read.
"""

import functools
import logging
import re
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from datetime import time as clock

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Case, F, IntegerField, PositiveBigIntegerField, Sum, Value, When
from django.utils import timezone

from newsportal.cache import incr_counters

from .models import Article, ArticleDailyViews, ArticleStats

logger = logging.getLogger(__name__)

VIEW_TTL = 8 * 24 * 3600
LOOKBACK_DAYS = 7
FLUSH_LOCK_SECONDS = 120
TIME_CHECK_EVERY = 5  # seconds between a process's looks at views:since
DAY_DONE_GRACE = timedelta(minutes=10)
MOST_READ_KEY = "articles:most-read"
MOST_READ_SECONDS = 300
MOST_READ_COUNT = 5
UPDATE_CHUNK = 500

TOTAL_KEY = "views:total"
SINCE_KEY = "views:since"
LOCK_KEY = "views:flushing"

# Obvious robots and link previewers; browsers always send a User-Agent.
BOT_AGENT = re.compile(
    r"bot|crawl|spider|slurp|preview|monitor|headless|lighthouse|facebookexternalhit|"
    r"whatsapp|curl|wget|python-|go-http-client|java/|okhttp|httpclient|scrapy|feedfetcher",
    re.IGNORECASE,
)
PREFETCH_HEADERS = ("Purpose", "Sec-Purpose", "X-Purpose", "X-Moz")

_next_time_check = 0.0  # per process: when to look at views:since again


def flush_every():
    return getattr(settings, "ARTICLE_VIEWS_FLUSH_EVERY", 5000)


def flush_seconds():
    return getattr(settings, "ARTICLE_VIEWS_FLUSH_SECONDS", 30)


@functools.lru_cache(maxsize=8)  # every counted view names today
def day_key(day):
    return day.strftime("%Y%m%d")


def count_key(day, article_pk):
    return f"views:n:{day_key(day)}:{article_pk}"


def seq_key(day):
    return f"views:seq:{day_key(day)}"


def slot_key(day, number):
    return f"views:slot:{day_key(day)}:{number}"


def done_key(day):
    return f"views:done:{day_key(day)}"


@functools.lru_cache(maxsize=2048)
def _is_robot(agent):
    # Remembered: a crowd's browsers send a few hundred distinct strings, and searching
    # each for every robot's name costs more than the rest of counting the view.
    return not agent.strip() or BOT_AGENT.search(agent) is not None


PREFETCH_META = tuple("HTTP_" + header.upper().replace("-", "_") for header in PREFETCH_HEADERS)


def is_countable(request):
    """A reader's own look at the page: not HEAD or POST, not a robot, not a prefetch."""
    if request.method != "GET":
        return False
    # From META rather than request.headers: this runs for every reader of a cached page.
    meta = request.META
    agent = meta.get("HTTP_USER_AGENT", "")
    # Only ordinary lengths are remembered: the memo must not grow with what a client sends.
    if _is_robot(agent) if len(agent) <= 512 else _is_robot.__wrapped__(agent):
        return False
    for header in PREFETCH_META:
        value = meta.get(header, "").lower()
        if "prefetch" in value or "prerender" in value or "preview" in value:
            return False
    return True


def stored_views(article):
    try:
        stats = article.stats  # fetched with the article (select_related) on its page
    except ArticleStats.DoesNotExist:
        return 0
    return stats.views


def view_article(request, article):
    """Count the request as a view when it is one (flushing the counters if that is due);
    return the number to show on the page: the views in the database and today's still in
    the cache."""
    shown = stored_views(article)
    if not article.is_public or not is_countable(request):
        return shown
    try:
        pending, total = _counted_or_record(request, article.pk)
    except Exception:  # the cache is down: a page without its count beats no page
        logger.warning("could not count a view of article %s", article.pk, exc_info=True)
        return shown
    _flush_if_due(total)
    return shown + max(pending, 0)


def count_view(request, article_pk):
    """Count a view of a page served from the page cache (the article view did not run)."""
    if not is_countable(request):
        return
    try:
        _pending, total = _counted_or_record(request, article_pk)
    except Exception:  # the cache is down: the page still goes out
        logger.warning("could not count a view of article %s", article_pk, exc_info=True)
        return
    _flush_if_due(total)


COUNTED_ATTRIBUTE = "view_counted"


def note_counted(request, article_pk, counted):
    """The view_counters() of article_pk were incremented for this request along with a
    cache lookup (articles.reader_page): the view must not be counted again."""
    setattr(request, COUNTED_ATTRIBUTE, (article_pk, counted))


def _counted_or_record(request, article_pk):
    already = getattr(request, COUNTED_ATTRIBUTE, None)
    if already is not None and already[0] == article_pk:
        return views_counted(article_pk, already[1])
    return record_view(article_pk)


_day = (None, 0.0, 0.0)  # (the date, when it starts and ends as time.time())


def today():
    """The site's date (TIME_ZONE), worked out once a day rather than for every counted
    view, where timezone.localdate() is a tenth of a cached page's CPU."""
    global _day
    day, starts, ends = _day
    now = time.time()
    if not starts <= now < ends:
        zone = timezone.get_default_timezone()
        day = timezone.localdate(timezone=zone)
        starts = datetime.combine(day, clock.min, tzinfo=zone).timestamp()
        ends = datetime.combine(day + timedelta(days=1), clock.min, tzinfo=zone).timestamp()
        _day = (day, starts, ends)
    return day


def view_counters(article_pk):
    """The counters one view increments, as (key, timeout) for cache.incr_counters()
    (the page cache increments them in the same round trip as it finds the page)."""
    return [(count_key(today(), article_pk), VIEW_TTL), (TOTAL_KEY, None)]


def record_view(article_pk):
    """Count one view in the cache: (today's pending views of the article, all pending)."""
    # Both counters in one round trip: this runs for every reader of a cached page.
    return views_counted(article_pk, incr_counters(cache, view_counters(article_pk)))


def views_counted(article_pk, counted):
    """After view_counters() were incremented (counted: [(created, value)]): put a new
    day's counter in the day's register. Returns (pending views of the article, all)."""
    (created, pending), (_, total) = counted
    if created:
        _register(today(), article_pk)
    if total == 1:
        cache.add(SINCE_KEY, _wall(), None)
    return pending, total


def counted_from_cache(article_pk, counted):
    """A view counted by the page cache's lookup: the rest of count_view()."""
    try:
        _pending, total = views_counted(article_pk, counted)
    except Exception:
        logger.warning("could not count a view of article %s", article_pk, exc_info=True)
        return
    _flush_if_due(total)


def _flush_if_due(total):
    if _flush_due(total):
        try:
            flush()
        except Exception:
            logger.exception("flushing article views failed; they stay in the cache")


def _wall():
    return time.time()


def _monotonic():
    return time.monotonic()


def _incr(key, timeout, amount=1):
    """incr that creates the key when missing; returns the new value."""
    try:
        return cache.incr(key, amount)
    except ValueError:
        if cache.add(key, amount, timeout):
            return amount
        return cache.incr(key, amount)


def _register(day, article_pk):
    """Put the article in the day's register; called by the one request that created the
    day's counter."""
    number = _incr(seq_key(day), timeout=VIEW_TTL)
    cache.set(slot_key(day, number), article_pk, VIEW_TTL)


def _flush_due(total):
    global _next_time_check
    every = flush_every()
    if every and total >= every and total % every == 0:
        return True
    now = _monotonic()
    if now < _next_time_check:
        return False
    _next_time_check = now + TIME_CHECK_EVERY
    since = cache.get(SINCE_KEY)
    if since is None:
        cache.add(SINCE_KEY, _wall(), None)
        return False
    return _wall() - since >= flush_seconds()


def flush():
    """Move the counted views into the database. Returns the number of views moved, or
    None when another flush is running."""
    token = uuid.uuid4().hex
    if not cache.add(LOCK_KEY, token, FLUSH_LOCK_SECONDS):
        return None
    try:
        return _flush()
    finally:
        if cache.get(LOCK_KEY) == token:
            cache.delete(LOCK_KEY)


def _flush():
    now = timezone.localtime()
    today = now.date()
    days = [today - timedelta(days=back) for back in range(LOOKBACK_DAYS + 1)]
    done = cache.get_many([done_key(day) for day in days])
    days = [day for day in days if done_key(day) not in done]
    sequences = cache.get_many([seq_key(day) for day in days])

    counters = {}  # counter key -> (day, article pk)
    for day in days:
        last = sequences.get(seq_key(day)) or 0
        slots = _get_many([slot_key(day, number) for number in range(1, last + 1)])
        for article_pk in slots.values():
            counters[count_key(day, article_pk)] = (day, article_pk)

    claimed = {}  # (day, article pk) -> views
    for key, value in _get_many(list(counters)).items():
        amount = _claim(key, value)
        if amount:
            claimed[counters[key]] = amount

    if claimed:
        try:
            _write(claimed)
        except Exception:
            for (day, article_pk), amount in claimed.items():
                _incr(count_key(day, article_pk), VIEW_TTL, amount)
            raise
    moved = sum(claimed.values())
    _settle_total(moved)
    for day in days:
        ended = timezone.make_aware(datetime.combine(day + timedelta(days=1), clock.min))
        if day < today and now >= ended + DAY_DONE_GRACE:
            cache.set(done_key(day), True, VIEW_TTL)
    return moved


def _get_many(keys, chunk=1000):
    found = {}
    for start in range(0, len(keys), chunk):
        found.update(cache.get_many(keys[start : start + chunk]))
    return found


def _claim(key, value):
    """Take `value` views out of the counter; views added meanwhile stay in it."""
    if not isinstance(value, int) or value <= 0:
        return 0
    try:
        left = cache.decr(key, value)
    except ValueError:  # expired since we read it
        return 0
    if left < 0:  # someone else took part of it (only if flushes overlapped)
        give_back = min(value, -left)
        cache.incr(key, give_back)
        value -= give_back
    return value


def _settle_total(moved):
    """Take the moved views off views:total. When nothing was waiting, whatever the total
    still says is stale (counters that expired unflushed): drop it too."""
    if not moved:
        moved = cache.get(TOTAL_KEY) or 0
    try:
        left = cache.decr(TOTAL_KEY, moved) if moved else 0
    except ValueError:
        left = 0
    if left > 0:
        cache.set(SINCE_KEY, _wall(), None)
    else:
        cache.delete(SINCE_KEY)
        if left < 0:  # views counted between a counter's incr and the total's
            _incr(TOTAL_KEY, None, -left)


@transaction.atomic
def _write(claimed):
    by_article = defaultdict(int)
    by_day = defaultdict(dict)
    for (day, article_pk), amount in claimed.items():
        by_article[article_pk] += amount
        by_day[day][article_pk] = amount
    # Views of articles deleted meanwhile are dropped.
    existing = set(Article.objects.filter(pk__in=by_article).values_list("pk", flat=True))
    ArticleStats.objects.bulk_create(
        [ArticleStats(article_id=pk) for pk in existing], ignore_conflicts=True
    )
    ArticleDailyViews.objects.bulk_create(
        [
            ArticleDailyViews(article_id=pk, day=day, views=0)
            for day, amounts in by_day.items()
            for pk in amounts
            if pk in existing
        ],
        ignore_conflicts=True,
    )
    _add_views(ArticleStats.objects.all(), "article_id", by_article, existing)
    for day, amounts in by_day.items():
        _add_views(ArticleDailyViews.objects.filter(day=day), "article_id", amounts, existing)


def _add_views(queryset, column, amounts, existing):
    """views = views + CASE column WHEN pk THEN n ... END, a chunk of articles per query."""
    pks = sorted(pk for pk in amounts if pk in existing)
    for start in range(0, len(pks), UPDATE_CHUNK):
        chunk = pks[start : start + UPDATE_CHUNK]
        increment = Case(
            *[When(**{column: pk}, then=Value(amounts[pk])) for pk in chunk],
            default=Value(0),
            output_field=PositiveBigIntegerField(),
        )
        queryset.filter(**{f"{column}__in": chunk}).update(views=F("views") + increment)


# "Самое читаемое"


def most_read():
    """{"day": [...], "week": [...]}: the most read published articles of the last 24 hours
    and of the last 7 days, cached for a few minutes."""
    lists = cache.get(MOST_READ_KEY)
    if lists is None:
        lists = top_day_and_week()
        cache.set(MOST_READ_KEY, lists, MOST_READ_SECONDS)
    return lists


# Candidates for the day's list are taken from the week's most read: an article read a
# lot in the last 24 hours is among the week's first hundred.
DAY_CANDIDATES = 100


def top_day_and_week(count=MOST_READ_COUNT, now=None):
    """Both lists from one query: the week's most read, each with its 24-hour score."""
    now = timezone.localtime(now)
    today = now.date()
    midnight = timezone.make_aware(datetime.combine(today, clock.min))
    remaining = max(0.0, 1 - (now - midnight).total_seconds() / 86400)
    day_weight = Case(
        When(daily_views__day=today, then=Value(1000)),
        When(daily_views__day=today - timedelta(days=1), then=Value(round(1000 * remaining))),
        default=Value(0),
        output_field=IntegerField(),
    )
    candidates = list(
        Article.objects.published()
        .for_listing()
        .filter(daily_views__day__gte=today - timedelta(days=6), daily_views__day__lte=today)
        .annotate(
            score=Sum("daily_views__views"),
            day_score=Sum(F("daily_views__views") * day_weight),
        )
        .filter(score__gt=0)
        .order_by("-score", "-published_at", "-pk")[:DAY_CANDIDATES]
    )
    by_day = sorted(
        (a for a in candidates if a.day_score > 0),
        key=lambda a: (-a.day_score, -a.published_at.timestamp(), -a.pk),
    )
    return {"day": by_day[:count], "week": candidates[:count]}


def top_articles(window, count=MOST_READ_COUNT, now=None):
    """Views are kept per day, so "the last 24 hours" is today plus the part of yesterday
    that is still within 24 hours (in proportion); "the week" is today and six days back."""
    now = timezone.localtime(now)
    today = now.date()
    if window == "day":
        start = today - timedelta(days=1)
        midnight = timezone.make_aware(datetime.combine(today, clock.min))
        remaining = max(0.0, 1 - (now - midnight).total_seconds() / 86400)
        weight = Case(
            When(daily_views__day=today, then=Value(1000)),
            default=Value(round(1000 * remaining)),
            output_field=IntegerField(),
        )
    else:
        start = today - timedelta(days=6)
        weight = Value(1, output_field=IntegerField())
    return list(
        Article.objects.published()
        .for_listing()
        .filter(daily_views__day__gte=start, daily_views__day__lte=today)
        .annotate(score=Sum(F("daily_views__views") * weight))
        .filter(score__gt=0)
        .order_by("-score", "-published_at", "-pk")[:count]
    )
