"""Reminders: local times in the reminder's time zone (DST change days included), weekdays
or one date, each occurrence sent once (twice-run and concurrent jobs), a long-missed one
once, resolvers that skip; class reminders follow their booking and session."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.assessments.models import AttemptStatus
from apps.assessments.services import retest_reminders_set
from apps.bookings.models import BookingPolicy
from apps.bookings.services import (
    booking_cancel,
    booking_create,
    policy_update,
    session_cancel,
    session_update,
)
from apps.common.errors import ApplicationError
from apps.notifications import kinds
from apps.notifications.models import Notification, Reminder
from apps.notifications.services import (
    hub,
    reminder_cancel,
    reminder_set,
    reminders_send_due,
)
from apps.notifications.services.reminders import next_occurrence
from apps.notifications.tasks import tick
from tests.assessments.factories import AttemptFactory
from tests.bookings.factories import ClassSessionFactory
from tests.factories import MemberFactory, MemberWithLoginFactory, UserFactory
from tests.notifications.texts import templates_with

BERLIN = "Europe/Berlin"
# A test kind without a resolver: the reminder's stored context is what is sent.
MESSAGES = {
    "notifications/ping_subject.txt": "Ping {{ what }}",
    "notifications/ping_message.txt": "{% autoescape off %}Ping: {{ what }}{% endautoescape %}",
}
TEMPLATES = templates_with(MESSAGES)


@pytest.fixture(autouse=True)
def ping_kind(monkeypatch):
    monkeypatch.setitem(kinds.KINDS, "ping", kinds.Kind("ping", "goals"))
    with override_settings(TEMPLATES=TEMPLATES):
        yield


@pytest.fixture
def policy():
    """policy(gym, **changes) -> the gym's booking policy with these values saved."""

    def change(gym, **values):
        with tenant_context(gym):
            policy = BookingPolicy.load()
            for key, value in values.items():
                setattr(policy, key, value)
            policy.save()
            return policy

    return change


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- Occurrences (pure) ------------------------------------------------------------------


def test_weekday_occurrences_follow_the_local_clock_across_dst():
    # 07:00 in Berlin on Mondays: 06:00 UTC in winter, 05:00 UTC in summer.
    first = next_occurrence(
        local_time=time(7), time_zone=BERLIN, weekdays=[1], after=utc(2026, 3, 20)
    )
    assert first == utc(2026, 3, 23, 6)
    second = next_occurrence(local_time=time(7), time_zone=BERLIN, weekdays=[1], after=first)
    assert second == utc(2026, 3, 30, 5)  # after the change on Sunday 29 March


def test_today_counts_only_if_its_time_is_still_ahead():
    kwargs = {"local_time": time(18), "time_zone": "UTC", "weekdays": [3]}  # Wednesdays
    wednesday = utc(2026, 12, 9, 12)
    assert next_occurrence(after=wednesday, **kwargs) == utc(2026, 12, 9, 18)
    assert next_occurrence(after=utc(2026, 12, 9, 18), **kwargs) == utc(2026, 12, 16, 18)


def test_a_skipped_local_time_fires_after_the_spring_forward_gap():
    # 02:30 does not exist in Berlin on 29 March 2026: it fires at 03:30 CEST (01:30 UTC).
    at = next_occurrence(
        local_time=time(2, 30), time_zone=BERLIN, weekdays=[7], after=utc(2026, 3, 28)
    )
    assert at == utc(2026, 3, 29, 1, 30)
    again = next_occurrence(local_time=time(2, 30), time_zone=BERLIN, weekdays=[7], after=at)
    assert again == utc(2026, 4, 5, 0, 30)


def test_an_ambiguous_local_time_fires_once_on_the_fall_back_day():
    # 02:30 happens twice in Berlin on 25 October 2026: once (the first), then next week.
    kwargs = {"local_time": time(2, 30), "time_zone": BERLIN, "weekdays": [7]}
    at = next_occurrence(after=utc(2026, 10, 24), **kwargs)
    assert at == utc(2026, 10, 25, 0, 30)
    assert next_occurrence(after=at, **kwargs) == utc(2026, 11, 1, 1, 30)
    # New York's change is on another day (1 November): its own zone decides.
    ny = next_occurrence(
        local_time=time(1, 30), time_zone="America/New_York", weekdays=[7], after=utc(2026, 11, 1)
    )
    assert ny == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, the first of the two


