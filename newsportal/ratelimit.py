"""Abuse limits kept in the cache, so they hold across every app server sharing Redis.

Each limit is a burst and a steady rate ("5 at once, then one every 20 seconds"),
enforced with the generic cell rate algorithm (GCRA): one number per key, its theoretical
arrival time (when the key's budget would be whole again). On Redis the check-and-set of
all of a request's buckets (its user's and its address's) is one Lua script, one round
trip, so parallel requests cannot slip past it; on the local-memory cache (development,
one process) a lock serves the same purpose.
"""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import ngettext
from redis.exceptions import RedisError

from .cache import LuaScript, note_failure, redis_is_down, run_script

logger = logging.getLogger("newsportal.ratelimit")
_local_lock = threading.Lock()

# Every bucket of a request in one round trip, atomically: if any bucket is spent, the
# seconds to wait for the first such one and nothing is spent; otherwise one unit is
# spent from each. KEYS: the buckets; ARGV: now, then interval and tolerance per bucket.
GCRA_SCRIPT = """
local now = tonumber(ARGV[1])
local new_tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i])
  local tolerance = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  if tat - now > tolerance then
    return tostring(tat - now - tolerance)
  end
  new_tats[i] = tat + interval
end
for i, key in ipairs(KEYS) do
  local ttl = math.ceil((new_tats[i] - now) * 1000) + 1000
  redis.call('SET', key, tostring(new_tats[i]), 'PX', ttl)
end
return '0'
"""


@dataclass(frozen=True)
class Limit:
    burst: int
    every: float  # seconds per request once the burst is spent

    @property
    def tolerance(self):
        return self.every * (self.burst - 1)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0


def limits():
    return getattr(settings, "RATE_LIMITS", {})


def client_ip(request):
    header = getattr(settings, "RATE_LIMIT_IP_HEADER", "")
    if header and request.META.get(header):
        # Set only behind a proxy that overwrites this header; the first address is the client.
        return request.META[header].split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


def _redis_client():
    backend = getattr(cache, "_cache", None)
    if backend is not None and hasattr(backend, "get_client"):
        return backend.get_client(write=True)
    return None


_GCRA = LuaScript(GCRA_SCRIPT)


def _spend(buckets, now):
    """Spend one unit from every (key, Limit) bucket, or from none if any is spent: the
    seconds to wait (0.0 when spent). One script on Redis, so parallel requests cannot
    slip past it; a process lock around the same arithmetic on other caches."""
    client = _redis_client()
    if client is not None:
        keys = [cache.make_and_validate_key(key) for key, _limit in buckets]
        arguments = [now]
        for _key, limit in buckets:
            arguments += [limit.every, limit.tolerance]
        return float(run_script(client, _GCRA, keys, arguments))
    with _local_lock:
        new_tats = []
        for key, limit in buckets:
            tat = max(cache.get(key, now), now)
            if tat - now > limit.tolerance:
                return tat - now - limit.tolerance
            new_tats.append(tat + limit.every)
        for (key, _limit), new_tat in zip(buckets, new_tats, strict=True):
            cache.set(key, new_tat, timeout=int(new_tat - now) + 1)
        return 0.0


def check(buckets):
    """Spend one request from every (key, Limit) bucket; refused if any is spent.

    A refused request spends nothing, so a user waiting out the limit is not pushed further.
    """
    if not getattr(settings, "RATE_LIMITS_ENABLED", True):
        return Verdict(True)
    # Without the shared store there is no fair count; requests go through rather than the
    # site going down with Redis, and the log says so.
    if redis_is_down():
        _say_limits_are_off()
        return Verdict(True)
    try:
        return _check(buckets)
    except RedisError as error:
        note_failure("rate limits", error)
        _say_limits_are_off()
        return Verdict(True)


_last_said = 0.0


def _say_limits_are_off():
    global _last_said
    now = time.monotonic()
    if now - _last_said >= 10:
        _last_said = now
        logger.warning("rate limits are off: the cache is unavailable")


def _check(buckets):
    if not buckets:
        return Verdict(True)
    wait = _spend(buckets, time.time())
    if wait > 0:
        return Verdict(False, retry_after=max(1, round(wait + 0.5)))
    return Verdict(True)


def for_request(request, scope):
    """The verdict for a write of `scope` by this request's user and IP address.

    RATE_LIMITS[scope] gives a Limit per identity: "user", "new_user" (accounts younger
    than RATE_LIMIT_NEW_ACCOUNT_HOURS) and "ip", which is looser: many readers share an
    address behind mobile carriers' NAT.
    """
    config = limits().get(scope, {})
    buckets = []
    user = request.user
    if user.is_authenticated:
        kind = "new_user" if "new_user" in config and _is_new(user) else "user"
        if kind in config:
            buckets.append((f"rl:{scope}:user:{user.pk}", Limit(*config[kind])))
    if "ip" in config:
        buckets.append((f"rl:{scope}:ip:{client_ip(request)}", Limit(*config["ip"])))
    return check(buckets)


def _is_new(user):
    hours = getattr(settings, "RATE_LIMIT_NEW_ACCOUNT_HOURS", 24)
    joined = getattr(user, "date_joined", None)
    return joined is not None and (time.time() - joined.timestamp()) < hours * 3600


def refusal_message(verdict):
    return ngettext(
        "You are doing that too often. Please wait %(seconds)d second and try again.",
        "You are doing that too often. Please wait %(seconds)d seconds and try again.",
        verdict.retry_after,
    ) % {"seconds": verdict.retry_after}


def refused(request, verdict, back):
    """The answer to a write over its limit: 429 for the page's script, otherwise a message
    and the way back. Nothing was written."""
    message = refusal_message(verdict)
    if "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"error": message}, status=429)
    else:
        messages.error(request, message)
        response = redirect(back)
    response["Retry-After"] = str(verdict.retry_after)
    return response
