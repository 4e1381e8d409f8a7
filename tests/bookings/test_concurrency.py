"""Never overbook: many members booking one class at once, on real parallel connections
against committed data."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.bookings.models import Booking, BookingPolicy, ClassSession, ClassType
from apps.bookings.selectors import waitlist_position
from apps.bookings.services.booking import booking_create
from apps.common.errors import ApplicationError
from tests.bookings.factories import ClassSessionFactory
from tests.factories import MemberFactory

REQUESTS = 100
PLACES = 10
# The embedded PostgreSQL allows 100 connections: 50 run at once, each twice.
THREADS = 50


@pytest.fixture
def committed_classes(committed_gym_a):
    yield committed_gym_a
    with tenant_context(committed_gym_a):
        Booking.objects.all().delete()
        ClassSession.objects.all().delete()
        ClassType.objects.all().delete()
        BookingPolicy.objects.all().delete()


def test_100_concurrent_bookings_fill_10_places_and_queue_90_in_arrival_order(
    committed_classes,
):
    gym = committed_classes
    with tenant_context(gym):
        session = ClassSessionFactory(capacity=PLACES, starts_in=timedelta(days=2))
        members = [MemberFactory(first_name=f"Racer{i}") for i in range(REQUESTS)]
    start = threading.Barrier(THREADS)

    def book(member):
        try:
            with tenant_context(gym):
                booking = booking_create(member=member, session=session)
                return booking.member_id, booking.id, booking.status, waitlist_position(booking)
        except ApplicationError as exc:
            return member.pk, None, exc.code, None

    def run(chunk):
        # One chunk per thread; every thread fires its first request at the same moment.
        start.wait(timeout=60)
        try:
            return [book(m) for m in chunk]
        finally:
            connection.close()  # each worker thread has its own connection

    chunks = [members[i::THREADS] for i in range(THREADS)]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = [r for chunk in pool.map(run, chunks) for r in chunk]

    assert len(results) == REQUESTS
    statuses = [status for _m, _id, status, _pos in results]
    assert statuses.count("booked") == PLACES, statuses
    assert statuses.count("waitlisted") == REQUESTS - PLACES
    with tenant_context(gym):
        rows = list(Booking.objects.filter(session=session).order_by("id"))
        assert len(rows) == REQUESTS
        assert len({b.member_id for b in rows}) == REQUESTS  # no member twice
        # Arrival order = the order the session lock was granted: ids and times follow it,
        # the first ten got the places, and the waitlist positions are 1..90 in that order.
        assert [b.status for b in rows] == ["booked"] * PLACES + ["waitlisted"] * (
            REQUESTS - PLACES
        )
        assert [b.created_at for b in rows] == sorted(b.created_at for b in rows)
        assert [waitlist_position(b) for b in rows[PLACES:]] == list(
            range(1, REQUESTS - PLACES + 1)
        )
        # The stored counters (kept by the booking trigger) saw every concurrent write.
        session.refresh_from_db()
        assert (session.booked_count, session.waitlist_count) == (PLACES, REQUESTS - PLACES)
    # What each request was told matches what was stored.
    told = {booking_id: (status, pos) for _m, booking_id, status, pos in results}
    for rank, row in enumerate(rows[PLACES:], start=1):
        assert told[row.id] == ("waitlisted", rank)


def test_one_member_racing_for_the_same_class_gets_one_place(committed_classes):
    gym = committed_classes
    with tenant_context(gym):
        session = ClassSessionFactory(capacity=5, starts_in=timedelta(days=2))
        member = MemberFactory(first_name="Twice", tier="pro_plus")
    start = threading.Barrier(10)

    def book(_i):
        start.wait(timeout=60)
        try:
            with tenant_context(gym):
                return booking_create(member=member, session=session).status
        except ApplicationError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(book, range(10)))
    assert outcomes.count("booked") == 1
    assert outcomes.count("already_booked") == 9
    with tenant_context(gym):
        assert Booking.objects.filter(session=session).count() == 1