def test_a_one_date_reminder_has_no_occurrence_after_its_moment():
    kwargs = {"local_time": time(9), "time_zone": "Asia/Tokyo", "on_date": date(2026, 12, 24)}
    assert next_occurrence(after=utc(2026, 12, 1), **kwargs) == utc(2026, 12, 24, 0)
    assert next_occurrence(after=utc(2026, 12, 24, 0), **kwargs) is None


# --- Setting and cancelling ----------------------------------------------------------------


def test_set_is_idempotent_on_kind_and_source_and_computes_next_at(gym_a):
    now = utc(2026, 12, 7, 10)  # a Monday
    with tenant_context(gym_a):
        member = MemberFactory()
        first = reminder_set(
            recipient=member,
            kind="booking_reminder",
            local_time=time(9, 15),
            time_zone="America/New_York",
            weekdays=[1, 3],
            source="test:1",
            now=now,
        )
        assert first.next_at == utc(2026, 12, 7, 14, 15)  # 09:15 EST, still ahead today
        again = reminder_set(
            recipient=member,
            kind="booking_reminder",
            local_time=time(8),
            time_zone="UTC",
            weekdays=[5],
            source="test:1",
            now=now,
        )
        assert again.pk == first.pk and Reminder.objects.count() == 1
        assert again.next_at == utc(2026, 12, 11, 8) and again.weekdays == [5]
        assert reminder_cancel(kind="booking_reminder", source="test:1") == 1
        assert reminder_cancel(kind="booking_reminder", source="test:1") == 0
        again.refresh_from_db()
        assert not again.active and again.next_at is None


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"time_zone": "Mars/Olympus"}, "invalid_time_zone"),
        ({"time_zone": ""}, "invalid_time_zone"),
        ({"weekdays": [0]}, "invalid_weekdays"),
        ({"weekdays": [8]}, "invalid_weekdays"),
        ({"weekdays": [], "on_date": None}, "invalid_reminder"),
        ({"on_date": date(2026, 12, 24)}, "invalid_reminder"),  # both
    ],
)
def test_bad_reminders_are_refused_and_nothing_is_stored(gym_a, changes, code):
    values = {
        "kind": "booking_reminder",
        "local_time": time(9),
        "time_zone": "UTC",
        "weekdays": [1],
        "source": "bad",
        **changes,
    }
    with tenant_context(gym_a):
        with pytest.raises(ApplicationError) as error:
            reminder_set(recipient=MemberFactory(), **values)
        assert error.value.code == code
        with pytest.raises(ValueError, match="Unknown notification kind"):
            reminder_set(recipient=MemberFactory(), **{**values, "kind": "nope", **changes})
        assert not Reminder.objects.exists()


# --- Sending -------------------------------------------------------------------------------


def _weekly(member, *, at: time, zone: str, now: datetime, source="weekly"):
    return reminder_set(
        recipient=member,
        kind="ping",
        local_time=at,
        time_zone=zone,
        weekdays=[1, 2, 3, 4, 5, 6, 7],
        context={"what": "Plank"},
        source=source,
        now=now,
    )


def test_a_due_reminder_is_sent_once_then_moves_to_its_next_occurrence(
    gym_a, django_capture_on_commit_callbacks
):
    now = utc(2026, 12, 7, 7, 59)
    with tenant_context(gym_a):
        member = MemberFactory(email="daily@example.com")
        reminder = _weekly(member, at=time(9), zone=BERLIN, now=now)  # 08:00 UTC
        assert reminders_send_due(now=now) == 0  # not yet
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_send_due(now=utc(2026, 12, 7, 8)) == 1
            assert reminders_send_due(now=utc(2026, 12, 7, 8)) == 0  # the job ran twice
            assert reminders_send_due(now=utc(2026, 12, 7, 8, 1)) == 0
        reminder.refresh_from_db()
        assert reminder.active and reminder.next_at == utc(2026, 12, 8, 8)
        assert reminder.last_sent_at == utc(2026, 12, 7, 8)
        notification = Notification.objects.get()
        assert notification.dedupe_key == f"reminder:{reminder.pk}:20261207T0800Z"
        assert notification.member == member
    assert [m.to for m in mail.outbox] == [["daily@example.com"]]
    assert "Plank" in mail.outbox[0].body


