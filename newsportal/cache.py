"""Django's Redis cache, made to degrade instead of failing when Redis is away.

The cache only ever makes pages faster; with Redis stopped or restarting, a read is a
miss and a write is skipped, and the page is built from the database as if nothing was
cached. Three things make that safe:

- A failure opens a breaker for a few seconds: while it is open no call waits for Redis
  at all, so a hung Redis (not answering, not refusing) costs one timeout, not one per
  cache call of every page.
- `add` answers "added" while Redis is away: callers use it as a lock (allauth's rate
  limits, the view-count flush) and must not wait for a lock nobody can hold.
- When Redis answers again, everything cached before is treated as stale (the site-wide
  discussion token is replaced, the latest-comments block dropped): writes made during the
  outage could not replace the tokens that keep cached pages current, and Redis may come
  back with its old data.

Each failure is logged (once every few seconds, not once per call). Counters (incr/decr)
still raise, so their callers (view counting, rate limits) decide what a lost count means.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("newsportal.cache")
LOG_EVERY_SECONDS = 10
BREAKER_SECONDS = 5

_last_logged = 0.0
_down_until = 0.0
_had_outage = False


def redis_is_down():
    return time.monotonic() < _down_until


def note_failure(operation, error):
    global _last_logged, _down_until, _had_outage
    now = time.monotonic()
    _down_until = now + BREAKER_SECONDS
    _had_outage = True
    if now - _last_logged >= LOG_EVERY_SECONDS:
        _last_logged = now
        logger.warning("cache unavailable (%s: %s); serving without it", operation, error)


def _recovered(cache):
    global _had_outage
    _had_outage = False
    logger.warning("cache available again; what it held before is treated as stale")
    from comments import fragments
    from comments.services import LATEST_CACHE_KEY

    try:
        RedisCache.set(cache, fragments.SITE_TOKEN_KEY, f"after-outage-{time.time()}", None)
        RedisCache.delete(cache, LATEST_CACHE_KEY)
    except RedisError as error:
        note_failure("recovery", error)


def _degrading(operation, fallback):
    def method(self, *args, **kwargs):
        if redis_is_down():
            return fallback(*args, **kwargs) if callable(fallback) else fallback
        try:
            result = getattr(super(ResilientRedisCache, self), operation)(*args, **kwargs)
        except RedisError as error:
            note_failure(operation, error)
            return fallback(*args, **kwargs) if callable(fallback) else fallback
        if _had_outage:
            _recovered(self)
        return result

    method.__name__ = operation
    return method


class ResilientRedisCache(RedisCache):
    get = _degrading("get", lambda key, default=None, version=None: default)
    get_many = _degrading("get_many", {})
    set = _degrading("set", None)
    add = _degrading("add", True)
    touch = _degrading("touch", False)
    delete = _degrading("delete", False)
    set_many = _degrading("set_many", lambda data, *args, **kwargs: list(data))
    delete_many = _degrading("delete_many", None)
    has_key = _degrading("has_key", False)
    clear = _degrading("clear", None)

    def incr(self, key, delta=1, version=None):
        if redis_is_down():
            raise RedisUnavailable("the cache is unavailable")
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            note_failure("incr", error)
            raise

    def decr(self, key, delta=1, version=None):
        if redis_is_down():
            raise RedisUnavailable("the cache is unavailable")
        try:
            return super().decr(key, delta, version)
        except RedisError as error:
            note_failure("decr", error)
            raise


class RedisUnavailable(RedisError):
    """Raised without trying while the breaker is open."""
