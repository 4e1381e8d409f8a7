"""The timetable: generating sessions from schedules, and the exceptions staff make
(cancel one session, change its instructor, room or capacity, close for holidays).

Occurrences are computed in the gym's local wall-clock time and only then converted to
UTC, so a class at 07:00 stays at 07:00 local on both sides of a daylight-saving change
(its UTC time moves by an hour instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from dateutil.rrule import WEEKLY, rrule, rrulestr
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.services import credit_give_back
from apps.bookings.cache import timetable_changed
from apps.bookings.models import (
    LIVE_STATUSES,
    PLACE_STATUSES,
    Booking,
    BookingPolicy,
    BookingStatus,
    ClassSession,
    ClassType,
    Closure,
    Room,
    Schedule,
    SessionStatus,
    TrainerProfile,
)
from apps.bookings.policy import gym_zone
from apps.bookings.recurrence import weekly_rrule
from apps.bookings.selectors import current_gym
from apps.bookings.services.booking import (
    _lock_session,
    _promote_waitlisted,
    session_notice_context,
)
from apps.bookings.services.reminders import booking_reminders_cancel, session_reminders_sync
from apps.common.errors import ApplicationError
from apps.notifications.services import notify

MAX_RRULE_LENGTH = 300


def rrule_validate(text: str) -> str:
    """A schedule's RRULE must parse and repeat no more often than daily."""
    text = (text or "").strip().upper()
    if not text:
        return ""
    if len(text) > MAX_RRULE_LENGTH or "\n" in text:
        raise ApplicationError(_("The recurrence rule is too long."), code="invalid_rrule")
    if text.startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if any(part in text for part in ("FREQ=SECONDLY", "FREQ=MINUTELY", "FREQ=HOURLY")):
        raise ApplicationError(_("Classes can repeat at most daily."), code="invalid_rrule")
    try:
        rrulestr(text, dtstart=datetime(2026, 1, 1))
    except (ValueError, TypeError) as exc:
        raise ApplicationError(
            _("The recurrence rule is not valid: %(error)s") % {"error": exc}, code="invalid_rrule"
        ) from None
    return text


def schedule_occurrences(schedule: Schedule, first: date, last: date) -> list[datetime]:
    """Local (naive) start times of `schedule` on the days first..last, both included."""
    first = max(first, schedule.starts_on)
    if schedule.ends_on:
        last = min(last, schedule.ends_on)
    if first > last:
        return []
    dtstart = datetime.combine(schedule.starts_on, schedule.start_time)
    window_start = datetime.combine(first, datetime.min.time())
    window_end = datetime.combine(last, datetime.max.time())
    if schedule.rrule:
        rule = rrulestr(schedule.rrule, dtstart=dtstart)
    elif schedule.weekdays:
        rule = rrule(WEEKLY, byweekday=sorted(set(schedule.weekdays)), dtstart=dtstart)
    else:
        return []
    return rule.between(window_start, window_end, inc=True)


def _closed_days(first: date, last: date) -> set[date]:
    days = set()
    for closure in Closure.objects.filter(starts_on__lte=last, ends_on__gte=first):
        day = max(closure.starts_on, first)
        while day <= min(closure.ends_on, last):
            days.add(day)
            day += timedelta(days=1)
    return days


