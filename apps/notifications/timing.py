"""Local-time arithmetic for quiet hours and reminders (pure functions, no database)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def quiet_until(now: datetime, tz: str, start: time | None, end: time | None) -> datetime | None:
    """When the quiet hours `start`-`end` (local, in `tz`) around `now` end, or None if
    `now` is outside them (or none are set). Hours may span midnight (22:00-07:00)."""
    if start is None or end is None or start == end:
        return None
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    t = local.time().replace(tzinfo=None)
    if start < end:
        quiet = start <= t < end
    else:
        quiet = t >= start or t < end
    if not quiet:
        return None
    end_day = local.date() if t < end else local.date() + timedelta(days=1)
    return at_local(end_day, end, tz)


def at_local(day: date, at: time, tz: str) -> datetime:
    """`day` at the wall-clock time `at` in `tz`, as an aware datetime. A time that does
    not exist (spring forward) moves forward by the gap; an ambiguous one takes the first."""
    zone = ZoneInfo(tz)
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone)
    # Round-trip through UTC: a non-existent local time comes back shifted.
    return aware.astimezone(ZoneInfo("UTC")).astimezone(zone)
