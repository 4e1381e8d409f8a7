"""An optional cache of the timetable's shared part (everything but the member's own
booking), keyed by a per-gym version that every change to classes or bookings bumps.

Off unless BOOKINGS_TIMETABLE_CACHE_SECONDS > 0. The version is bumped at once and again
after commit: a reader that cached rows between the two (seeing the old data) stored them
under the old version, which nobody reads any more. Writes that bypass the services
(scripts, raw SQL) are bounded by the time to live. Cache keys carry the schema
themselves (and django_tenants' key function adds it again), so gyms never share entries;
the after-commit bump uses the schema of the write, not whatever is current at commit.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection, transaction

logger = logging.getLogger(__name__)


def version_key(schema: str | None = None) -> str:
    return f"bookings:timetable:{schema or connection.schema_name}:version"


def timetable_version() -> int:
    try:
        return int(cache.get(version_key()) or 0)
    except Exception:  # noqa: BLE001 - a dead cache only costs speed
        logger.warning("Timetable cache unavailable", exc_info=True)
        return -1


def _bump(key: str) -> None:
    try:
        try:
            cache.incr(key)
        except ValueError:  # no version yet
            cache.add(key, 1, None)
    except Exception:  # noqa: BLE001 - see timetable_version
        logger.warning("Timetable cache version not bumped", exc_info=True)


def timetable_changed() -> None:
    """Call from every write that changes what the timetable shows."""
    key = version_key()
    _bump(key)
    transaction.on_commit(lambda: _bump(key))


def cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - see timetable_version
        return None


def cache_set(key: str, value, seconds: int) -> None:
    try:
        cache.set(key, value, seconds)
    except Exception:  # noqa: BLE001 - see timetable_version
        logger.warning("Timetable not cached", exc_info=True)
