"""Django's Redis cache, made to degrade instead of failing when Redis is away.

The cache only ever makes pages faster; with Redis stopped or restarting, a read is a
miss and a write is skipped, and the page is built from the database as if nothing was
cached. Each failure is logged (once every few seconds, not once per call). Counters
(incr/decr) still raise, so their callers (view counting, rate limits) can decide what a
lost count means for them.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("newsportal.cache")
LOG_EVERY_SECONDS = 10
_last_logged = 0.0


def _log_failure(operation, error):
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= LOG_EVERY_SECONDS:
        _last_logged = now
        logger.warning("cache unavailable (%s: %s); serving without it", operation, error)


def _degrading(operation, fallback):
    def method(self, *args, **kwargs):
        try:
            return getattr(super(ResilientRedisCache, self), operation)(*args, **kwargs)
        except RedisError as error:
            _log_failure(operation, error)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    method.__name__ = operation
    return method


class ResilientRedisCache(RedisCache):
    get = _degrading("get", lambda key, default=None, version=None: default)
    get_many = _degrading("get_many", {})
    set = _degrading("set", None)
    add = _degrading("add", False)  # "not added": a lock is not taken, a flush is skipped
    touch = _degrading("touch", False)
    delete = _degrading("delete", False)
    set_many = _degrading("set_many", lambda data, *args, **kwargs: list(data))
    delete_many = _degrading("delete_many", None)
    has_key = _degrading("has_key", False)
    clear = _degrading("clear", None)
