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
  discussion token is replaced, the latest-comments block dropped, the sessions and users
  this process changed meanwhile forgotten): writes made during the outage could not
  replace the tokens that keep cached pages current, and Redis may come back with its old
  data.

Each failure is logged (once every few seconds, not once per call). Counters (incr/decr)
still raise, so their callers (view counting, rate limits) decide what a lost count means.
"""

import functools
import hashlib
import logging
import os
import pickle
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError

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
    from comments import fragments
    from comments.services import LATEST_CACHE_KEY

    try:
        RedisCache.set(cache, fragments.SITE_TOKEN_KEY, f"after-outage-{time.time()}", None)
        RedisCache.delete(cache, LATEST_CACHE_KEY)
    except RedisError as error:
        note_failure("recovery", error)
        return
    from . import snapshots

    snapshots.settle()  # sessions and users changed while Redis was away
    logger.warning("cache available again; what it held before is treated as stale")


def _unavailable(cache):
    """Whether a call must do without Redis now. The first call after an outage first
    makes what was cached before stale (_recovered), before it reads anything."""
    if _had_outage and not redis_is_down():
        _recovered(cache)
    return redis_is_down()


def _degrading(operation, fallback):
    def method(self, *args, **kwargs):
        if _unavailable(self):
            return fallback(*args, **kwargs) if callable(fallback) else fallback
        try:
            result = getattr(super(ResilientRedisCache, self), operation)(*args, **kwargs)
        except RedisError as error:
            note_failure(operation, error)
            return fallback(*args, **kwargs) if callable(fallback) else fallback
        return result

    method.__name__ = operation
    return method


class ReusingRedisCacheClient(RedisCacheClient):
    """Django builds a new redis.Redis around the connection pool for every cache call;
    building one costs more CPU than the round trip itself (redis-py fills its table of
    response callbacks each time), and a cached page costs a call or two. One client per
    pool is kept instead: a redis.Redis is safe to share between threads."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

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
        if _unavailable(self):
            raise RedisUnavailable("the cache is unavailable")
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            note_failure("incr", error)
            raise

    def decr(self, key, delta=1, version=None):
        if _unavailable(self):
            raise RedisUnavailable("the cache is unavailable")
        try:
            return super().decr(key, delta, version)
        except RedisError as error:
            note_failure("decr", error)
            raise

    def incr_counters(self, counters):
        """INCR every (key, timeout) in one round trip, creating a missing counter at 0
        with its timeout first (SET NX), so exactly one caller sees it created.
        Returns [(created, value)]. Raises like incr while Redis is away."""
        if _unavailable(self):
            raise RedisUnavailable("the cache is unavailable")
        keys = [self.make_and_validate_key(key) for key, _timeout in counters]
        timeouts = [self.get_backend_timeout(timeout) or 0 for _key, timeout in counters]
        client = self._cache.get_client(keys[0], write=True)
        try:
            # One command for all the counters (a script, sent once and then called by its
            # digest): this runs for every reader of a cached page.
            replies = run_script(client, _INCR_COUNTERS, keys, timeouts)
        except RedisError as error:
            note_failure("incr_counters", error)
            raise
        return _counted(replies, 0)

    def get_current(self, key, token_keys, counters=()):
        """See get_current() below: here in one round trip, one script. A value that came
        from Redis is also kept in the process (_near), and the script is told its
        signature: while it is current, Redis need not send it again."""
        if _unavailable(self):
            return None, {}, None
        n = len(token_keys)
        # make_key, not make_and_validate_key: these keys are ours, and the memcached-style
        # check of every character is a tenth of a cached page's CPU.
        made_key = self.make_key(key)
        keys = [made_key] + [self.make_key(k) for k in token_keys]
        keys += [self.make_key(counter) for counter, _timeout in counters]
        timeouts = [self.get_backend_timeout(timeout) or 0 for _counter, timeout in counters]
        near = _near.get(made_key)
        client = self._cache.get_client(made_key)
        try:
            signature = near.signature if near else ""
            reply = run_script(client, _CURRENT, keys, [n, signature, *timeouts])
        except RedisError as error:
            note_failure("get_current", error)
            return None, {}, None
        loads = self._cache._serializer.loads
        tokens = {
            token_key: None if raw is None else loads(raw)
            for token_key, raw in zip(token_keys, reply[3 : 3 + n], strict=True)
        }
        found = reply[0]
        if found == FOUND_NOWHERE:
            return None, tokens, None
        counted = _counted(reply, 3 + n)
        if found == FOUND_NEAR:
            return near.value, tokens, counted
        stored, milliseconds_left = reply[1], reply[2]
        value = pickle.loads(stored[SIGNATURE_LENGTH:])
        _near.keep(made_key, stored[:SIGNATURE_LENGTH], value, len(stored), milliseconds_left)
        return value, tokens, counted

    def get_many_counting(self, keys, counters):
        """See get_many_counting() below: here in one round trip, one script."""
        if _unavailable(self):
            return {}, None
        made_keys = [self.make_key(key) for key in keys]  # ours: see get_current
        counter_keys = [self.make_key(counter) for counter, _timeout in counters]
        timeouts = [self.get_backend_timeout(timeout) or 0 for _counter, timeout in counters]
        client = self._cache.get_client(made_keys[0])
        try:
            keys_sent = made_keys + counter_keys
            reply = run_script(client, _MANY_COUNTING, keys_sent, [len(keys), *timeouts])
        except RedisError as error:
            note_failure("get_many_counting", error)
            return {}, None
        loads = self._cache._serializer.loads
        n = len(keys)
        found = {
            key: loads(raw) for key, raw in zip(keys, reply[:n], strict=True) if raw is not None
        }
        if len(reply) == n:
            return found, None
        return found, _counted(reply, n)

    def set_current(self, key, value, token_values, timeout):
        """See set_current() below."""
        if _unavailable(self):
            return
        dumps = self._cache._serializer.dumps
        signature = _signature([dumps(token) for token in token_values])
        key = self.make_and_validate_key(key)
        try:
            self._cache.get_client(key, write=True).set(
                key, signature + pickle.dumps(value), ex=self.get_backend_timeout(timeout)
            )
        except RedisError as error:
            note_failure("set_current", error)


