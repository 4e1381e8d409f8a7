"""The timetable cache (on by default) against committed data, as in production: every
write is committed (and bumps the gym's version after commit), reads come from the
worker's memory or Redis, and each change shows on the next read."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.bookings.cache import local_rows, pending_change, timetable_changed, timetable_version
from apps.bookings.models import (
    Booking,
    BookingPolicy,
    ClassSession,
    ClassType,
    Room,
    TrainerProfile,
)
from apps.bookings.selectors import timetable_json
from apps.bookings.services.booking import booking_cancel, booking_create
from apps.bookings.services.schedule import session_cancel, session_update
from tests.bookings.factories import ClassSessionFactory
from tests.factories import MemberWithLoginFactory, UserFactory

URL = "/api/v1/classes/sessions/"


@pytest.fixture
def gym(committed_gym_a):
    yield committed_gym_a
    with tenant_context(committed_gym_a):
        Booking.objects.all().delete()
        ClassSession.objects.all().delete()
        ClassType.objects.all().delete()
        TrainerProfile.objects.all().delete()
        Room.objects.all().delete()
        BookingPolicy.objects.all().delete()


def _rows(client) -> dict:
    response = client.get(URL)
    assert response.status_code == 200
    return {r["id"]: r for r in response.json()["results"]}


def test_cached_rows_equal_the_database_rows_and_cost_two_queries(gym, api, settings):
    assert settings.BOOKINGS_TIMETABLE_CACHE_SECONDS > 0  # on by default
    with tenant_context(gym):
        member = MemberWithLoginFactory()
        session = ClassSessionFactory(capacity=1, starts_in=timedelta(days=1))
        other = ClassSessionFactory(starts_in=timedelta(days=2))
        booking_create(member=member, session=session)
        booking_create(member=MemberWithLoginFactory(), session=session)  # waitlisted
    client = api(gym, member.user)
    settings.BOOKINGS_TIMETABLE_CACHE_SECONDS = 0
    uncached = client.get(URL).json()
    settings.BOOKINGS_TIMETABLE_CACHE_SECONDS = 60
    assert client.get(URL).json() == uncached  # fills the cache
    response = client.get(URL)  # from the worker's memory
    assert response.json() == uncached
    # The member's booking is spliced into the cached row text, not re-encoded.
    assert b'"my_booking" : {"id": ' in response.content
    rows = {r["id"]: r for r in response.json()["results"]}
    assert rows[session.pk]["booked_count"] == 1 and rows[session.pk]["waitlist_count"] == 1
    assert rows[session.pk]["my_booking"]["status"] == "booked"
    assert rows[other.pk]["my_booking"] is None
    # Another member reads the same cached rows with their own (no) booking.
    with tenant_context(gym):
        someone = MemberWithLoginFactory()
    theirs = _rows(api(gym, someone.user))
    assert theirs[session.pk]["my_booking"] is None and theirs[session.pk]["booked_count"] == 1
    # Served from the cache: the user and the member's own bookings, nothing else.
    with CaptureQueriesContext(connection) as captured:
        client.get(URL)
    assert len(captured.captured_queries) == 2
    assert not any("json_build_object" in q["sql"] for q in captured.captured_queries)


def test_cached_timetable_shows_each_change_at_once(gym, api):
    """Warm cache, then every kind of write: the next read shows it, without waiting for
    the time to live."""
    with tenant_context(gym):
        member = MemberWithLoginFactory()
        session = ClassSessionFactory(capacity=1, starts_in=timedelta(days=1))
        trainer_user = UserFactory(role=Role.TRAINER)
    client = api(gym, member.user)
    assert _rows(client)[session.pk]["spots_left"] == 1  # cached now
    assert _rows(client)[session.pk]["spots_left"] == 1  # and read from the cache
    with tenant_context(gym):
        first = booking_create(member=MemberWithLoginFactory(), session=session)
    assert _rows(client)[session.pk]["spots_left"] == 0
    assert client.post(f"{URL}{session.pk}/book/").json()["status"] == "waitlisted"
    row = _rows(client)[session.pk]
    assert row["waitlist_count"] == 1 and row["my_booking"]["status"] == "waitlisted"
    with tenant_context(gym):
        booking_cancel(booking=first)  # promotes the member
    row = _rows(client)[session.pk]
    assert row["waitlist_count"] == 0 and row["booked_count"] == 1
    assert row["my_booking"]["status"] == "booked"
    with tenant_context(gym):
        session_update(session=session, capacity=3)
    assert _rows(client)[session.pk]["spots_left"] == 2
    # Written straight through the ORM (admin, a script): the model signals invalidate.
    with tenant_context(gym):
        trainer = TrainerProfile.objects.create(user=trainer_user, display_name="Ann")
        session.refresh_from_db()
        session.instructor = trainer
        session.save()
    assert _rows(client)[session.pk]["instructor"]["display_name"] == "Ann"
    with tenant_context(gym):
        trainer.display_name = "Ann B."
        trainer.save()
    assert _rows(client)[session.pk]["instructor"]["display_name"] == "Ann B."
    # Another worker (nothing in its memory) reads the same current rows from Redis.
    local_rows.clear()
    assert _rows(client)[session.pk]["instructor"]["display_name"] == "Ann B."
    with tenant_context(gym):
        later = ClassSessionFactory(starts_in=timedelta(days=2))
    assert later.pk in _rows(client)
    with tenant_context(gym):
        session_cancel(session=session, reason="Flooded")
    row = _rows(client)[session.pk]
    assert row["status"] == "cancelled" and row["booked_count"] == 0
    assert row["my_booking"] is None


def test_a_transaction_that_changed_the_timetable_neither_reads_nor_fills_the_cache(gym, api):
    with tenant_context(gym):
        session = ClassSessionFactory(capacity=5, starts_in=timedelta(days=1))
        member = MemberWithLoginFactory()
    client = api(gym, member.user)
    assert _rows(client)[session.pk]["booked_count"] == 0  # cached
    with tenant_context(gym):
        today = session.starts_at.date()
        before = timetable_version()

        class Rollback(Exception):
            pass

        with pytest.raises(Rollback), transaction.atomic():
            booking_create(member=member, session=session)
            assert pending_change() and timetable_version() > before
            # Inside: its own booking shows (read from the database)...
            rows = timetable_json(gym=gym, first=today, last=today, user=member.user)
            assert '"booked_count" : 1' in rows
            raise Rollback
        assert not pending_change()
    # ...and nobody else ever sees it (nothing was cached from inside).
    assert _rows(client)[session.pk]["booked_count"] == 0
    local_rows.clear()
    assert _rows(client)[session.pk]["booked_count"] == 0


def test_bumps_within_one_transaction_are_deduplicated(gym):
    with tenant_context(gym):
        before = timetable_version()
        with transaction.atomic():
            for _ in range(5):
                timetable_changed()
            assert timetable_version() == before + 1
        assert timetable_version() == before + 2  # and once after commit