def test_a_reminder_missed_for_days_is_sent_once_not_per_occurrence(gym_a):
    with tenant_context(gym_a):
        reminder = _weekly(MemberFactory(), at=time(6), zone="UTC", now=utc(2026, 12, 1))
        assert reminder.next_at == utc(2026, 12, 1, 6)
        # The worker was down for six days.
        assert reminders_send_due(now=utc(2026, 12, 7, 12)) == 1
        assert reminders_send_due(now=utc(2026, 12, 7, 12)) == 0
        reminder.refresh_from_db()
        assert reminder.next_at == utc(2026, 12, 8, 6)
        assert Notification.objects.count() == 1


def test_a_one_date_reminder_switches_off_after_sending(gym_a):
    with tenant_context(gym_a):
        reminder = reminder_set(
            recipient=MemberFactory(),
            kind="ping",
            local_time=time(20),
            time_zone="America/Los_Angeles",
            on_date=date(2026, 12, 24),
            context={"what": "Squat"},
        )
        assert reminder.next_at == utc(2026, 12, 25, 4)
        assert reminders_send_due(now=utc(2026, 12, 25, 3, 59)) == 0
        assert reminders_send_due(now=utc(2026, 12, 25, 4)) == 1
        reminder.refresh_from_db()
        assert not reminder.active and reminder.next_at is None
        assert reminders_send_due(now=utc(2026, 12, 26)) == 0
        assert Notification.objects.get().title == "Ping Squat"


def test_a_staff_user_can_be_reminded(gym_a):
    with tenant_context(gym_a):
        user = UserFactory(role=Role.MANAGER)
        reminder_set(
            recipient=user,
            kind="ping",
            local_time=time(9),
            time_zone="UTC",
            on_date=date(2026, 12, 1),
            context={"what": "Plank"},
        )
        assert reminders_send_due(now=utc(2026, 12, 1, 9)) == 1
        assert Notification.objects.get().user == user


def test_a_resolver_can_skip_and_a_failing_one_is_retried(gym_a, monkeypatch):
    calls = []

    def resolver(reminders):
        calls.append([r.pk for r in reminders])
        if len(calls) == 1:
            raise RuntimeError("the database of the goals app is on fire")
        return {r.pk: (kinds.SKIP if r.context["skip"] else {"what": "x"}) for r in reminders}

    monkeypatch.setitem(kinds.RESOLVERS, "ping", resolver)
    with tenant_context(gym_a):
        member = MemberFactory()
        keep, skip = (
            reminder_set(
                recipient=member,
                kind="ping",
                local_time=time(9),
                time_zone="UTC",
                on_date=date(2026, 12, 1),
                context={"skip": flag},
                source=f"r:{flag}",
            )
            for flag in (False, True)
        )
        now = utc(2026, 12, 1, 9)
        assert reminders_send_due(now=now) == 0  # the resolver failed: both stay due
        assert Reminder.objects.filter(active=True).count() == 2
        assert reminders_send_due(now=now) == 1
        assert Notification.objects.count() == 1
        skip.refresh_from_db()
        keep.refresh_from_db()
        assert not skip.active and skip.last_sent_at is None
        assert not keep.active and keep.last_sent_at == now