def sessions_generate(
    *, today: date | None = None, weeks: int | None = None, schedule: Schedule | None = None
) -> int:
    """Create the sessions of every active schedule (of an active class) from today to
    `weeks` ahead (the policy's `generate_weeks_ahead` by default); with `schedule`, of
    that one only, and none that would start in the past (a set-up change publishes at
    once). Idempotent: one session per (schedule, occurrence), whatever staff did to it
    since. Returns how many were created."""
    gym = current_gym()
    zone = gym_zone(gym)
    today = today or timezone.now().astimezone(zone).date()
    weeks = weeks or BookingPolicy.load().generate_weeks_ahead
    last = today + timedelta(weeks=weeks)
    closed = _closed_days(today, last)
    new = []
    schedules = Schedule.objects.filter(is_active=True, class_type__is_active=True).select_related(
        "class_type", "room"
    )
    not_before = None
    if schedule is not None:
        schedules = schedules.filter(pk=schedule.pk)
        not_before = timezone.now()
    for schedule in schedules:
        room = schedule.room or schedule.class_type.room
        capacity = schedule.capacity or schedule.class_type.capacity
        if room is not None:
            capacity = min(capacity, room.capacity)
        minutes = schedule.duration_minutes or schedule.class_type.duration_minutes
        for local in schedule_occurrences(schedule, today, last):
            if local.date() in closed:
                continue
            # fold=0: an ambiguous hour (autumn) means the first one; a missing hour
            # (spring) resolves to the same instant as the hour after.
            starts_at = local.replace(tzinfo=zone).astimezone(UTC)
            if not_before is not None and starts_at <= not_before:
                continue
            new.append(
                ClassSession(
                    schedule=schedule,
                    occurrence=starts_at,
                    class_type=schedule.class_type,
                    instructor_id=schedule.instructor_id,
                    room=room,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=minutes),
                    capacity=capacity,
                )
            )
    if not new:
        return 0
    existing = set(
        ClassSession.objects.filter(
            schedule__isnull=False,
            occurrence__gte=min(s.occurrence for s in new),
            occurrence__lte=max(s.occurrence for s in new),
        ).values_list("schedule_id", "occurrence")
    )
    new = [s for s in new if (s.schedule_id, s.occurrence) not in existing]
    # The unique (schedule, occurrence) constraint settles a race with another run.
    ClassSession.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    if new:
        timetable_changed()
    return len(new)


def _reason_for_members(reason: str | None) -> str:
    """The reason members will read in their cancellation email: one line, at most 200
    characters, and required."""
    reason = " ".join((reason or "").split())[:200]
    if not reason:
        raise ApplicationError(
            _("Give a reason; members will read it."),
            code="reason_required",
            details={"reason": [_("This field is required.")]},
        )
    return reason


def session_cancel(*, session: ClassSession, reason: str, by=None) -> ClassSession:
    """Cancel one session: every live booking is cancelled without penalty and the
    members (booked and waitlisted) are told why."""
    reason = _reason_for_members(reason)
    gym = current_gym()
    with transaction.atomic():
        session = _lock_session(session.pk)
        if session.status == SessionStatus.CANCELLED:
            raise ApplicationError(_("This class is already cancelled."), code="already_cancelled")
        session.status = SessionStatus.CANCELLED
        session.cancelled_reason = reason
        session.save(update_fields=["status", "cancelled_reason"])
        now = timezone.now()
        live = list(
            Booking.objects.filter(session=session, status__in=LIVE_STATUSES).select_related(
                "member"
            )
        )
        context = {**session_notice_context(session, gym), "reason": reason}
        for booking in live:
            booking.status = BookingStatus.CANCELLED
            booking.cancelled_at = now
            credit_give_back(booking=booking, reason="class_cancelled_by_gym")
            notify(
                booking.member,
                "session_cancelled",
                context,
                dedupe_key=f"session-cancelled:{booking.pk}",
            )
        Booking.objects.bulk_update(live, ["status", "cancelled_at"])
        booking_reminders_cancel([b.pk for b in live])
        timetable_changed()
    return session


