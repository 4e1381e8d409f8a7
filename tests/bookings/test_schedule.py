"""Generating the timetable from schedules, across daylight-saving changes, and the
exceptions staff make: cancel one session, change it, close for holidays."""

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.bookings.models import (
    Booking,
    ClassSession,
    Room,
    Schedule,
    TrainerProfile,
)
from apps.bookings.services.booking import booking_create
from apps.bookings.services.schedule import (
    closure_create,
    rrule_validate,
    session_cancel,
    session_update,
    sessions_generate,
)
from apps.common.errors import ApplicationError
from tests.bookings.factories import ClassSessionFactory, ClassTypeFactory, ScheduleFactory
from tests.factories import MemberWithLoginFactory

MADRID = ZoneInfo("Europe/Madrid")


@pytest.fixture
def madrid_gym(gym_a):
    gym_a.time_zone = "Europe/Madrid"  # this object only; the test's transaction rolls back
    return gym_a


def _daily_at(hour: int, starts_on: date, **kwargs) -> Schedule:
    class_type = ClassTypeFactory(name=f"Daily {hour}", duration_minutes=45, capacity=8)
    return ScheduleFactory(
        class_type=class_type,
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        start_time=time(hour, 0),
        starts_on=starts_on,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("first_day", "change_day", "before_utc", "after_utc"),
    [
        # Spring forward: Sunday 29 March 2026, 02:00 -> 03:00 (CET +1 -> CEST +2).
        (date(2026, 3, 26), date(2026, 3, 29), 6, 5),
        # Fall back: Sunday 25 October 2026, 03:00 -> 02:00 (CEST +2 -> CET +1).
        (date(2026, 10, 22), date(2026, 10, 25), 5, 6),
    ],
)
def test_a_7am_class_stays_at_7am_local_across_the_dst_change(
    madrid_gym, first_day, change_day, before_utc, after_utc
):
    with tenant_context(madrid_gym):
        schedule = _daily_at(7, first_day)
        created = sessions_generate(today=first_day, weeks=1)
        sessions = list(ClassSession.objects.filter(schedule=schedule).order_by("starts_at"))
        assert created == len(sessions) == 8  # 8 days, both ends included
        for session in sessions:
            local = session.starts_at.astimezone(MADRID)
            assert (local.hour, local.minute) == (7, 0)
            assert session.ends_at - session.starts_at == timedelta(minutes=45)
            day = local.date()
            expected = before_utc if day < change_day else after_utc
            assert session.starts_at.astimezone(UTC).hour == expected, day


def test_the_missing_hour_resolves_to_the_same_instant_as_an_hour_later(madrid_gym):
    with tenant_context(madrid_gym):
        schedule = _daily_at(2, date(2026, 3, 29))  # 02:00 does not exist that night
        sessions_generate(today=date(2026, 3, 29), weeks=1)
        first = ClassSession.objects.filter(schedule=schedule).earliest("starts_at")
        assert first.starts_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST


def test_generating_twice_creates_nothing_new_and_keeps_staff_changes(madrid_gym):
    with tenant_context(madrid_gym):
        schedule = _daily_at(18, date(2026, 5, 4))
        assert sessions_generate(today=date(2026, 5, 4), weeks=1) == 8
        moved = ClassSession.objects.filter(schedule=schedule).earliest("starts_at")
        moved.starts_at += timedelta(hours=1)
        moved.ends_at += timedelta(hours=1)
        moved.save()
        session_cancel(
            session=ClassSession.objects.filter(schedule=schedule).latest("starts_at"),
            reason="Instructor ill",
        )
        assert sessions_generate(today=date(2026, 5, 4), weeks=1) == 0
        assert sessions_generate(today=date(2026, 5, 4), weeks=2) == 7  # only the new days
        assert ClassSession.objects.filter(schedule=schedule).count() == 15


def test_rrule_every_other_week(madrid_gym):
    with tenant_context(madrid_gym):
        class_type = ClassTypeFactory(name="Fortnightly")
        ScheduleFactory(
            class_type=class_type,
            start_time=time(9, 30),
            starts_on=date(2026, 6, 1),  # a Monday
            rrule=rrule_validate("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH"),
        )
        sessions_generate(today=date(2026, 6, 1), weeks=4)
        days = [
            s.starts_at.astimezone(MADRID).date()
            for s in ClassSession.objects.filter(class_type=class_type)
        ]
        # Four weeks ahead, the last day included.
        assert days == [date(2026, 6, d) for d in (1, 4, 15, 18, 29)]


