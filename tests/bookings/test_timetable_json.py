"""The timetable's JSON is written by the database (apps.bookings.selectors): it must say
exactly what the session serializer says, for awkward values too (quotes, backslashes,
control and non-ASCII characters, microseconds, missing trainer or room, a cancelled
class), and its per-row spelling must be the one the cache splices bookings into."""

import json
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.bookings.models import Room, SessionStatus, TrainerProfile
from apps.bookings.selectors import CachedRows, _timetable_query, local_range
from apps.bookings.services.booking import booking_create
from tests.bookings.factories import ClassSessionFactory
from tests.factories import MemberWithLoginFactory

AWKWARD = 'Rain "heavy" \\ back\\slash\nnew line\ttab \u2028 ñ 🥊 <b>&amp;</b> \x01'


def _awkward_sessions(gym, booker, make_user):
    trainer_user = make_user(gym, Role.TRAINER)
    with tenant_context(gym):
        trainer = TrainerProfile.objects.create(user=trainer_user, display_name=AWKWARD[:100])
        room = Room.objects.create(name='Studio "B" \\ ü', capacity=30)
        full = ClassSessionFactory(instructor=trainer, room=room, capacity=1)
        full.class_type.name = 'Yoga "flow" \\ ñ\n'
        full.class_type.save()
        booking_create(member=booker, session=full)
        waitlisted = ClassSessionFactory(starts_in=timedelta(days=2), capacity=1)
        booking_create(member=MemberWithLoginFactory(), session=waitlisted)
        booking_create(member=booker, session=waitlisted, join_waitlist=True)
        # Microseconds on both ends, no trainer, no room.
        odd_times = ClassSessionFactory(
            starts_at=timezone.now().replace(microsecond=120) + timedelta(days=3),
        )
        odd_times.ends_at = odd_times.starts_at + timedelta(minutes=45, microseconds=999_879)
        odd_times.save()
        cancelled = ClassSessionFactory(starts_in=timedelta(days=4), instructor=trainer)
        cancelled.status = SessionStatus.CANCELLED
        cancelled.cancelled_reason = AWKWARD
        cancelled.save()
    return [full, waitlisted, odd_times, cancelled]


def test_timetable_rows_say_what_the_serializer_says_for_awkward_values(
    gym_a, api, make_booker, make_user
):
    booker = make_booker(gym_a)
    sessions = _awkward_sessions(gym_a, booker, make_user)
    client = api(gym_a, booker.user)
    response = client.get("/api/v1/classes/sessions/")
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["results"]}
    assert set(rows) == {s.pk for s in sessions}
    for session in sessions:
        detail = client.get(f"/api/v1/classes/sessions/{session.pk}/").json()
        detail.pop("booking_check")
        assert rows[session.pk] == detail
    assert rows[sessions[0].pk]["my_booking"]["status"] == "booked"
    assert rows[sessions[1].pk]["my_booking"]["status"] == "waitlisted"
    assert rows[sessions[2].pk]["starts_at"].endswith(".000120Z")
    assert rows[sessions[3].pk]["cancelled_reason"] == AWKWARD


def test_cached_rows_are_the_same_text_as_the_array_and_keep_the_splicing_spelling(
    gym_a, make_booker, make_user
):
    booker = make_booker(gym_a)
    sessions = _awkward_sessions(gym_a, booker, make_user)
    with tenant_context(gym_a):
        today = timezone.now().date()
        start, end = local_range(gym_a, today, today + timedelta(days=6))
        args = {"start": start, "end": end, "class_type_id": None, "instructor_id": None}
        whole = _timetable_query(user_id=None, **args)
        rows = _timetable_query(user_id=None, per_row=True, **args)
        mine = _timetable_query(user_id=booker.user.pk, **args)
        assert connection.schema_name == gym_a.schema_name
    assert "[" + ", ".join(rows) + "]" == whole
    assert [json.loads(row)["id"] for row in rows] == [s.pk for s in sessions]
    cached = CachedRows(rows)
    assert cached.position is not None  # the fast path: no row parsed again
    own = {
        row["id"]: row["my_booking"] for row in json.loads(mine) if row["my_booking"] is not None
    }
    assert len(own) == 2
    assert json.loads(cached.with_bookings(own)) == json.loads(mine)


def test_an_empty_range_is_an_empty_array(gym_a):
    with tenant_context(gym_a):
        start = timezone.now() + timedelta(days=400)
        args = {"start": start, "end": start + timedelta(days=1)}
        assert (
            _timetable_query(user_id=None, class_type_id=None, instructor_id=None, **args) == "[]"
        )
        assert (
            _timetable_query(
                user_id=None, class_type_id=None, instructor_id=None, per_row=True, **args
            )
            == []
        )


def test_the_prepared_timetable_query_reads_each_gyms_tables_on_one_connection(gym_a, gym_b):
    """The query is prepared once per connection; PostgreSQL parses it again when the
    search_path changes, so a worker serving several gyms never mixes their classes."""
    with tenant_context(gym_a):
        in_a = {ClassSessionFactory().class_type.name}
    with tenant_context(gym_b):
        in_b = {
            ClassSessionFactory().class_type.name,
            ClassSessionFactory(starts_in=timedelta(days=2)).class_type.name,
        }
    today = timezone.now().date()
    for _ in range(3):
        for gym, expected in ((gym_a, in_a), (gym_b, in_b)):
            with tenant_context(gym):
                start, end = local_range(gym, today, today + timedelta(days=6))
                args = {"start": start, "end": end, "class_type_id": None, "instructor_id": None}
                rows = json.loads(_timetable_query(user_id=None, **args))
                assert {row["class_type"]["name"] for row in rows} == expected
                per_row = _timetable_query(user_id=None, per_row=True, **args)
                assert {json.loads(row)["class_type"]["name"] for row in per_row} == expected
    # Logged like any query (DEBUG, tests' query counts), with its parameters.
    with tenant_context(gym_a), CaptureQueriesContext(connection) as captured:
        _timetable_query(user_id=None, **args)
    logged = [q["sql"] for q in captured.captured_queries if "search_path" not in q["sql"]]
    assert len(logged) == 1
    assert "FROM bookings_classsession s" in logged[0] and str(start.date()) in logged[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%bookings_classsession s%"],
        )
        assert cursor.fetchone()[0] >= 1  # really prepared, not only bound by the server
