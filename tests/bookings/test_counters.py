"""ClassSession.booked_count / waitlist_count (kept by a trigger on bookings) always equal
the real counts, whatever path writes the booking."""

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.bookings.models import Booking, BookingStatus, ClassSession
from apps.bookings.services.booking import (
    booking_cancel,
    booking_create,
    booking_mark_attendance,
    no_shows_mark_due,
)
from apps.bookings.services.schedule import session_cancel, session_update
from tests.bookings.factories import BookingFactory, ClassSessionFactory
from tests.factories import MemberWithLoginFactory


def assert_counters_true():
    real = ClassSession.objects.annotate(
        places=Count("bookings", filter=Q(bookings__status__in=["booked", "attended", "no_show"])),
        waiting=Count("bookings", filter=Q(bookings__status="waitlisted")),
    )
    for s in real:
        assert (s.booked_count, s.waitlist_count) == (s.places, s.waiting), s


def counts(session):
    session.refresh_from_db()
    return session.booked_count, session.waitlist_count


def test_counters_follow_book_waitlist_cancel_promote_and_leave(gym_a, policy):
    policy(gym_a, late_cancel_minutes_before=60, waitlist_closes_minutes_before=30)
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=2, starts_in=timedelta(days=2))
        m = [MemberWithLoginFactory() for _ in range(5)]
        b = [booking_create(member=x, session=session) for x in m]
        assert counts(session) == (2, 3)
        booking_cancel(booking=b[3])  # leaves the waitlist
        assert counts(session) == (2, 2)
        booking_cancel(booking=b[0])  # frees a place: b[2] is promoted
        assert counts(session) == (2, 1)
        session_update(session=session, capacity=4)  # more places: b[4] promoted
        assert counts(session) == (3, 0)
        assert_counters_true()


def test_counters_follow_attendance_no_shows_and_late_cancels(gym_a, policy):
    policy(gym_a, late_cancel_minutes_before=120, auto_mark_no_shows=True)
    with tenant_context(gym_a):
        soon = ClassSessionFactory(capacity=5, starts_in=timedelta(minutes=20))
        m = [MemberWithLoginFactory() for _ in range(3)]
        b = [
            booking_create(member=x, session=soon, now=timezone.now() - timedelta(hours=1))
            for x in m
        ]
        booking_mark_attendance(booking=b[0], attended=True, by=None)
        booking_mark_attendance(booking=b[1], attended=False, by=None)
        assert counts(soon) == (3, 0)  # attended and no-show keep their places
        booking_cancel(booking=b[2])  # late: still frees the place
        assert counts(soon) == (2, 0)
        past = ClassSessionFactory(capacity=3, starts_in=timedelta(days=1))
        booking_create(member=MemberWithLoginFactory(), session=past)
        ClassSession.objects.filter(pk=past.pk).update(
            starts_at=timezone.now() - timedelta(hours=3),
            ends_at=timezone.now() - timedelta(hours=2),
        )
        assert no_shows_mark_due() == 1
        assert counts(past) == (1, 0)
        assert_counters_true()


def test_counters_follow_session_cancel_and_writes_outside_the_services(gym_a):
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=1, starts_in=timedelta(days=2))
        other = ClassSessionFactory(capacity=3, starts_in=timedelta(days=3))
        booking_create(member=MemberWithLoginFactory(), session=session)
        stray = BookingFactory(session=session, status=BookingStatus.WAITLISTED)
        assert counts(session) == (1, 1)
        # Moved to another class, then deleted (admin or a script): both rows follow.
        Booking.objects.filter(pk=stray.pk).update(session=other, status=BookingStatus.BOOKED)
        assert counts(session) == (1, 0) and counts(other) == (1, 0)
        Booking.objects.filter(pk=stray.pk).delete()
        assert counts(other) == (0, 0)
        session_cancel(session=session, reason="Instructor ill")
        assert counts(session) == (0, 0)
        assert_counters_true()


def test_saving_a_stale_session_does_not_overwrite_its_counters(gym_a):
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=3, starts_in=timedelta(days=2))
        stale = ClassSession.objects.get(pk=session.pk)  # e.g. an admin form opened now
        booking_create(member=MemberWithLoginFactory(), session=session)
        stale.cancelled_reason = ""
        stale.save()  # a full save, as the admin does
        stale.save(update_fields=["capacity", "booked_count"])
        assert counts(session) == (1, 0)
