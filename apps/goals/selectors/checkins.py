"""Reads of daily check-ins and streaks."""

from __future__ import annotations

from datetime import timedelta

from apps.goals.dates import local_today
from apps.goals.models import CheckIn
from apps.goals.services.streaks import answerable_days, streak_read

__all__ = ["checkin_days_for_member", "checkin_list_for_member", "checkin_today", "streak_read"]


def checkin_list_for_member(*, member):
    return CheckIn.objects.filter(member=member).order_by("-on")


def checkin_today(*, member, now=None) -> dict:
    """Today's check-in, and yesterday's while it can still be answered."""
    days = answerable_days(member, now)
    rows = {c.on: c for c in CheckIn.objects.filter(member=member, on__in=days)}
    today = days[0]
    yesterday = today - timedelta(days=1)
    return {
        "day": today,
        "today": rows.get(today),
        "yesterday_open": len(days) > 1,
        "yesterday_day": yesterday,
        "yesterday": rows.get(yesterday) if len(days) > 1 else None,
    }


def checkin_days_for_member(*, member, days: int = 14, now=None) -> list[tuple]:
    """The last `days` days, oldest first: (day, check-in or None), for the strip."""
    today = local_today(member, now)
    start = today - timedelta(days=days - 1)
    rows = {c.on: c for c in CheckIn.objects.filter(member=member, on__gte=start, on__lte=today)}
    return [(start + timedelta(days=i), rows.get(start + timedelta(days=i))) for i in range(days)]
