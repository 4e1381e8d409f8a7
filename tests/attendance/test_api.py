"""Door API: the member's pass, occupancy, front-desk check-ins, visit history."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.attendance.models import Visit
from apps.attendance.selectors import typical_occupancy
from apps.attendance.services import check_in, door_settings_update
from tests.attendance.factories import VisitFactory

pytestmark = pytest.mark.django_db


def test_member_gets_a_rotating_code_that_opens_the_door(
    open_gyms, make_user, make_member, make_kiosk, api
):
    gym_a, _ = open_gyms
    user = make_user(gym_a, Role.MEMBER)
    member = make_member(gym_a, user=user)
    response = api(gym_a, user).get("/api/v1/me/pass/")
    assert response.status_code == 200
    body = response.json()
    assert body["code"].startswith(f"R1.{member.pk}.") and body["refresh_seconds"] == 30
    assert response["Cache-Control"] == "no-store"
    assert body["has_card"] is False and body["member_number"] == member.number
    kiosk, _ = make_kiosk(gym_a)
    with tenant_context(gym_a):
        assert check_in(kiosk=kiosk, code=body["code"])["granted"]


def test_pass_needs_a_member_profile_and_a_login(gym_a, make_user, api):
    owner = make_user(gym_a, Role.OWNER)
    assert api(gym_a, owner).get("/api/v1/me/pass/").status_code == 404
    assert api(gym_a).get("/api/v1/me/pass/").status_code == 401


def test_occupancy_counts_people_inside_against_capacity(open_gyms, make_user, make_member, api):
    gym_a, _ = open_gyms
    user = make_user(gym_a, Role.MEMBER)
    make_member(gym_a, user=user)
    with tenant_context(gym_a):
        door_settings_update(data={"capacity": 4, "busy_percent": 50, "very_busy_percent": 75})
    client = api(gym_a, user)
    assert client.get("/api/v1/occupancy/").json()["level"] == "quiet"
    with tenant_context(gym_a):
        for _ in range(3):
            check_in(member=make_member(gym_a))
    body = client.get("/api/v1/occupancy/").json()
    assert body["count"] == 3 and body["capacity"] == 4 and body["percent"] == 75
    assert body["level"] == "very_busy"


def test_occupancy_without_capacity_has_no_level(gym_a, make_user, api):
    owner = make_user(gym_a, Role.OWNER)
    body = api(gym_a, owner).get("/api/v1/occupancy/").json()
    assert body == {**body, "count": 0, "capacity": None, "level": None}


def test_typical_occupancy_by_weekday_and_hour(gym_a, make_user, make_member, api):
    owner = make_user(gym_a, Role.OWNER)
    member = make_member(gym_a)
    # A visit a week ago, 10:15-11:30 UTC: present during hours 10 and 11 of that weekday.
    start = (timezone.now() - timedelta(days=7)).replace(hour=10, minute=15)
    with tenant_context(gym_a):
        VisitFactory(
            member=member,
            entered_at=start,
            exited_at=start + timedelta(minutes=75),
            method="desk",
        )
        # Older than four weeks: ignored.
        VisitFactory(
            member=member,
            entered_at=start - timedelta(weeks=5),
            exited_at=start - timedelta(weeks=5) + timedelta(hours=1),
            method="desk",
        )
    body = api(gym_a, owner).get("/api/v1/occupancy/typical/").json()
    assert body["weeks"] == 4 and len(body["days"]) == 7
    day = body["days"][start.weekday()]
    assert day["hours"][10] == 0.2 and day["hours"][11] == 0.2  # 1 visit / 4 weeks (rounded)
    assert sum(sum(d["hours"]) for d in body["days"]) == pytest.approx(0.4, abs=0.01)


def test_front_desk_checks_in_by_member_id(open_gyms, make_user, make_member, api):
    gym_a, _ = open_gyms
    desk = make_user(gym_a, Role.FRONT_DESK)
    member = make_member(gym_a)
    client = api(gym_a, desk)
    first = client.post("/api/v1/check-ins/", {"member": member.pk}, format="json")
    assert first.status_code == 201 and first.json()["granted"] is True
    again = client.post("/api/v1/check-ins/", {"member": member.pk}, format="json")
    assert again.status_code == 200 and again.json()["reason"] == "already_inside"
    with tenant_context(gym_a):
        assert Visit.objects.get().checked_in_by == desk


@pytest.mark.parametrize(
    "body", [{}, {"member": "x"}, {"member": 1, "code": "R1.1.x"}, {"code": ""}, [1, 2]]
)
def test_check_in_bad_bodies_are_clear_errors(gym_a, make_user, api, body):
    desk = make_user(gym_a, Role.FRONT_DESK)
    response = api(gym_a, desk).post("/api/v1/check-ins/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("validation_error", "invalid", "parse_error")


def test_check_in_with_unknown_code_is_a_recorded_denial(open_gyms, make_user, api):
    gym_a, _ = open_gyms
    desk = make_user(gym_a, Role.FRONT_DESK)
    response = api(gym_a, desk).post("/api/v1/check-ins/", {"code": "nope"}, format="json")
    assert response.status_code == 200 and response.json()["reason"] == "unknown_code"


@pytest.mark.parametrize(("role", "status"), [(Role.TRAINER, 403), (Role.MEMBER, 403)])
def test_only_desk_roles_may_check_in(gym_a, make_user, make_member, api, role, status):
    user = make_user(gym_a, role)
    member = make_member(gym_a)
    response = api(gym_a, user).post("/api/v1/check-ins/", {"member": member.pk}, format="json")
    assert response.status_code == status


def test_visits_filter_by_date_and_member(open_gyms, make_user, make_member, api):
    gym_a, _ = open_gyms
    owner = make_user(gym_a, Role.OWNER)
    ana, ben = make_member(gym_a, first_name="Ana"), make_member(gym_a, first_name="Ben")
    now = timezone.now()
    with tenant_context(gym_a):
        VisitFactory(member=ana, entered_at=now - timedelta(days=3), exited_at=now, method="desk")
        VisitFactory(member=ben, entered_at=now)
    client = api(gym_a, owner)
    assert client.get("/api/v1/visits/").json()["count"] == 2
    today = timezone.localdate().isoformat()
    only_today = client.get(f"/api/v1/visits/?date_from={today}").json()
    assert [v["member_name"] for v in only_today["results"]] == [ben.full_name]
    three_days_ago = (timezone.localdate() - timedelta(days=3)).isoformat()
    old = client.get(f"/api/v1/visits/?date_to={three_days_ago}").json()
    assert [v["member_name"] for v in old["results"]] == [ana.full_name]
    assert client.get(f"/api/v1/visits/?member={ana.pk}").json()["count"] == 1
    assert client.get("/api/v1/visits/?inside=true").json()["count"] == 1


@pytest.mark.parametrize(
    "query",
    ["date_from=yesterday", "date_from=2026-02-30", "date_from=2026-05-02&date_to=2026-05-01"],
)
def test_bad_visit_filters_are_clear_errors(gym_a, make_user, api, query):
    owner = make_user(gym_a, Role.OWNER)
    response = api(gym_a, owner).get(f"/api/v1/visits/?{query}")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_filter"


def test_member_sees_only_their_own_visits(open_gyms, make_user, make_member, api):
    gym_a, _ = open_gyms
    user = make_user(gym_a, Role.MEMBER)
    me = make_member(gym_a, user=user)
    other = make_member(gym_a)
    with tenant_context(gym_a):
        check_in(member=me)
        check_in(member=other)
    body = api(gym_a, user).get("/api/v1/me/visits/").json()
    assert body["count"] == 1 and set(body["results"][0]) == {
        "id",
        "entered_at",
        "exited_at",
        "method",
    }
    assert api(gym_a, user).get("/api/v1/visits/").status_code == 403


def test_staff_check_out_ends_the_visit_once(open_gyms, make_user, make_member, api):
    gym_a, _ = open_gyms
    desk = make_user(gym_a, Role.FRONT_DESK)
    member = make_member(gym_a)
    with tenant_context(gym_a):
        visit_id = check_in(member=member)["visit_id"]
    client = api(gym_a, desk)
    done = client.post(f"/api/v1/visits/{visit_id}/check-out/")
    assert done.status_code == 200 and done.json()["exit_method"] == "desk"
    again = client.post(f"/api/v1/visits/{visit_id}/check-out/")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "already_checked_out"
    assert client.get("/api/v1/occupancy/").json()["count"] == 0


def test_typical_occupancy_for_another_moment_is_not_cached_as_now(gym_a):
    with tenant_context(gym_a):
        cache.delete("attendance:typical")
        typical_occupancy(now=timezone.now() - timedelta(weeks=10))
        assert cache.get("attendance:typical") is None