def test_the_tick_sends_due_reminders(gym_a, django_capture_on_commit_callbacks):
    with tenant_context(gym_a):
        _weekly(MemberFactory(), at=time(0), zone="UTC", now=timezone.now() - timedelta(days=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert tick()["reminders"] == 1
            assert tick()["reminders"] == 0


def test_concurrent_runs_send_each_reminder_once(committed_gym_a):
    gym = committed_gym_a
    now = timezone.now()
    with tenant_context(gym):
        members = MemberFactory.create_batch(250)
        for n, member in enumerate(members):
            _weekly(member, at=time(0), zone="UTC", now=now - timedelta(days=1), source=f"c:{n}")
    runs = 4
    barrier = threading.Barrier(runs)

    def run(_n):
        try:
            with tenant_context(gym):
                barrier.wait(timeout=10)
                return reminders_send_due(now=now)
        finally:
            connection.close()

    with ThreadPoolExecutor(runs) as pool:
        sent = list(pool.map(run, range(runs)))
    assert sum(sent) == len(members)
    with tenant_context(gym):
        assert Notification.objects.count() == len(members)
        assert Notification.objects.values("dedupe_key").distinct().count() == len(members)
        assert not Reminder.objects.filter(next_at__lte=now).exists()


def _sent_at(reminder, *moments) -> list[datetime]:
    """Run the job at each moment; the moments at which it sent something."""
    return [at for at in moments if reminders_send_due(now=at)]


def test_on_the_spring_forward_night_a_skipped_time_is_sent_once_after_the_gap(gym_a):
    # Daily at 02:30 in Berlin; on 29 March 2026 the clocks jump from 02:00 to 03:00.
    with tenant_context(gym_a):
        reminder = _weekly(MemberFactory(), at=time(2, 30), zone=BERLIN, now=utc(2026, 3, 28))
        sent = _sent_at(
            reminder,
            utc(2026, 3, 28, 1, 30),  # 02:30 CET
            utc(2026, 3, 29, 0, 30),  # 01:30 CET: not yet
            utc(2026, 3, 29, 1, 0),  # 03:00 CEST: not yet
            utc(2026, 3, 29, 1, 30),  # 03:30 CEST: the skipped 02:30, an hour late
            utc(2026, 3, 29, 1, 31),
            utc(2026, 3, 30, 0, 30),  # 02:30 CEST
        )
        assert sent == [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)]
        assert Notification.objects.count() == 3


def test_on_the_fall_back_night_a_time_that_happens_twice_is_sent_once(gym_a):
    # On 25 October 2026 Berlin lives 02:00-03:00 twice (00:00-01:00 and 01:00-02:00 UTC).
    with tenant_context(gym_a):
        reminder = _weekly(MemberFactory(), at=time(2, 30), zone=BERLIN, now=utc(2026, 10, 24))
        sent = _sent_at(
            reminder,
            utc(2026, 10, 24, 0, 30),  # 02:30 CEST
            utc(2026, 10, 25, 0, 30),  # 02:30 CEST, the first of the two
            utc(2026, 10, 25, 1, 30),  # 02:30 CET, the second: nothing
            utc(2026, 10, 26, 1, 30),  # 02:30 CET
        )
        assert sent == [
            utc(2026, 10, 24, 0, 30),
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 26, 1, 30),
        ]
        reminder.refresh_from_db()
        assert reminder.next_at == utc(2026, 10, 27, 1, 30)


def test_each_reminder_follows_its_own_zone_not_the_gyms(gym_a):
    gym_a.time_zone = BERLIN  # this object only; the test's transaction rolls back
    now = utc(2026, 12, 7, 0)
    with tenant_context(gym_a):
        tokyo = _weekly(MemberFactory(), at=time(8), zone="Asia/Tokyo", now=now, source="t")
        berlin = _weekly(MemberFactory(), at=time(8), zone=BERLIN, now=now, source="b")
        assert tokyo.next_at == utc(2026, 12, 7, 23)  # 08:00 on Tuesday in Tokyo
        assert berlin.next_at == utc(2026, 12, 7, 7)
        assert reminders_send_due(now=utc(2026, 12, 7, 7)) == 1
        assert Notification.objects.get().member == berlin.member
        assert reminders_send_due(now=utc(2026, 12, 7, 23)) == 1


# --- Class reminders ------------------------------------------------------------------------


def test_a_booking_sets_its_reminder_at_start_minus_lead_in_the_gyms_zone(gym_a, policy):
    policy(gym_a, reminder_minutes_before=90)
    gym_a.time_zone = "America/Chicago"
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_at=utc(2030, 3, 10, 15), capacity=1)
        before = utc(2030, 3, 6)
        booking = booking_create(member=MemberWithLoginFactory(), session=session, now=before)
        reminder = Reminder.objects.get(source=f"booking:{booking.pk}")
        assert reminder.kind == "booking_reminder" and reminder.member == booking.member
        assert reminder.next_at == utc(2030, 3, 10, 13, 30)
        assert reminder.time_zone == "America/Chicago"
        assert (reminder.on_date, reminder.local_time) == (date(2030, 3, 10), time(8, 30))
        # Waitlisted: no reminder until promoted.
        waiting = booking_create(member=MemberWithLoginFactory(), session=session, now=before)
        assert not Reminder.objects.filter(source=f"booking:{waiting.pk}").exists()
        booking_cancel(booking=booking, now=before)
        reminder.refresh_from_db()
        assert not reminder.active
        promoted = Reminder.objects.get(source=f"booking:{waiting.pk}")
        assert promoted.active and promoted.next_at == utc(2030, 3, 10, 13, 30)