def session_update(
    *,
    session: ClassSession,
    instructor: TrainerProfile | None = None,
    room: Room | None = None,
    capacity: int | None = None,
    starts_at: datetime | None = None,
    by=None,
) -> ClassSession:
    """Change one session's instructor, room, capacity or start (the class keeps its
    length; booked members' reminders move with it). More places go to the waitlist;
    fewer than the members already booked are refused. A new time, trainer or room is
    told to the members holding a place or waiting (`session_changed`), once per change:
    a value equal to the current one changes nothing and tells nobody."""
    gym = current_gym()
    with transaction.atomic():
        session = _lock_session(session.pk)
        fields = []
        old_local = session_notice_context(session, gym)["starts_local"]
        moved = starts_at is not None and starts_at != session.starts_at
        if instructor is not None and instructor.pk == session.instructor_id:
            instructor = None
        if room is not None and room.pk == session.room_id:
            room = None
        if moved:
            if session.status != SessionStatus.SCHEDULED or starts_at <= timezone.now():
                raise ApplicationError(
                    _("Only a scheduled class can move, and only to a time ahead."),
                    code="invalid_start",
                    details={"starts_at": [_("Choose a time ahead.")]},
                )
            session.ends_at = starts_at + (session.ends_at - session.starts_at)
            session.starts_at = starts_at
            fields += ["starts_at", "ends_at"]
        if instructor is not None:
            session.instructor = instructor
            fields.append("instructor")
        if room is not None:
            session.room = room
            fields.append("room")
        if capacity is not None:
            booked = Booking.objects.filter(session=session, status__in=PLACE_STATUSES).count()
            if capacity < max(booked, 1):
                raise ApplicationError(
                    _("%(n)s members are already booked; the capacity cannot be lower.")
                    % {"n": booked},
                    code="capacity_below_booked",
                    details={"capacity": [_("At least %(n)s.") % {"n": max(booked, 1)}]},
                )
            session.capacity = capacity
            fields.append("capacity")
        if fields:
            session.save(update_fields=fields)
        if moved:
            session_reminders_sync(session=session)
        if moved or instructor is not None or room is not None:
            _tell_changed(session, gym, old_local, moved=moved, instructor=instructor, room=room)
        if capacity is not None:
            _promote_waitlisted(
                session=session, policy=BookingPolicy.load(), gym=gym, now=timezone.now()
            )
        timetable_changed()
    return session


def _tell_changed(session, gym, old_local, *, moved, instructor, room) -> int:
    """Tell the members with a place (or waiting) what changed about their class."""
    live = list(
        Booking.objects.filter(session=session, status__in=LIVE_STATUSES).select_related("member")
    )
    context = {
        **session_notice_context(session, gym),
        "old_starts_local": old_local,
        "moved": moved,
        "new_instructor": instructor.display_name if instructor is not None else "",
        "new_room": room.name if room is not None else "",
    }
    for booking in live:
        notify(booking.member, "session_changed", context)
    return len(live)


