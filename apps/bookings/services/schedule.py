"""The timetable: generating sessions from schedules, and the exceptions staff make
(cancel one session, change its instructor, room or capacity, close for holidays).

Occurrences are computed in the gym's local wall-clock time and only then converted to
UTC, so a class at 07:00 stays at 07:00 local on both sides of a daylight-saving change
(its UTC time moves by an hour instead).
"""

from __future__ import annotations

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
    Closure,
    Room,
    Schedule,
    SessionStatus,
    TrainerProfile,
)
from apps.bookings.policy import gym_zone
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


def sessions_generate(*, today: date | None = None, weeks: int | None = None) -> int:
    """Create the sessions of every active schedule from today to `weeks` ahead (the
    policy's `generate_weeks_ahead` by default). Idempotent: one session per (schedule,
    occurrence), whatever staff did to it since. Returns how many were created."""
    gym = current_gym()
    zone = gym_zone(gym)
    today = today or timezone.now().astimezone(zone).date()
    weeks = weeks or BookingPolicy.load().generate_weeks_ahead
    last = today + timedelta(weeks=weeks)
    closed = _closed_days(today, last)
    new = []
    schedules = Schedule.objects.filter(is_active=True).select_related("class_type", "room")
    for schedule in schedules:
        room = schedule.room or schedule.class_type.room
        capacity = schedule.capacity or schedule.class_type.capacity
        if room is not None:
            capacity = min(capacity, room.capacity)
        for local in schedule_occurrences(schedule, today, last):
            if local.date() in closed:
                continue
            # fold=0: an ambiguous hour (autumn) means the first one; a missing hour
            # (spring) resolves to the same instant as the hour after.
            starts_at = local.replace(tzinfo=zone).astimezone(UTC)
            new.append(
                ClassSession(
                    schedule=schedule,
                    occurrence=starts_at,
                    class_type=schedule.class_type,
                    instructor_id=schedule.instructor_id,
                    room=room,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=schedule.class_type.duration_minutes),
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
    fewer than the members already booked are refused."""
    gym = current_gym()
    with transaction.atomic():
        session = _lock_session(session.pk)
        fields = []
        moved = starts_at is not None and starts_at != session.starts_at
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
        if capacity is not None:
            _promote_waitlisted(
                session=session, policy=BookingPolicy.load(), gym=gym, now=timezone.now()
            )
        timetable_changed()
    return session


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
