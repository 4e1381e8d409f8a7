"""Class reminders, on the notifications' Reminder rows: a booked place (or a promotion
from the waitlist) sets a one-date reminder at the class start minus the policy's lead
time, in the gym's time zone (source `booking:<id>`); cancelling the booking or the
session cancels it; a session moved in time, or a new lead time, moves it. The reminder
job (apps.notifications) sends it; the resolver below re-reads the booking then and skips
it when the place or the class is gone."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from apps.bookings.models import Booking, BookingPolicy, BookingStatus, ClassSession, SessionStatus
from apps.bookings.policy import gym_zone
from apps.bookings.selectors import current_gym
from apps.bookings.services.notices import session_notice_context
from apps.notifications import kinds
from apps.notifications.services import reminder_cancel_many, reminder_set

KIND = "booking_reminder"


def source_for(booking_id: int) -> str:
    return f"booking:{booking_id}"


def booking_reminder_set(
    *, booking: Booking, session: ClassSession, policy: BookingPolicy | None = None, gym=None
) -> None:
    """(Re)arm the reminder of a booked place; none when the gym switched reminders off."""
    policy = policy or BookingPolicy.load()
    if not policy.reminder_minutes_before:
        booking_reminders_cancel([booking.pk])
        return
    gym = gym or current_gym()
    zone = gym_zone(gym)
    local = (session.starts_at - timedelta(minutes=policy.reminder_minutes_before)).astimezone(zone)
    reminder_set(
        recipient=booking.member,
        kind=KIND,
        local_time=local.time().replace(tzinfo=None),
        on_date=local.date(),
        time_zone=zone.key,
        context={"booking": booking.pk},
        source=source_for(booking.pk),
    )


def booking_reminders_cancel(booking_ids) -> int:
    return reminder_cancel_many(kind=KIND, sources=[source_for(i) for i in booking_ids])


def session_reminders_sync(*, session: ClassSession, policy: BookingPolicy | None = None) -> int:
    """Re-arm the reminders of every booked place of `session` (it moved, or the lead time
    changed). Returns how many."""
    policy = policy or BookingPolicy.load()
    gym = current_gym()
    booked = list(
        Booking.objects.filter(session=session, status=BookingStatus.BOOKED).select_related(
            "member"
        )
    )
    for booking in booked:
        booking_reminder_set(booking=booking, session=session, policy=policy, gym=gym)
    return len(booked)


def upcoming_reminders_sync(
    *, policy: BookingPolicy | None = None, now: datetime | None = None
) -> int:
    """The lead time changed: re-arm the reminders of every future booked place."""
    now = now or timezone.now()
    policy = policy or BookingPolicy.load()
    count = 0
    for session in ClassSession.objects.filter(
        status=SessionStatus.SCHEDULED, starts_at__gt=now, bookings__status=BookingStatus.BOOKED
    ).distinct():
        count += session_reminders_sync(session=session, policy=policy)
    return count


@kinds.register_resolver(KIND)
def resolve(reminders) -> dict[int, dict | None]:
    """The context at send time; skipped when the place is no longer booked or the class
    is cancelled or has started."""
    now = timezone.now()
    gym = current_gym()
    ids = {r.pk: r.context.get("booking") for r in reminders}
    bookings = Booking.objects.select_related("session__class_type").in_bulk(
        [i for i in ids.values() if isinstance(i, int)]
    )
    out: dict[int, dict | None] = {}
    for reminder_id, booking_id in ids.items():
        booking = bookings.get(booking_id)
        live = (
            booking is not None
            and booking.status == BookingStatus.BOOKED
            and booking.session.status == SessionStatus.SCHEDULED
            and booking.session.starts_at > now
        )
        out[reminder_id] = session_notice_context(booking.session, gym) if live else kinds.SKIP
    return out