def _counted(reply, start):
    """The (created, count) pairs COUNT_LUA appended to a script's reply from `start`."""
    return [(bool(reply[i]), reply[i + 1]) for i in range(start, len(reply), 2)]


class _OwnConnection(threading.local):
    connection = None
    pid = None
    pool = None


_own = _OwnConnection()


@dataclass(frozen=True)
class LuaScript:
    """A script sent to Redis once and then called by its digest (EVALSHA)."""

    script: str

    @functools.cached_property
    def sha(self):
        return hashlib.sha1(self.script.encode()).hexdigest()


def run_script(client, script, keys, args):
    """A LuaScript called on this thread's own connection to the Redis of `client`,
    without the client's pool and retry machinery: for the one command of a cached page,
    that machinery costs more CPU than sending the command and reading the answer. The
    answer is EVALSHA's; errors are RedisError. A connection found dead (Redis restarted
    or closed it) is replaced once: a script that counts may then count twice."""
    for attempt in (1, 2):
        connection = _own_connection(client)
        try:
            try:
                return _command(connection, "EVALSHA", script.sha, len(keys), *keys, *args)
            except NoScriptError:  # a restarted Redis has forgotten it
                _command(connection, "SCRIPT", "LOAD", script.script)
                return _command(connection, "EVALSHA", script.sha, len(keys), *keys, *args)
        except RedisConnectionError:
            connection.disconnect()
            _own.connection = None
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _command(connection, *args):
    connection.send_command(*args)
    return connection.read_response()


def _own_connection(client):
    pool = client.connection_pool
    if _own.connection is None or _own.pid != os.getpid() or _own.pool is not pool:
        # A forked worker never shares its parent's socket.
        _own.connection = pool.connection_class(**pool.connection_kwargs)
        _own.pid = os.getpid()
        _own.pool = pool
    return _own.connection


def _signature(raw_tokens):
    """What a value kept by set_current() starts with: the SHA-1 (hex) of its tokens as
    Redis holds them, each preceded by its length; the script computes the same."""
    joined = b"".join(str(len(raw)).encode() + b":" + raw for raw in raw_tokens)
    return hashlib.sha1(joined).hexdigest().encode()


# A counter as incr_counters() increments it: created at 0 with its timeout (seconds; 0:
# none) when missing, so exactly one caller sees it created; appends (created, count).
COUNT_LUA = """
local function count(key, timeout, reply)
    timeout = tonumber(timeout)
    local created
    if timeout > 0 then
        created = redis.call('SET', key, 0, 'NX', 'EX', timeout)
    else
        created = redis.call('SET', key, 0, 'NX')
    end
    reply[#reply + 1] = created and 1 or 0
    reply[#reply + 1] = redis.call('INCR', key)
end
"""

SIGNATURE_LENGTH = 40
FOUND_NOWHERE, FOUND_IN_REDIS, FOUND_NEAR = 0, 1, 2

# KEYS: the value's key, its n tokens, the counters; ARGV: n, the signature of the copy
# the process holds ("" for none), the counters' timeouts (0: none). Reply: how it was found,
# the stored value (when from Redis), its milliseconds to live, the n tokens, and for each
# counter (only when found) whether it was created and its new count.
CURRENT_SCRIPT = (
    COUNT_LUA
    + """
local n = tonumber(ARGV[1])
local reply = {0, false, false}
local parts = {}
local complete = true
for i = 1, n do
    local token = redis.call('GET', KEYS[1 + i])
    reply[3 + i] = token or false
    if token then
        parts[#parts + 1] = string.len(token) .. ':' .. token
    else
        complete = false
    end
end
if not complete then
    return reply
end
local signature = redis.sha1hex(table.concat(parts))
if ARGV[2] == signature then
    reply[1] = 2
else
    local stored = redis.call('GET', KEYS[1])
    if stored and string.sub(stored, 1, 40) == signature then
        reply[1] = 1
        reply[2] = stored
        reply[3] = redis.call('PTTL', KEYS[1])
    else
        return reply
    end
end
for j = n + 2, #KEYS do
    count(KEYS[j], ARGV[j - n + 1], reply)
end
return reply
"""
)