def test_a_cancelled_booking_gets_no_reminder(gym_a, policy, django_capture_on_commit_callbacks):
    policy(gym_a, reminder_minutes_before=120)
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(minutes=90))
        kept = booking_create(member=MemberWithLoginFactory(), session=session)
        gone = booking_create(member=MemberWithLoginFactory(), session=session)
        booking_cancel(booking=gone, waive_penalty=True)
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_send_due() == 1
    assert [m.to for m in mail.outbox] == [[kept.member.email]]


def test_a_booking_cancelled_behind_the_services_back_is_skipped(
    gym_a, policy, django_capture_on_commit_callbacks
):
    """The resolver re-reads the booking: a place changed another way (admin, script) or
    a class that started sends nothing."""
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(minutes=60))
        booking = booking_create(member=MemberWithLoginFactory(), session=session)
        type(booking).objects.filter(pk=booking.pk).update(status="cancelled")
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_send_due() == 0
        assert not Reminder.objects.filter(active=True).exists()
    assert mail.outbox == []


def test_a_cancelled_session_cancels_its_reminders(gym_a, django_capture_on_commit_callbacks):
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(hours=1))
        booking_create(member=MemberWithLoginFactory(), session=session)
        session_cancel(session=session, reason="Instructor ill")
        assert not Reminder.objects.filter(active=True).exists()
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_send_due() == 0
    assert mail.outbox == []


def test_a_moved_session_moves_its_reminders(gym_a, policy):
    policy(gym_a, reminder_minutes_before=60)
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(days=2))
        booking = booking_create(member=MemberWithLoginFactory(), session=session)
        later = session.starts_at + timedelta(hours=3)
        session_update(session=session, starts_at=later)
        session.refresh_from_db()
        assert session.ends_at - session.starts_at == timedelta(hours=1)
        reminder = Reminder.objects.get(source=f"booking:{booking.pk}")
        assert reminder.active
        assert reminder.next_at == (later - timedelta(hours=1)).replace(second=0, microsecond=0)
        with pytest.raises(ApplicationError) as error:
            session_update(session=session, starts_at=timezone.now() - timedelta(hours=1))
        assert error.value.code == "invalid_start"


def test_a_new_lead_time_moves_upcoming_reminders_and_zero_switches_them_off(gym_a):
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(days=2))
        booking = booking_create(member=MemberWithLoginFactory(), session=session)
        policy_update(data={"reminder_minutes_before": 30})
        reminder = Reminder.objects.get(source=f"booking:{booking.pk}")
        start = session.starts_at.replace(second=0, microsecond=0)
        assert reminder.next_at == start - timedelta(minutes=30)
        policy_update(data={"reminder_minutes_before": 0})
        reminder.refresh_from_db()
        assert not reminder.active


# --- Retest reminders --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member_zone", "zone", "local"),
    [
        ("Asia/Tokyo", "Asia/Tokyo", time(3, 0)),  # the member's own zone
        ("", BERLIN, time(19, 0)),  # none set: the gym's
    ],
)
def test_a_scored_attempt_sets_retest_reminders_in_the_members_zone_else_the_gyms(
    gym_a, member_zone, zone, local
):
    gym_a.time_zone = BERLIN
    # Tested on Wednesday 18 March 2026 at 18:00 UTC (19:00 CET, 03:00 on the 19th in
    # Tokyo); Berlin's clocks go forward on the 29th.
    tested = utc(2026, 3, 18, 18)
    with tenant_context(gym_a):
        member = MemberFactory(time_zone=member_zone)
        attempt = AttemptFactory(member=member, status=AttemptStatus.VALID, created_at=tested)
        assert retest_reminders_set(attempt=attempt) == 2
        quick, full = (
            Reminder.objects.get(source=f"member:{member.pk}:{kind}") for kind in ("quick", "full")
        )
        first_day = tested.astimezone(ZoneInfo(zone)).date()
        for reminder, days in ((quick, 14), (full, 28)):
            assert reminder.kind == "assessment_retest" and reminder.time_zone == zone
            # The same local time, that many local days later (across the DST change).
            assert (reminder.on_date, reminder.local_time) == (
                first_day + timedelta(days=days),
                local,
            )
            assert reminder.next_at.astimezone(ZoneInfo(zone)).time() == local