def closure_create(*, starts_on: date, ends_on: date, reason: str, by=None) -> Closure:
    """Close the gym for classes on starts_on..ends_on (local dates): sessions on those
    days are cancelled (members told) and no new ones are generated there."""
    if ends_on < starts_on:
        raise ApplicationError(
            _("The closure must end on or after its first day."),
            code="invalid_dates",
            details={"ends_on": [_("Before the first day.")]},
        )
    if (ends_on - starts_on).days > 366:
        raise ApplicationError(_("A closure can last at most a year."), code="invalid_dates")
    reason = _reason_for_members(reason)
    zone = gym_zone(current_gym())
    start = datetime.combine(starts_on, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(ends_on + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    with transaction.atomic():
        closure = Closure.objects.create(starts_on=starts_on, ends_on=ends_on, reason=reason)
        affected = ClassSession.objects.filter(
            status=SessionStatus.SCHEDULED, starts_at__gte=start, starts_at__lt=end
        )
        for session in affected:
            session_cancel(session=session, reason=reason, by=by)
    return closure


# --- Schedules from the dashboard --------------------------------------------------------
# The form picks weekdays; the service stores them as an RFC 5545 rule (`rrule`, the
# truth the generator reads) and as `weekdays` (for lists and the admin), then publishes
# the schedule's sessions at once.

SCHEDULE_FIELDS = (
    "class_type",
    "instructor",
    "room",
    "weekdays",
    "start_time",
    "duration_minutes",
    "capacity",
    "starts_on",
    "ends_on",
)


@dataclass
class ScheduleResult:
    """What a schedule change did to the timetable, for the page to say."""

    schedule: Schedule
    created: int = 0
    removed: int = 0
    kept: list[ClassSession] = field(default_factory=list)


def _schedule_clean(data: dict) -> dict:
    data = {key: data.get(key) for key in SCHEDULE_FIELDS}
    errors = {}
    weekdays = sorted({int(d) for d in data["weekdays"] or []})
    if not weekdays or any(not 0 <= d <= 6 for d in weekdays):
        errors["weekdays"] = [_("Choose at least one day.")]
    if data["starts_on"] is None:
        errors["starts_on"] = [_("This field is required.")]
    elif data["ends_on"] is not None and data["ends_on"] < data["starts_on"]:
        errors["ends_on"] = [_("The last day is before the first day.")]
    if data["start_time"] is None:
        errors["start_time"] = [_("This field is required.")]
    if data["capacity"] is not None and not 1 <= data["capacity"] <= 1000:
        errors["capacity"] = [_("Between 1 and 1000.")]
    if data["duration_minutes"] is not None and not 5 <= data["duration_minutes"] <= 600:
        errors["duration_minutes"] = [_("Between 5 and 600 minutes.")]
    if data["class_type"] is None or not data["class_type"].is_active:
        errors["class_type"] = [_("Choose an active class.")]
    if data["instructor"] is not None and not data["instructor"].is_active:
        errors["instructor"] = [_("This trainer is not active.")]
    if errors:
        raise ApplicationError(
            next(iter(errors.values()))[0], code="invalid_schedule", details=errors
        )
    data["weekdays"] = weekdays
    data["rrule"] = rrule_validate(weekly_rrule(weekdays))
    return data


def _future_sessions_clear(schedule: Schedule) -> tuple[int, list[ClassSession]]:
    """Take the schedule's upcoming sessions off the timetable so the new rule can publish
    them again; a session with a member booked or waiting stays as it is (returned as
    kept: staff move or cancel it on its page). A staff-cancelled session stays cancelled.
    A session whose bookings were all cancelled is cancelled and let go of its occurrence
    (its booking history stays); one that never had a booking is deleted."""
    upcoming = ClassSession.objects.select_for_update().filter(
        schedule=schedule, status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now()
    )
    kept, removed = [], 0
    for session in upcoming.prefetch_related("bookings"):
        statuses = {b.status for b in session.bookings.all()}
        if statuses & set(LIVE_STATUSES):
            kept.append(session)
        elif statuses:
            session.status = SessionStatus.CANCELLED
            session.cancelled_reason = _("The schedule changed.")
            session.schedule = None
            session.occurrence = None
            session.save(update_fields=["status", "cancelled_reason", "schedule", "occurrence"])
            removed += 1
        else:
            session.delete()
            removed += 1
    return removed, kept


def schedule_create(*, data: dict, by=None) -> ScheduleResult:
    """A new weekly schedule, its sessions published at once. The same schedule twice
    (a double submit) is refused: the class row is locked while checking."""
    data = _schedule_clean(data)
    with transaction.atomic():
        ClassType.objects.select_for_update().get(pk=data["class_type"].pk)
        same = Schedule.objects.filter(
            is_active=True,
            class_type=data["class_type"],
            rrule=data["rrule"],
            start_time=data["start_time"],
            starts_on=data["starts_on"],
            instructor=data["instructor"],
            room=data["room"],
        )
        if same.exists():
            raise ApplicationError(
                _("This schedule already exists."),
                code="duplicate_schedule",
                details={"__all__": [_("This schedule already exists.")]},
            )
        schedule = Schedule.objects.create(**data)
        created = sessions_generate(schedule=schedule)
        timetable_changed()
    return ScheduleResult(schedule=schedule, created=created)


def schedule_update(*, schedule: Schedule, data: dict, by=None) -> ScheduleResult:
    """Change a schedule: its upcoming sessions without bookings are published again from
    the new rule; those with bookings are kept as they were (see `_future_sessions_clear`)."""
    data = _schedule_clean(data)
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
        for key, value in data.items():
            setattr(schedule, key, value)
        schedule.is_active = True
        schedule.save()
        removed, kept = _future_sessions_clear(schedule)
        created = sessions_generate(schedule=schedule)
        timetable_changed()
    return ScheduleResult(schedule=schedule, created=created, removed=removed, kept=kept)


def schedule_stop(*, schedule: Schedule, by=None) -> ScheduleResult:
    """Stop a schedule: no new sessions; its upcoming sessions without bookings go, those
    with bookings stay until staff cancel them (members are then told why)."""
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
        today = timezone.now().astimezone(gym_zone(current_gym())).date()
        schedule.is_active = False
        if schedule.ends_on is None or schedule.ends_on > today:
            schedule.ends_on = max(today, schedule.starts_on)
        schedule.save(update_fields=["is_active", "ends_on"])
        removed, kept = _future_sessions_clear(schedule)
        timetable_changed()
    return ScheduleResult(schedule=schedule, removed=removed, kept=kept)
