"""Reads for the door: the door rules, a member's rotating pass code, what a kiosk shows,
occupancy now, typical occupancy, visit history (current schema)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from apps.attendance import codes
from apps.attendance.hours import gym_tz, month_start, within_hours
from apps.attendance.models import DeniedAttempt, DoorSettings, Kiosk, MemberPass, Visit
from apps.members.models import Member
from apps.tenants.models import Gym
from apps.tenants.opening_hours import DAYS

TYPICAL_WEEKS = 4
TYPICAL_CACHE_SECONDS = 15 * 60


# --- Door rules ----------------------------------------------------------------------

# Every scan needs the door rules and the gym's hours: this process keeps them for a few
# seconds per gym (a change applies to scans within that time; this process's own
# changes at once). Measured: two of a scan's ten round trips.
RULES_CACHE_SECONDS = 5.0
_rules_cache: dict[str, tuple[float, DoorSettings, dict]] = {}


def door_cache_clear(schema: str | None = None) -> None:
    """Forget the cached door rules of one gym (by schema), or of every gym."""
    if schema is None:
        _rules_cache.clear()
    else:
        _rules_cache.pop(schema, None)


def door_settings_get() -> DoorSettings:
    return DoorSettings.load()


def door_rules() -> tuple[DoorSettings, dict]:
    """(door settings, {"opening_hours", "time_zone"}) of the current gym, read fresh at
    most every RULES_CACHE_SECONDS. A kiosk socket holds the gym it resolved at connect
    for days, so its hours come from here, not from that object."""
    schema = connection.schema_name
    hit = _rules_cache.get(schema)
    now = monotonic()
    if hit is not None and hit[0] > now:
        return copy.copy(hit[1]), hit[2]
    door = door_settings_get()
    hours = (
        Gym.objects.filter(schema_name=schema).values("opening_hours", "time_zone").first() or {}
    )
    _rules_cache[schema] = (now + RULES_CACHE_SECONDS, door, hours)
    return copy.copy(door), hours


def gym_hours_refresh() -> None:
    """Bring the socket's gym object up to date with the hours the rules use."""
    gym = connection.tenant
    _door, hours = door_rules()
    if hours:
        gym.opening_hours, gym.time_zone = hours["opening_hours"], hours["time_zone"]


# --- Passes and kiosks ---------------------------------------------------------------


def pass_rotating_code(
    *, member: Member, door_pass: MemberPass, now: datetime | None = None
) -> dict:
    """The code the app shows now, and when to fetch the next."""
    now = now or timezone.now()
    step = codes.step_of(now)
    expires = datetime.fromtimestamp((step + 1) * codes.STEP_SECONDS, tz=UTC)
    return {
        "code": codes.rotating_code(member_id=member.pk, secret=door_pass.secret, step=step),
        "expires_at": expires,
        "refresh_seconds": codes.STEP_SECONDS,
        "member_number": member.number,
        "has_card": door_pass.has_active_card,
    }


def kiosk_config_by_id(*, kiosk_id: int) -> dict | None:
    kiosk = Kiosk.objects.filter(pk=kiosk_id, revoked_at__isnull=True).first()
    gym_hours_refresh()
    return kiosk_config(kiosk=kiosk) if kiosk else None


def kiosk_config(*, kiosk: Kiosk) -> dict:
    """What a kiosk shows and needs: pushed on connect and when the settings change."""
    gym = connection.tenant
    door = door_settings_get()
    return {
        "kiosk": {"id": kiosk.pk, "name": kiosk.name, "mode": kiosk.mode},
        "gym": {"name": gym.name, "time_zone": gym.time_zone},
        "opening_hours": gym.opening_hours,
        "open_now": within_hours(gym.opening_hours, timezone.now()),
        "message": door.kiosk_message,
        "anti_passback": door.anti_passback,
    }


# --- Occupancy and visits ------------------------------------------------------------


def busy_level(*, count: int, capacity: int, busy_percent: int, very_busy_percent: int):
    """quiet / busy / very_busy / full, or None when the gym has set no capacity."""
    if capacity <= 0:
        return None
    percent = 100 * count / capacity
    if percent >= 100:
        return "full"
    if percent >= very_busy_percent:
        return "very_busy"
    if percent >= busy_percent:
        return "busy"
    return "quiet"


