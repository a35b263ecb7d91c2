"""Rows read on every signed-in request (the session, the user), kept in the shared cache
for a short while so that a signed-in page can be served without the database.

The database stays the truth; the cache holds a copy for at most AUTH_CACHE_SECONDS.
Whoever changes a row forgets its copy at once, on every app server, since the cache is
shared:

- a copy is put in the cache only by a reader, with `add` (fill), never over what is
  there: a reader that read the row before a change cannot put the old row back after it;
  and a writer never puts one (its copy could land after another server's change);
- forgetting leaves a marker (GONE) for a few seconds rather than deleting the copy, and
  again after the transaction commits: a reader that read the row just before the change
  cannot put the old row back in the moment between its read and its `add`;
- a change made while Redis is away cannot reach the cache: its key is remembered and
  forgotten as soon as Redis answers again (newsportal.cache calls settle()), and the
  copy is at most AUTH_CACHE_SECONDS old in any case. While Redis is away nothing is read
  from it at all.

Off (0) when the cache is each process's own memory: one worker could not reach another's
copy to forget it.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

GONE = "gone"
# Longer than any moment between a reader's database read and its fill.
GONE_SECONDS = 5

_unsettled = set()


def seconds():
    return getattr(settings, "AUTH_CACHE_SECONDS", 0)


def enabled():
    return seconds() > 0


def read(key):
    """The copy under key, GONE, or None."""
    return cache.get(key)


def fill(key, value, timeout=None):
    """Keep a copy just read from the database, unless something is there already."""
    timeout = seconds() if timeout is None else min(timeout, seconds())
    if timeout > 0:
        cache.add(key, value, timeout)


def forget(key, using=None):
    """The row changed (or is gone): the copy must not be served again."""
    _forget_now(key)
    if transaction.get_connection(using).in_atomic_block:
        transaction.on_commit(lambda: _forget_now(key), using=using)


def _forget_now(key):
    cache.set(key, GONE, GONE_SECONDS)
    _remember_if_lost(key)


def _remember_if_lost(key):
    from .cache import redis_is_down

    if redis_is_down():
        _unsettled.add(key)


def settle():
    """Forget what could not be forgotten while Redis was away (see the module docstring)."""
    from .cache import redis_is_down

    for key in list(_unsettled):
        cache.set(key, GONE, GONE_SECONDS)
        if redis_is_down():
            return
        _unsettled.discard(key)