@pytest.mark.parametrize("rule", ["FREQ=MINUTELY", "FREQ=WEEKLY;BYDAY=XX", "NONSENSE", "F" * 400])
def test_bad_rrules_are_refused(rule):
    with pytest.raises(ApplicationError) as exc:
        rrule_validate(rule)
    assert exc.value.code == "invalid_rrule"


def test_room_capacity_caps_the_generated_sessions(gym_a):
    with tenant_context(gym_a):
        room = Room.objects.create(name="Studio", capacity=6)
        class_type = ClassTypeFactory(name="Spin", capacity=20, room=room)
        ScheduleFactory(
            class_type=class_type, weekdays=[0], start_time=time(8), starts_on=date(2026, 1, 5)
        )
        sessions_generate(today=date(2026, 1, 5), weeks=1)
        assert {(s.capacity, s.room_id) for s in ClassSession.objects.all()} == {(6, room.pk)}


def test_cancelling_a_session_cancels_bookings_and_tells_members(
    gym_a, django_capture_on_commit_callbacks
):
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=1)
        booked, waiting = MemberWithLoginFactory(), MemberWithLoginFactory()
        booking_create(member=booked, session=session)
        booking_create(member=waiting, session=session)
        with pytest.raises(ApplicationError):
            session_cancel(session=session, reason="")
        with django_capture_on_commit_callbacks(execute=True):
            session_cancel(session=session, reason="Burst pipe in the studio")
        assert set(Booking.objects.values_list("status", flat=True)) == {"cancelled"}
        assert sorted(m.to[0] for m in mail.outbox) == sorted([booked.email, waiting.email])
        assert "Burst pipe in the studio" in mail.outbox[0].body
        with pytest.raises(ApplicationError) as exc:
            booking_create(member=MemberWithLoginFactory(), session=session)
        assert exc.value.code == "session_cancelled"


def test_holiday_closure_cancels_sessions_and_stops_generation(madrid_gym):
    with tenant_context(madrid_gym):
        schedule = _daily_at(10, date(2026, 12, 21))
        sessions_generate(today=date(2026, 12, 21), weeks=1)
        closure_create(starts_on=date(2026, 12, 24), ends_on=date(2026, 12, 26), reason="Xmas")
        cancelled = ClassSession.objects.filter(schedule=schedule, status="cancelled")
        assert sorted(s.starts_at.astimezone(MADRID).day for s in cancelled) == [24, 25, 26]
        ClassSession.objects.filter(schedule=schedule).delete()
        sessions_generate(today=date(2026, 12, 21), weeks=1)
        days = {s.starts_at.astimezone(MADRID).day for s in schedule.sessions.all()}
        assert days == {21, 22, 23, 27, 28}
        with pytest.raises(ApplicationError):
            closure_create(starts_on=date(2026, 12, 2), ends_on=date(2026, 12, 1), reason="x")


def test_more_places_promote_the_waitlist_and_fewer_than_booked_are_refused(gym_a):
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=1, starts_in=timedelta(days=2))
        booking_create(member=MemberWithLoginFactory(), session=session)
        waiting = booking_create(member=MemberWithLoginFactory(), session=session)
        session_update(session=session, capacity=2)
        waiting.refresh_from_db()
        assert waiting.status == "booked"
        with pytest.raises(ApplicationError) as exc:
            session_update(session=session, capacity=1)
        assert exc.value.code == "capacity_below_booked"


def test_demo_timetable_seed_is_idempotent(gym_a, make_user):
    make_user(gym_a, Role.TRAINER, full_name="Tom Trainer")
    call_command("seed_demo_classes", gym="gym-a", stdout=io.StringIO())
    with tenant_context(gym_a):
        count = ClassSession.objects.count()
        assert count > 10 and Schedule.objects.count() == 4
        assert TrainerProfile.objects.get().session_types.count() == 2
    call_command("seed_demo_classes", gym="gym-a", stdout=io.StringIO())
    with tenant_context(gym_a):
        assert ClassSession.objects.count() == count