def test_a_retest_reminder_is_sent_once(gym_a, mailoutbox, django_capture_on_commit_callbacks):
    with tenant_context(gym_a):
        member = MemberFactory(email="retest@example.com")
        attempt = AttemptFactory(
            member=member,
            status=AttemptStatus.VALID,
            created_at=timezone.now() - timedelta(days=14, minutes=5),
        )
        retest_reminders_set(attempt=attempt)
        with django_capture_on_commit_callbacks(execute=True):
            assert tick()["reminders"] == 1
            assert tick()["reminders"] == 0
        assert Reminder.objects.filter(active=True).count() == 1  # the full one, in 2 weeks
    assert [m.to for m in mailoutbox] == [["retest@example.com"]]
    assert "quick" in mailoutbox[0].subject


def test_due_reminders_send_their_emails_in_batched_tasks(
    gym_a, monkeypatch, django_capture_on_commit_callbacks
):
    """Each reminder has its own context (one notify each), but their deliveries go out in
    tasks of up to 200, not one task per reminder (10,000 tasks drowned two workers)."""
    queued = []
    real = hub.enqueue_on_commit

    def spy(task, *args):
        if task == hub.SEND_TASK:
            queued.append(args[0])
        return real(task, *args)

    monkeypatch.setattr(hub, "enqueue_on_commit", spy)
    with tenant_context(gym_a):
        for n in range(3):
            reminder_set(
                recipient=MemberWithLoginFactory(), kind="ping", local_time=time(7),
                time_zone=BERLIN, weekdays=[1, 2, 3, 4, 5, 6, 7], context={"what": n},
                source=f"batch:{n}",
            )  # fmt: skip
        Reminder.objects.update(next_at=timezone.now() - timedelta(minutes=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_send_due() == 3
    assert len(queued) == 1 and len(queued[0]) == 3  # one task with the three emails
    assert len(mail.outbox) == 3  # and it sent them (after commit; Celery runs eagerly)


class _Unprintable:
    def __str__(self):
        raise RuntimeError("this context cannot be rendered")


def _due_pings(count: int, *, start: int = 0) -> list[Reminder]:
    reminders = [
        reminder_set(
            recipient=MemberFactory(email=f"due{n}@example.com"),
            kind="ping",
            local_time=time(7),
            time_zone=BERLIN,
            weekdays=[1, 2, 3, 4, 5, 6, 7],
            context={"what": f"item {n}"},
            source=f"due:{n}",
        )  # fmt: skip
        for n in range(start, start + count)
    ]
    Reminder.objects.update(next_at=timezone.now() - timedelta(minutes=1))
    return reminders


def test_due_reminders_are_sent_in_bulk_each_with_its_own_context(
    gym_a, django_capture_on_commit_callbacks
):
    """The tick's cost per reminder was one notify (~8 queries, 13 ms) each; the batch now
    costs the same few queries for 3 reminders as for 30."""
    with tenant_context(gym_a):
        _due_pings(3)
        with CaptureQueriesContext(connection) as few:
            assert reminders_send_due() == 3
        _due_pings(30, start=3)
        with CaptureQueriesContext(connection) as many:
            assert reminders_send_due() == 30
        bodies = dict(Notification.objects.values_list("member__email", "body"))
    assert len(many) <= len(few)  # the first batch also looked up the gym's domain
    assert bodies["due0@example.com"] == "Ping: item 0"
    assert bodies["due32@example.com"] == "Ping: item 32"


def test_a_reminder_that_cannot_be_rendered_does_not_stop_the_others(gym_a, monkeypatch):
    def resolver(reminders):
        return {
            r.pk: {"what": _Unprintable() if r.source == "due:1" else r.context["what"]}
            for r in reminders
        }

    monkeypatch.setitem(kinds.RESOLVERS, "ping", resolver)
    with tenant_context(gym_a):
        broken = _due_pings(3)[1]
        assert reminders_send_due() == 2
        assert sorted(Notification.objects.values_list("member__email", flat=True)) == [
            "due0@example.com",
            "due2@example.com",
        ]
        broken.refresh_from_db()
        # Moved on like the others (a broken template is not retried every minute).
        assert broken.last_sent_at is None and broken.next_at > timezone.now()
