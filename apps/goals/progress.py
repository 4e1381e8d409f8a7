"""Where a goal's progress comes from: sources of readings, one rule per goal type.

A **source** gives the readings of one goal within a span of the member's days:

    progress.register_source("strength", fn)
    fn(*, goal, start: date, end: date) -> Iterable[Reading]

`start` and `end` are the member's calendar days (inclusive). A reading is
`Reading(on, value, unit)`: the member's day it happened, a `Decimal`, and its unit
(converted to the goal's unit here, kg <-> lb; a reading in a unit that does not convert
to the goal's is ignored). A source only reads, must be cheap (it runs on each refresh of
the goal) and must not count the same thing twice across calls. The workouts issue
registers one for strength, volume and endurance (its logged sets), in its apps.py
`ready()`, and calls `services.goals.goals_refresh_for_member(member=..., types=[...])`
after it logs sets. Registering the same function twice (a second `ready()`) replaces it.
(A workout may instead write `GoalEntry` rows with `source="workouts"` and a
`source_ref`: the built-in entries source below already counts them.)

How the readings of all sources of a type make the goal's current value (the rule):
- visits: door visits, **one per member-local day** (a desk check-in is a visit; scanning
  out and in again at lunch does not count twice), in the current week/month;
- classes: bookings marked attended, by the class's start, in the current week/month;
- body weight: the latest weight since the goal's start (else the start value);
- strength: the best entry since the start;
- volume, endurance: the sum of the entries in the current week/month;
- custom: the latest entry (a number the member tracks: a 5 km time, a waist size).
Period goals (visits, classes, volume, endurance) count within the current week (Monday
to Sunday) or month of the member's calendar (`apps.goals.dates`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Min
from django.db.models.functions import TruncDate

from apps.attendance.models import Visit
from apps.bookings.models import Booking, BookingStatus
from apps.goals.dates import member_zone, month_start, week_start
from apps.goals.models import BodyWeight, Goal, GoalType, Period
from apps.goals.units import KG, convert, convertible


class Reading(NamedTuple):
    on: date
    value: Decimal
    unit: str


COUNT, LATEST, BEST, SUM = "count", "latest", "best", "sum"
RULES = {
    GoalType.VISITS: COUNT,
    GoalType.CLASSES: COUNT,
    GoalType.BODY_WEIGHT: LATEST,
    GoalType.STRENGTH: BEST,
    GoalType.VOLUME: SUM,
    GoalType.ENDURANCE: SUM,
    GoalType.CUSTOM: LATEST,
}
PERIOD_TYPES = (GoalType.VISITS, GoalType.CLASSES, GoalType.VOLUME, GoalType.ENDURANCE)
# Types the member enters by hand (the others count themselves).
MANUAL_TYPES = (GoalType.STRENGTH, GoalType.VOLUME, GoalType.ENDURANCE, GoalType.CUSTOM)

Source = Callable[..., Iterable[Reading]]
_sources: dict[str, dict[str, Source]] = {t: {} for t in GoalType.values}


def register_source(goal_type: str, fn: Source) -> None:
    if goal_type not in _sources:
        raise ValueError(f"Unknown goal type {goal_type!r}")
    _sources[goal_type][f"{fn.__module__}.{fn.__qualname__}"] = fn


def unregister_source(goal_type: str, fn: Source) -> None:
    """Take a source out again (a test's stand-in, a feature switched off)."""
    _sources[goal_type].pop(f"{fn.__module__}.{fn.__qualname__}", None)


def sources(goal_type: str) -> list[Source]:
    return list(_sources[goal_type].values())


# --- Periods -----------------------------------------------------------------------------


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """The week (Monday-Sunday) or month containing `day`, both days inclusive."""
    if period == Period.MONTH:
        first = month_start(day)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1)
    first = week_start(day)
    return first, first + timedelta(days=6)


def _instants(member, start: date, end: date) -> tuple[datetime, datetime]:
    zone = member_zone(member)
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


# --- Built-in sources --------------------------------------------------------------------


def visit_readings(*, goal: Goal, start: date, end: date) -> list[Reading]:
    member = goal.member
    since, until = _instants(member, start, end)
    days = (
        Visit.objects.filter(member_id=member.pk, entered_at__gte=since, entered_at__lt=until)
        .annotate(day=TruncDate("entered_at", tzinfo=member_zone(member)))
        .values("day")
        .annotate(first=Min("entered_at"))
        .values_list("day", flat=True)
    )
    return [Reading(day, Decimal(1), "visits") for day in days]


def class_readings(*, goal: Goal, start: date, end: date) -> list[Reading]:
    member = goal.member
    since, until = _instants(member, start, end)
    zone = member_zone(member)
    starts = Booking.objects.filter(
        member_id=member.pk,
        status=BookingStatus.ATTENDED,
        session__starts_at__gte=since,
        session__starts_at__lt=until,
    ).values_list("session__starts_at", flat=True)
    return [Reading(at.astimezone(zone).date(), Decimal(1), "classes") for at in starts]


def body_weight_readings(*, goal: Goal, start: date, end: date) -> list[Reading]:
    rows = BodyWeight.objects.filter(member_id=goal.member_id, on__gte=start, on__lte=end)
    return [Reading(on, kg, KG) for on, kg in rows.values_list("on", "weight_kg")]


def entry_readings(*, goal: Goal, start: date, end: date) -> list[Reading]:
    rows = goal.entries.filter(on__gte=start, on__lte=end).order_by("on", "id")
    return [Reading(on, value, unit) for on, value, unit in rows.values_list("on", "value", "unit")]


register_source(GoalType.VISITS, visit_readings)
register_source(GoalType.CLASSES, class_readings)
register_source(GoalType.BODY_WEIGHT, body_weight_readings)
for _type in MANUAL_TYPES:
    register_source(_type, entry_readings)


# --- The rule ----------------------------------------------------------------------------


def measure(goal: Goal, start: date, end: date) -> Decimal | None:
    """The goal's value over [start, end] by its type's rule, in the goal's unit; None when
    nothing was read (a body weight or custom goal with no entry yet)."""
    readings = [
        Reading(r.on, convert(r.value, r.unit, goal.unit), goal.unit)
        for fn in sources(goal.type)
        for r in fn(goal=goal, start=start, end=end)
        if convertible(r.unit, goal.unit)
    ]
    rule = RULES[goal.type]
    if rule == COUNT:
        return Decimal(len(readings))
    if rule == SUM:
        return sum((r.value for r in readings), Decimal(0))
    if not readings:
        return None
    if rule == BEST:
        return max(r.value for r in readings)
    # The latest day; on one day, the last entered (max keeps the first of equals).
    return max(reversed(readings), key=lambda r: r.on).value
