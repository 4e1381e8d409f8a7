"""The timetable cache: the shared part of a timetable (everything but the member's own
booking), keyed by a per-gym version that every change to classes or bookings bumps.

On by default (BOOKINGS_TIMETABLE_CACHE_SECONDS, 60 s; 0 turns it off). Two levels: the
rows live in Redis (shared by every worker) and, once read, in the worker's memory (a
timetable is ~90 kB: fetching and unpickling it on every request cost more CPU than the
rest of the view). Both are keyed by the version, so the one Redis GET of the version per
request is what makes a change visible at once everywhere.

The version is bumped at once and again after commit: a reader that cached rows between
the two (seeing the old data) stored them under the old version, which nobody reads any
more. Who bumps: every booking/class service, and model signals on sessions, bookings,
class types, rooms and trainers (so admin edits, scripts using the ORM and fixtures
invalidate too; see apps.bookings.signals). Only writes that bypass the ORM (raw SQL,
queryset.update()) are bounded by the time to live. A transaction that changed the
timetable reads it from the database until it commits (`pending_change`). Cache keys
carry the schema themselves (and django_tenants' key function adds it again), so gyms
never share entries; the after-commit bump uses the schema of the write, not whatever is
current at commit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

from django.core.cache import cache
from django.db import connection, transaction

logger = logging.getLogger(__name__)


def version_key(schema: str | None = None) -> str:
    return f"bookings:timetable:{schema or connection.schema_name}:version"


def timetable_version() -> int:
    try:
        # One GET per timetable request (the platform cache reuses its Redis client:
        # apps/common/cache.py).
        return int(cache.get(version_key()) or 0)
    except Exception:  # a dead cache only costs speed
        logger.warning("Timetable cache unavailable", exc_info=True)
        return -1


def _bump(key: str) -> None:
    try:
        try:
            cache.incr(key)
        except ValueError:  # no version yet
            cache.add(key, 1, None)
    except Exception:  # see timetable_version
        logger.warning("Timetable cache version not bumped", exc_info=True)


class _BumpOnCommit:
    """The after-commit bump, recognisable so a transaction registers it only once."""

    def __init__(self, key: str):
        self.key = key

    def __call__(self) -> None:
        _bump(self.key)


def pending_change(key: str | None = None) -> bool:
    """Whether the current transaction changed the timetable and has not committed yet.
    Such a transaction sees rows nobody else sees (and may roll back): it must neither
    read the shared cache (stale for it) nor fill it (phantom rows for everyone else)."""
    if not connection.in_atomic_block:
        return False
    key = key or version_key()
    return any(
        isinstance(func, _BumpOnCommit) and func.key == key
        for _sids, func, *_rest in connection.run_on_commit
    )


def timetable_changed() -> None:
    """Call from every write that changes what the timetable shows. Within a transaction
    the first call bumps and registers the after-commit bump; later calls (a promotion
    loop, signals after a service's own call) add nothing: other connections see no
    change before commit, and the bump after commit covers every change made."""
    key = version_key()
    if pending_change(key):
        return
    _bump(key)
    transaction.on_commit(_BumpOnCommit(key))


def cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - see timetable_version
        return None


def cache_set(key: str, value, seconds: int) -> None:
    try:
        cache.set(key, value, seconds)
    except Exception:  # see timetable_version
        logger.warning("Timetable not cached", exc_info=True)


class LocalCache:
    """A small per-process LRU with expiry (keys carry schema and version)."""

    def __init__(self, size: int = 64):
        self.size = size
        self._entries: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def set(self, key: str, value, seconds: int) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


local_rows = LocalCache()
