"""Periodic class jobs: reminders (Reminder rows, sent by the notifications tick) go out
once, no-shows are marked where the gym opted in, the timetable is published ahead; each
runs per gym through the fan-out."""

from datetime import date, time, timedelta

from django.core import mail
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.bookings.models import Booking, ClassSession, Penalty
from apps.bookings.services.booking import (
    booking_create,
    no_shows_mark_due,
    waitlists_close_due,
)
from apps.notifications.models import Reminder
from apps.notifications.services import reminders_send_due
from apps.tenants.tasks import fan_out
from tests.bookings.factories import ClassSessionFactory, ScheduleFactory
from tests.factories import MemberWithLoginFactory


def test_each_reminder_is_sent_once_when_due(gym_a, policy, django_capture_on_commit_callbacks):
    policy(gym_a, reminder_minutes_before=120)
    with tenant_context(gym_a):
        soon = ClassSessionFactory(starts_in=timedelta(minutes=90))
        later = ClassSessionFactory(starts_in=timedelta(hours=5))
        member = MemberWithLoginFactory()
        booking_create(member=member, session=soon)
        booking_create(member=MemberWithLoginFactory(), session=later)
        waiting = ClassSessionFactory(capacity=1, starts_in=timedelta(minutes=100))
        booking_create(member=MemberWithLoginFactory(), session=waiting)
        booking_create(member=MemberWithLoginFactory(), session=waiting)  # waitlisted: no reminder
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_send_due() == 2
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_send_due() == 0
        assert len(mail.outbox) == 2
        assert soon.class_type.name in mail.outbox[0].subject or soon.class_type.name in (
            mail.outbox[1].subject
        )
        # Sent one-date reminders switch off; the later class's waits for its time.
        assert Reminder.objects.filter(active=False, last_sent_at__isnull=False).count() == 2
        assert Reminder.objects.filter(active=True).count() == 1


def test_reminders_run_per_gym_through_the_fan_out(
    gym_a, gym_b, policy, django_capture_on_commit_callbacks
):
    with tenant_context(gym_a):
        booking_create(
            member=MemberWithLoginFactory(),
            session=ClassSessionFactory(starts_in=timedelta(hours=1)),
        )
    with tenant_context(gym_b):
        booking_create(
            member=MemberWithLoginFactory(),
            session=ClassSessionFactory(starts_in=timedelta(hours=1)),
        )
    connection.set_schema_to_public()
    with django_capture_on_commit_callbacks(execute=True):
        assert fan_out("apps.notifications.tasks.tick") >= 2
    assert len(mail.outbox) == 2
    assert {m.subject.split("]")[0] for m in mail.outbox} == {"[Gym A", "[Gym B"}


def test_unmarked_places_become_no_shows_only_where_the_gym_opted_in(gym_a, policy):
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(hours=1))
        booking = booking_create(member=MemberWithLoginFactory(), session=session)
        after = session.ends_at + timedelta(minutes=31)
        assert no_shows_mark_due(now=after) == 0  # off by default
    policy(gym_a, auto_mark_no_shows=True)
    with tenant_context(gym_a):
        assert no_shows_mark_due(now=session.ends_at) == 0  # within the grace period
        assert no_shows_mark_due(now=after) == 1
        assert no_shows_mark_due(now=after) == 0  # each session once
        booking.refresh_from_db()
        assert booking.status == "no_show"
        assert Penalty.objects.filter(booking=booking, kind="strike").exists()


def test_generate_sessions_task_publishes_the_weeks_ahead(gym_a, policy):
    policy(gym_a, generate_weeks_ahead=2)
    with tenant_context(gym_a):
        ScheduleFactory(
            class_type__name="Morning HIIT",
            weekdays=[0, 2, 4],
            start_time=time(7),
            starts_on=date(2020, 1, 1),
        )
    connection.set_schema_to_public()
    fan_out("apps.bookings.tasks.generate_sessions")
    with tenant_context(gym_a):
        sessions = ClassSession.objects.all()
        assert 6 <= sessions.count() <= 7  # Mon/Wed/Fri over 15 days
        assert all(s.starts_at >= timezone.now() - timedelta(days=1) for s in sessions)


def test_reminders_speak_the_gyms_language(gym_a, django_capture_on_commit_callbacks):
    gym_a.default_language = "es"  # this object only; the test's transaction rolls back
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(minutes=30))
        booking_create(member=MemberWithLoginFactory(first_name="Lucía"), session=session)
        with django_capture_on_commit_callbacks(execute=True):
            reminders_send_due()
    assert mail.outbox[0].subject.startswith("[Gym A] Recordatorio:")
    assert "Hola Lucía" in mail.outbox[0].body


def test_waitlists_past_their_cutoff_are_closed_once_and_members_told(
    gym_a, gym_b, policy, django_capture_on_commit_callbacks
):
    policy(gym_a, waitlist_closes_minutes_before=30)
    with tenant_context(gym_a):
        closing = ClassSessionFactory(capacity=1, starts_in=timedelta(minutes=45))
        later = ClassSessionFactory(capacity=1, starts_in=timedelta(hours=3))
        past = ClassSessionFactory(capacity=1, starts_in=timedelta(hours=2))
        for session in (closing, later, past):
            booking_create(member=MemberWithLoginFactory(), session=session)
            booking_create(member=MemberWithLoginFactory(), session=session)  # waitlisted
        ClassSession.objects.filter(pk=past.pk).update(
            starts_at=timezone.now() - timedelta(days=1),
            ends_at=timezone.now() - timedelta(days=1) + timedelta(hours=1),
        )
    with tenant_context(gym_b):
        b_session = ClassSessionFactory(capacity=1, starts_in=timedelta(minutes=10))
        booking_create(member=MemberWithLoginFactory(), session=b_session, now=timezone.now())
    connection.set_schema_to_public()
    # 20 minutes on, `closing` is inside its 30-minute cutoff; `later` is not.
    with django_capture_on_commit_callbacks(execute=True):
        fan_out("apps.bookings.tasks.close_waitlists")
    with tenant_context(gym_a):
        with django_capture_on_commit_callbacks(execute=True):
            assert waitlists_close_due(now=timezone.now() + timedelta(minutes=20)) == 1
            assert waitlists_close_due(now=timezone.now() + timedelta(minutes=20)) == 0
        statuses = dict(
            Booking.objects.filter(session__in=[closing, later, past])
            .exclude(status="booked")
            .values_list("session_id", "status")
        )
        assert statuses == {closing.pk: "cancelled", later.pk: "waitlisted", past.pk: "cancelled"}
        closing.refresh_from_db()
        assert (closing.booked_count, closing.waitlist_count) == (1, 0)
        name = closing.class_type.name
    # One email: the member taken off the waitlist of the class still to come (the past
    # class's leftover was tidied without one; gym B had nobody waiting).
    assert len(mail.outbox) == 1
    assert name in mail.outbox[0].subject
