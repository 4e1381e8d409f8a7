"""DRF's user and anonymous rate throttles, with their history kept in Redis by one script.

DRF's SimpleRateThrottle reads the history (a pickled list of request times) from the
cache, trims it, and writes it back: two round trips and a pickle of up to `rate` floats
on every API request, and two requests that read at once both count as one. Here the
same sliding window lives in a Redis sorted set and one Lua script trims it, counts, and
records the request only when it is allowed (as DRF does), atomically, in one round trip.

Same rules as DRF: a request is refused when the window (`duration` seconds back from
now, an entry exactly that old no longer counts) already holds `num_requests` allowed
requests; refusals are not recorded; Retry-After is DRF's `wait()` (the time until the
oldest entry leaves the window, shared among the requests left). Same keys' scope and
identity (user id, else the client IP as DRF reads it), under the cache's key function,
so each gym has its own histories. Rates come from DEFAULT_THROTTLE_RATES as before.
"""

from __future__ import annotations

import random

from django.core.cache import cache
from rest_framework import throttling

# KEYS[1] the history; ARGV: now, the window's start (now - duration: entries at or
# before it no longer count), duration (s), the limit, a unique member for this request.
# Times travel as Python's repr of the float (Lua would print numbers with 14 digits).
# Answers {allowed (0/1), requests in the window, the oldest entry's time}.
_SCRIPT = """
local key = KEYS[1]
redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[2])
local count = redis.call('ZCARD', key)
if count >= tonumber(ARGV[4]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    return {0, count, oldest[2] or ARGV[1]}
end
redis.call('ZADD', key, ARGV[1], ARGV[5])
redis.call('EXPIRE', key, ARGV[3])
return {1, count + 1, ARGV[1]}
"""

_scripts: dict[int, object] = {}  # redis client id -> its registered script


def _script(client):
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_SCRIPT)
    return script


class RedisLogThrottleMixin:
    """allow_request/wait of SimpleRateThrottle on a Redis sorted set (see the module)."""

    # Not DRF's key names: its keys hold pickled lists, these hold sorted sets.
    cache_format = "throttle-log_%(scope)s_%(ident)s"

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        key = cache.make_and_validate_key(self.key)
        client = cache.redis_client(key, write=True)
        member = f"{self.now!r}:{random.getrandbits(64):x}"
        args = [repr(self.now), repr(self.now - self.duration), self.duration, self.num_requests]
        allowed, count, oldest = _script(client)(keys=[key], args=[*args, member])
        self.count = int(count)
        self.oldest = float(oldest)
        return bool(allowed)

    def wait(self) -> float | None:
        remaining_duration = self.duration - (self.now - self.oldest)
        available_requests = self.num_requests - self.count + 1
        if available_requests <= 0:
            return None
        return remaining_duration / float(available_requests)


class AnonRateThrottle(RedisLogThrottleMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(RedisLogThrottleMixin, throttling.UserRateThrottle):
    pass
