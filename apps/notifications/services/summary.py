"""The weekly summary: each member with activity in the ISO week (a line from at least one
registered section, see apps.notifications.summary) gets one email on their local Sunday
evening (from 18:00 in the member's time zone, else the gym's), once per ISO week (dedupe
key `weekly-summary:<ISO year>-W<week>`).

Driven by the per-minute tick: outside Sunday 18:00-24:00 in every time zone on Earth
(Sunday 04:00 to Monday 12:00 UTC) it returns without a query. A worker that was down at
18:00 sends the week's summaries later that evening; a run that overlaps another sends
nothing twice (the dedupe key)."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from apps.members.models import Member
from apps.notifications import summary
from apps.notifications.models import Notification
from apps.notifications.services.hub import notify
from apps.notifications.timing import at_local

logger = logging.getLogger(__name__)

KIND = "weekly_summary"
SEND_FROM = time(18, 0)
UTC = ZoneInfo("UTC")
# Members per run: the next tick goes on (a gym of 10,000 active members takes a few).
BATCH = 500


def dedupe_key(year: int, week: int) -> str:
    return f"weekly-summary:{year}-W{week:02d}"


def sunday_evening_somewhere(now: datetime) -> bool:
    """Whether it is Sunday 18:00-24:00 in some time zone (UTC-12 to UTC+14)."""
    utc = now.astimezone(UTC)
    return (utc.isoweekday() == 7 and utc.hour >= 4) or (utc.isoweekday() == 1 and utc.hour < 12)


def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def week_bounds(now: datetime, zone: str) -> tuple[datetime, datetime]:
    """The local ISO week (Monday 00:00 to the next Monday 00:00) around `now`, in UTC
    (aware datetimes of one zone subtract as wall-clock times: a DST week would be off)."""
    local = now.astimezone(ZoneInfo(zone)).date()
    monday = local - timedelta(days=local.isoweekday() - 1)
    start = at_local(monday, time(0, 0), zone).astimezone(UTC)
    return start, at_local(monday + timedelta(days=7), time(0), zone).astimezone(UTC)


def weekly_summaries_send(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """Send the week's summary to the members whose local Sunday evening it is (and who
    had activity and have not had it yet). Returns how many were sent."""
    now = now or timezone.now()
    if not sunday_evening_somewhere(now):
        return 0
    gym = connection.tenant
    gym_zone = getattr(gym, "time_zone", "") or "UTC"
    zones = set(Member.objects.exclude(time_zone="").values_list("time_zone", flat=True).distinct())
    zones.add(gym_zone)
    sent = 0
    for zone in sorted(z for z in zones if _zone_ok(z)):
        local = now.astimezone(ZoneInfo(zone))
        if local.isoweekday() != 7 or local.time() < SEND_FROM:
            continue
        sent += _send_zone(zone, gym_zone, now, batch - sent)
        if sent >= batch:
            break
    return sent


def _send_zone(zone: str, gym_zone: str, now: datetime, limit: int) -> int:
    start, end = week_bounds(now, zone)
    year, week, _day = now.astimezone(ZoneInfo(zone)).isocalendar()
    key = dedupe_key(year, week)
    data: dict[int, list[summary.SummaryLine]] = {}
    for section in summary.sections():
        try:
            collected = section.collect(start, end)
        except Exception:  # one broken section must not stop the others' lines
            logger.exception("Weekly summary section %s failed", section.key)
            continue
        for member_id, value in collected.items():
            data.setdefault(member_id, []).append(summary.SummaryLine(section, value))
    if not data:
        return 0
    in_zone = Q(time_zone=zone) | (Q(time_zone="") if zone == gym_zone else Q(pk__in=[]))
    done = Notification.objects.filter(kind=KIND, dedupe_key=key, member__isnull=False).values(
        "member_id"
    )
    members = (
        Member.objects.filter(in_zone, pk__in=list(data))
        .exclude(pk__in=done)
        .order_by("pk")[:limit]
    )
    sent = 0
    first_day = start.astimezone(ZoneInfo(zone)).date()
    for member in members:
        context = {
            "lines": data[member.pk],
            "week": week,
            "year": year,
            "first_day": first_day,
            "last_day": first_day + timedelta(days=6),
        }
        try:
            created = notify(member, KIND, context, dedupe_key=key)
        except Exception:  # one member's failure must not stop the others' summaries
            logger.exception("Weekly summary for member %s failed", member.pk)
            continue
        sent += created is not None
    return sent
