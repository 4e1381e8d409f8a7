"""A member's calendar: their own time zone when set, else the gym's.

A check-in's day, a goal's week and "today" on every member page and endpoint of this app
come from here, so a member in Lisbon of a gym in Madrid answers for their own day."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from django.utils import timezone

from apps.attendance.hours import gym_tz


def member_zone(member) -> zoneinfo.ZoneInfo:
    name = getattr(member, "time_zone", "") or ""
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass  # a zone the tz database no longer has: the gym's is the honest fallback
    return gym_tz()


def local_now(member, now: datetime | None = None) -> datetime:
    return (now or timezone.now()).astimezone(member_zone(member))


def local_today(member, now: datetime | None = None) -> date:
    return local_now(member, now).date()


def local_day(member, moment: datetime) -> date:
    """The member's calendar day of an aware moment (a door entry, a class start)."""
    return moment.astimezone(member_zone(member)).date()


def week_start(day: date) -> date:
    """Monday of `day`'s ISO week (weeks are Monday to Sunday, as in the gym's reports)."""
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)