class NearCopies:
    """Values from get_current() kept in the process, by key, with their signature: a
    page read by a crowd then crosses from Redis once, not once per reader. Only ever
    used when Redis confirms, in the same round trip, that the signature is current; a
    copy lives no longer than the value did in Redis, and the copies together stay
    under a few megabytes (least recently used first out)."""

    MAX_BYTES = 2 * 1024 * 1024

    @dataclass
    class Copy:
        signature: bytes
        value: object
        size: int
        expires: float

    def __init__(self):
        self._copies = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # threaded servers (runserver, tests) share it

    def get(self, key):
        with self._lock:
            copy = self._copies.get(key)
            if copy is None:
                return None
            if copy.expires <= time.monotonic():
                self._drop(key)
                return None
            self._copies.move_to_end(key)
            return copy

    def keep(self, key, signature, value, size, milliseconds_left):
        with self._lock:
            if key in self._copies:
                self._drop(key)
            if size > self.MAX_BYTES or milliseconds_left is None or milliseconds_left <= 0:
                return
            expires = time.monotonic() + milliseconds_left / 1000
            self._copies[key] = self.Copy(signature, value, size, expires)
            self._bytes += size
            while self._bytes > self.MAX_BYTES:
                self._drop(next(iter(self._copies)))

    def clear(self):
        with self._lock:
            self._copies.clear()
            self._bytes = 0

    def _drop(self, key):
        self._bytes -= self._copies.pop(key).size


_near = NearCopies()


INCR_COUNTERS_SCRIPT = (
    COUNT_LUA
    + """
local replies = {}
for i, key in ipairs(KEYS) do
    count(key, ARGV[i], replies)
end
return replies
"""
)


# KEYS: n values, then the counters; ARGV: n, the counters' timeouts. Reply: the n values
# (false when missing) and, only when the first value is there, (created, count) for each
# counter.
MANY_COUNTING_SCRIPT = (
    COUNT_LUA
    + """
local n = tonumber(ARGV[1])
local reply = redis.call('MGET', unpack(KEYS, 1, n))
if reply[1] then
    for j = n + 1, #KEYS do
        count(KEYS[j], ARGV[j - n + 1], reply)
    end
end
return reply
"""
)


def get_many_counting(cache, keys, counters):
    """cache.get_many(keys) and, only if the first key holds a value, the counters
    incremented as incr_counters() does. Returns ({key: value}, [(created, count)] or
    None). On Redis one round trip; elsewhere a get_many and the counters."""
    fast = getattr(cache, "get_many_counting", None)
    if fast is not None:
        return fast(keys, counters)
    found = cache.get_many(keys)
    counted = incr_counters(cache, counters) if counters and keys[0] in found else None
    return found, counted


def incr_counters(cache, counters):
    """Increment counters, each created at 0 with its timeout when missing; returns
    [(created, value)]. One round trip on Redis; an add and an incr each elsewhere."""
    fast = getattr(cache, "incr_counters", None)
    if fast is not None:
        return fast(counters)
    return [(cache.add(key, 0, timeout), cache.incr(key)) for key, timeout in counters]


def get_current(cache, key, token_keys, counters=()):
    """A value kept with set_current(), if the tokens now under token_keys are the ones it
    was kept with; and, only then, the counters incremented as incr_counters() does.
    Returns (value or None, {token key: token or None}, [(created, count)] or None).
    On Redis one round trip; elsewhere a get_many and the counters."""
    fast = getattr(cache, "get_current", None)
    if fast is not None:
        return fast(key, token_keys, counters)
    found = cache.get_many([key, *token_keys])
    tokens = {token_key: found.get(token_key) for token_key in token_keys}
    entry = found.get(key)
    if entry is None or None in tokens.values() or entry[0] != list(tokens.values()):
        return None, tokens, None
    return entry[1], tokens, incr_counters(cache, counters) if counters else []


def set_current(cache, key, value, token_values, timeout):
    """Keep value under key for get_current(), with the tokens it depends on (their values,
    in the order of get_current()'s token_keys)."""
    fast = getattr(cache, "set_current", None)
    if fast is not None:
        return fast(key, value, token_values, timeout)
    cache.set(key, (list(token_values), value), timeout)
    return None


class RedisUnavailable(RedisError):
    """Raised without trying while the breaker is open."""


_CURRENT = LuaScript(CURRENT_SCRIPT)
_INCR_COUNTERS = LuaScript(INCR_COUNTERS_SCRIPT)
_MANY_COUNTING = LuaScript(MANY_COUNTING_SCRIPT)
