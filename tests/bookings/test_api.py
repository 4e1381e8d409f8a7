"""The members' class API: timetable, session detail with the policy check, book, waitlist,
cancel, my bookings, the policy in words; bad input gets clear errors."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.bookings.cache import timetable_changed, timetable_version, version_key
from apps.bookings.models import Booking, TrainerProfile
from apps.bookings.services.booking import booking_create
from tests.bookings.factories import ClassSessionFactory
from tests.factories import MemberWithLoginFactory


@pytest.fixture
def booker_a(gym_a, make_booker):
    return make_booker(gym_a)


def _client(api, gym, member):
    return api(gym, member.user)


def test_timetable_lists_the_week_with_counts_and_my_booking(gym_a, api, booker_a):
    with tenant_context(gym_a):
        mine = ClassSessionFactory(capacity=2, starts_in=timedelta(days=1))
        other = ClassSessionFactory(capacity=1, starts_in=timedelta(days=2))
        ClassSessionFactory(starts_in=timedelta(days=9))  # outside the default week
        booking_create(member=booker_a, session=mine)
        booking_create(member=MemberWithLoginFactory(), session=other)
    response = _client(api, gym_a, booker_a).get("/api/v1/classes/sessions/")
    assert response.status_code == 200
    body = response.json()
    assert body["time_zone"] == "UTC"
    rows = {row["id"]: row for row in body["results"]}
    assert set(rows) == {mine.pk, other.pk}
    assert rows[mine.pk]["my_booking"]["status"] == "booked"
    assert rows[mine.pk]["booked_count"] == 1 and rows[mine.pk]["spots_left"] == 1
    assert rows[other.pk]["my_booking"] is None and rows[other.pk]["spots_left"] == 0


def test_timetable_filters_by_type_instructor_and_dates(gym_a, api, booker_a, make_user):
    trainer_user = make_user(gym_a, Role.TRAINER)
    with tenant_context(gym_a):
        trainer = TrainerProfile.objects.create(user=trainer_user, display_name="Tess")
        taught = ClassSessionFactory(instructor=trainer)
        other = ClassSessionFactory(starts_in=timedelta(days=3))
    client = _client(api, gym_a, booker_a)
    by_trainer = client.get(f"/api/v1/classes/sessions/?instructor={trainer.pk}").json()
    assert [r["id"] for r in by_trainer["results"]] == [taught.pk]
    assert by_trainer["results"][0]["instructor"]["display_name"] == "Tess"
    by_type = client.get(f"/api/v1/classes/sessions/?type={other.class_type_id}").json()
    assert [r["id"] for r in by_type["results"]] == [other.pk]
    day = (timezone.now() + timedelta(days=3)).date().isoformat()
    by_day = client.get(f"/api/v1/classes/sessions/?from={day}&to={day}").json()
    assert [r["id"] for r in by_day["results"]] == [other.pk]


@pytest.mark.parametrize(
    "query",
    [
        "from=yesterday",
        "from=2026-02-30",
        "type=abc",
        "instructor=-1",
        "from=2026-01-10&to=2026-01-01",
        "from=2026-01-01&to=2026-03-01",
    ],
)
def test_timetable_refuses_bad_filters_clearly(gym_a, api, booker_a, query):
    response = _client(api, gym_a, booker_a).get(f"/api/v1/classes/sessions/?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_filter"


def test_timetable_query_count_does_not_grow_with_classes(gym_a, api, booker_a):
    # (This test's transaction wrote classes, so it reads past the cache: the uncached
    # path. The cached path: tests/bookings/test_timetable_cache.py.)
    client = _client(api, gym_a, booker_a)

    def count_queries() -> int:
        client.get("/api/v1/classes/sessions/")  # warm
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/classes/sessions/")
        assert response.status_code == 200
        return len(captured.captured_queries), len(response.json()["results"])

    with tenant_context(gym_a):
        for i in range(3):
            booking_create(
                member=MemberWithLoginFactory(),
                session=ClassSessionFactory(starts_in=timedelta(hours=i + 2)),
            )
    few, n_few = count_queries()
    with tenant_context(gym_a):
        for i in range(40):
            session = ClassSessionFactory(starts_in=timedelta(hours=i + 5))
            if i % 2:
                booking_create(member=MemberWithLoginFactory(), session=session)
    many, n_many = count_queries()
    assert (n_few, n_many) == (3, 43)
    # The user (the login session comes from the cache), then the rows with the member's
    # booking: the member is found by a subquery.
    assert few == many == 2


def test_session_detail_explains_the_policy_before_booking(gym_a, api, booker_a):
    with tenant_context(gym_a):
        open_class = ClassSessionFactory()
        pro_class = ClassSessionFactory(required_tier="pro")
    client = _client(api, gym_a, booker_a)
    detail = client.get(f"/api/v1/classes/sessions/{open_class.pk}/").json()
    assert detail["booking_check"]["allowed"] is True
    assert detail["booking_check"]["outcome"] == "book"
    assert any("waitlist" in rule for rule in detail["booking_check"]["policy"])
    refused = client.get(f"/api/v1/classes/sessions/{pro_class.pk}/").json()["booking_check"]
    assert refused["allowed"] is False
    assert [p["code"] for p in refused["problems"]] == ["tier_required"]
    rules = client.get("/api/v1/classes/policy/").json()
    assert rules["values"]["max_per_day"] == 2 and len(rules["rules"]) >= 5
    assert rules["my_standing"] == {"strikes": 0, "strikes_to_block": 3, "blocked_until": None}


def test_policy_endpoint_tells_a_member_about_their_strikes_and_block(gym_a, api, booker_a, policy):
    policy(gym_a, strikes_to_block=1, block_days=7, late_cancel_minutes_before=24 * 60)
    with tenant_context(gym_a):
        booking = booking_create(
            member=booker_a, session=ClassSessionFactory(starts_in=timedelta(hours=3))
        )
    client = _client(api, gym_a, booker_a)
    assert client.post(f"/api/v1/bookings/{booking.pk}/cancel/").json()["status"] == (
        "late_cancelled"
    )
    standing = client.get("/api/v1/classes/policy/").json()["my_standing"]
    assert standing["strikes"] == 1 and standing["blocked_until"] is not None
    with tenant_context(gym_a):
        later = ClassSessionFactory(starts_in=timedelta(days=1))
    refused = client.post(f"/api/v1/classes/sessions/{later.pk}/book/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "blocked"


def test_book_then_waitlist_then_cancel_promotes_through_the_api(gym_a, api, booker_a):
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=1, starts_in=timedelta(days=2))
        second = MemberWithLoginFactory()
    client_a, client_b = _client(api, gym_a, booker_a), _client(api, gym_a, second)
    booked = client_a.post(f"/api/v1/classes/sessions/{session.pk}/book/")
    assert booked.status_code == 201 and booked.json()["status"] == "booked"
    refused = client_b.post(
        f"/api/v1/classes/sessions/{session.pk}/book/", {"join_waitlist": False}
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "class_full"
    queued = client_b.post(f"/api/v1/classes/sessions/{session.pk}/waitlist/")
    assert queued.status_code == 201
    assert queued.json()["status"] == "waitlisted" and queued.json()["waitlist_position"] == 1
    again = client_b.post(f"/api/v1/classes/sessions/{session.pk}/book/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_booked"
    mine = client_b.get("/api/v1/bookings/").json()["results"]
    assert [(b["status"], b["waitlist_position"]) for b in mine] == [("waitlisted", 1)]
    cancelled = client_a.post(f"/api/v1/bookings/{booked.json()['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client_b.get("/api/v1/bookings/").json()["results"][0]["status"] == "booked"
    twice = client_a.post(f"/api/v1/bookings/{booked.json()['id']}/cancel/")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "not_active"
    past = client_a.get("/api/v1/bookings/?scope=all").json()["results"]
    assert [b["status"] for b in past] == ["cancelled"]


def test_a_member_cannot_cancel_someone_elses_booking(gym_a, api, booker_a):
    with tenant_context(gym_a):
        theirs = booking_create(member=MemberWithLoginFactory(), session=ClassSessionFactory())
    response = _client(api, gym_a, booker_a).post(f"/api/v1/bookings/{theirs.pk}/cancel/")
    assert response.status_code == 404
    with tenant_context(gym_a):
        assert Booking.objects.get(pk=theirs.pk).status == "booked"


def test_booking_errors_are_clear(gym_a, api, booker_a, make_user):
    client = _client(api, gym_a, booker_a)
    assert client.post("/api/v1/classes/sessions/999999/book/").status_code == 404
    assert client.post("/api/v1/classes/sessions/abc/book/").status_code == 404
    assert client.post(f"/api/v1/classes/sessions/{'9' * 30}/book/").status_code == 404
    assert client.get(f"/api/v1/bookings/{'9' * 30}/").status_code == 404
    with tenant_context(gym_a):
        session = ClassSessionFactory()
    bad = client.post(
        f"/api/v1/classes/sessions/{session.pk}/book/", {"join_waitlist": "perhaps"}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_error"
    assert client.get("/api/v1/bookings/?scope=soon").status_code == 400
    staff = api(gym_a, make_user(gym_a, Role.FRONT_DESK))
    no_profile = staff.post(f"/api/v1/classes/sessions/{session.pk}/book/")
    assert no_profile.status_code == 404
    assert no_profile.json()["error"]["code"] == "no_member_profile"
    assert api(gym_a).get("/api/v1/classes/sessions/").status_code == 401


def test_timetable_rows_have_the_documented_shape_of_a_session(gym_a, api, booker_a, make_user):
    trainer_user = make_user(gym_a, Role.TRAINER)
    with tenant_context(gym_a):
        trainer = TrainerProfile.objects.create(user=trainer_user, display_name="Ines")
        with_all = ClassSessionFactory(instructor=trainer, capacity=3)
        bare = ClassSessionFactory(starts_in=timedelta(days=2))
        booking_create(member=booker_a, session=with_all)
    client = _client(api, gym_a, booker_a)
    rows = {r["id"]: r for r in client.get("/api/v1/classes/sessions/").json()["results"]}
    for session in (with_all, bare):
        detail = client.get(f"/api/v1/classes/sessions/{session.pk}/").json()
        detail.pop("booking_check")
        assert rows[session.pk] == detail


def test_timetable_version_is_kept_per_gym(gym_a, gym_b):
    with tenant_context(gym_a):
        assert gym_a.schema_name in version_key()
        before_a = timetable_version()
    with tenant_context(gym_b):
        before_b = timetable_version()
        timetable_changed()  # outside a transaction: bumped now and again "on commit"
        assert timetable_version() > before_b
    with tenant_context(gym_a):
        assert timetable_version() == before_a