def occupancy_count() -> int:
    return Visit.objects.filter(exited_at__isnull=True).count()


def occupancy_now() -> dict:
    door = DoorSettings.load()
    count = occupancy_count()
    return {
        "count": count,
        "capacity": door.capacity or None,
        "percent": round(100 * count / door.capacity) if door.capacity else None,
        "level": busy_level(
            count=count,
            capacity=door.capacity,
            busy_percent=door.busy_percent,
            very_busy_percent=door.very_busy_percent,
        ),
        "at": timezone.now(),
    }


def typical_occupancy(*, now: datetime | None = None) -> dict:
    """Average people inside per weekday and hour (gym time) over the last four weeks:
    a visit counts in every hour it touches. Cached for 15 minutes (per gym: the cache
    key carries the schema)."""
    key = "attendance:typical"
    live = now is None
    if live and (cached := cache.get(key)) is not None:
        return cached
    now = now or timezone.now()
    tz = gym_tz()
    since = now - timedelta(weeks=TYPICAL_WEEKS)
    table = Visit._meta.db_table
    sql = f"""
        SELECT extract(isodow FROM h)::int, extract(hour FROM h)::int, count(*)
        FROM {table} v,
             generate_series(
                 date_trunc('hour', v.entered_at AT TIME ZONE %(tz)s),
                 LEAST(COALESCE(v.exited_at, %(now)s), %(now)s) AT TIME ZONE %(tz)s,
                 interval '1 hour'
             ) AS h
        WHERE v.entered_at >= %(since)s AND v.entered_at < %(now)s
        GROUP BY 1, 2
    """  # noqa: S608 - the table name is ours; values are parameters
    grid = [[0.0] * 24 for _ in DAYS]
    with connection.cursor() as cursor:
        cursor.execute(sql, {"tz": str(tz), "now": now, "since": since})
        for isodow, hour, n in cursor.fetchall():
            grid[isodow - 1][hour] = round(n / TYPICAL_WEEKS, 1)
    data = {
        "weeks": TYPICAL_WEEKS,
        "time_zone": str(tz),
        "days": [{"day": day, "hours": grid[i]} for i, day in enumerate(DAYS)],
    }
    if live:  # a figure for another moment must not stand in for "now" for 15 minutes
        cache.set(key, data, TYPICAL_CACHE_SECONDS)
    return data


def _day_bounds(day: date, end: bool = False) -> datetime:
    moment = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    return timezone.make_aware(moment, gym_tz())


def visit_list(*, filters: dict | None = None) -> QuerySet[Visit]:
    """Visits, newest first; filters: member (id), date_from, date_to (gym-local dates,
    inclusive), inside (bool)."""
    filters = filters or {}
    visits = Visit.objects.select_related("member", "kiosk", "checked_in_by")
    if filters.get("member"):
        visits = visits.filter(member_id=filters["member"])
    if filters.get("date_from"):
        visits = visits.filter(entered_at__gte=_day_bounds(filters["date_from"]))
    if filters.get("date_to"):
        visits = visits.filter(entered_at__lt=_day_bounds(filters["date_to"], end=True))
    if filters.get("inside"):
        visits = visits.filter(exited_at__isnull=True)
    return visits


def denied_list(*, limit: int = 20) -> QuerySet[DeniedAttempt]:
    return DeniedAttempt.objects.select_related("member", "kiosk")[:limit]


def member_attendance(*, member) -> dict:
    now = timezone.now()
    counts = Visit.objects.filter(member=member).aggregate(
        total=Count("id"), this_month=Count("id", filter=Q(entered_at__gte=month_start(now)))
    )
    last = Visit.objects.filter(member=member).order_by("-entered_at").first()
    return {**counts, "last": last}


def kiosk_list() -> QuerySet[Kiosk]:
    return Kiosk.objects.all()


def setup_kiosk_done() -> bool:
    return Kiosk.objects.filter(revoked_at__isnull=True).exists()
