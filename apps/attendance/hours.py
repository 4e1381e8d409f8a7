"""The gym's clock: its time zone, opening-hours checks, month boundaries."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.db import connection

from apps.tenants.opening_hours import DAYS


def gym_tz():
    try:
        return zoneinfo.ZoneInfo(getattr(connection.tenant, "time_zone", "UTC") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def within_hours(hours: dict, moment: datetime) -> bool:
    """Whether `moment` falls in `hours` ({"mon": [["06:00", "22:00"]], ...}), read in the
    gym's time zone."""
    local = moment.astimezone(gym_tz())
    hhmm = local.strftime("%H:%M")
    return any(start <= hhmm < end for start, end in (hours or {}).get(DAYS[local.weekday()], []))


def month_start(moment: datetime) -> datetime:
    local = moment.astimezone(gym_tz())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
