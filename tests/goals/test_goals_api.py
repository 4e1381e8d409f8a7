"""Goals API: the member's goals (list by status, create, one, change, archive), progress
with manual entries, body weights; bad input answers 400 with a code, others' ids 404."""

from datetime import timedelta

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.goals.dates import local_today
from apps.goals.models import BodyWeight, Goal, GoalEntry
from tests.goals.factories_goals import goal_member, make_goal


@pytest.fixture
def member_a(gym_a):
    with tenant_context(gym_a):
        return goal_member(login=True)


def _code(response):
    return response.json().get("code") or response.json().get("error", {}).get("code")


def test_create_list_filter_retrieve_patch_archive(gym_a, member_a, api):
    client = api(gym_a, member_a.user)
    made = client.post(
        "/api/v1/goals/",
        {"title": "Bench 100", "type": "strength", "exercise": "Bench", "target": "100"},
        format="json",
    )
    assert made.status_code == 201, made.content
    goal = made.json()
    assert goal["unit"] == "kg" and goal["status"] == "not_started" and goal["pace"] == ""
    client.post(
        "/api/v1/goals/", {"title": "Visits", "type": "visits", "period": "week", "target": 3}
    )
    assert len(client.get("/api/v1/goals/").json()) == 2
    only = client.get("/api/v1/goals/?status=not_started").json()
    assert len(only) == 2
    assert client.get("/api/v1/goals/?status=completed").json() == []
    assert client.get("/api/v1/goals/?status=bogus").status_code == 400
    one = client.get(f"/api/v1/goals/{goal['id']}/")
    assert one.status_code == 200 and one.json()["title"] == "Bench 100"
    changed = client.patch(f"/api/v1/goals/{goal['id']}/", {"target": "120"}, format="json")
    assert changed.status_code == 200 and changed.json()["target"] == "120.00"
    type_change = client.patch(f"/api/v1/goals/{goal['id']}/", {"type": "visits"}, format="json")
    assert type_change.status_code == 400
    archived = client.delete(f"/api/v1/goals/{goal['id']}/")
    assert archived.status_code == 200 and archived.json()["archived_at"]
    assert len(client.get("/api/v1/goals/").json()) == 1
    assert len(client.get("/api/v1/goals/?archived=1").json()) == 1
    again = client.patch(f"/api/v1/goals/{goal['id']}/", {"title": "X"}, format="json")
    assert again.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": "", "type": "visits", "period": "week", "target": 3},
        {"title": "T", "type": "visits", "period": "week", "target": 0},
        {"title": "T", "type": "visits", "period": "week", "target": 100},
        {"title": "T", "type": "visits", "period": "week", "target": "1.234"},
        {"title": "T", "type": "visits", "period": "week", "target": "9" * 40},
        {"title": "T" * 10000, "type": "visits", "period": "week", "target": 3},
        {"title": "T\x00", "type": "visits", "period": "week", "target": 3},
        {"title": "T", "type": "visits", "period": "week", "target": 3, "unit": "kg"},
        {"title": "T", "type": "body_weight", "target": 500, "start_value": 90},
        {
            "title": "T",
            "type": "body_weight",
            "target": 80,
            "start_value": 90,
            "deadline": "2000-01-01",
        },
        {"title": "T", "type": "nope", "target": 3},
        {"title": "T", "type": "visits", "period": "week", "target": 3, "deadline": "soon"},
    ],
)
def test_bad_goals_are_400_and_nothing_is_written(gym_a, member_a, api, body):
    response = api(gym_a, member_a.user).post("/api/v1/goals/", body, format="json")
    assert response.status_code == 400, response.content
    with tenant_context(gym_a):
        assert not Goal.objects.exists()


def test_the_limit_is_403_goal_limit_reached(gym_a, api):
    with tenant_context(gym_a):
        member = goal_member(tier="free", login=True)
    client = api(gym_a, member.user)
    body = {"title": "Visits", "type": "visits", "period": "week", "target": 3}
    assert client.post("/api/v1/goals/", body, format="json").status_code == 201
    second = client.post("/api/v1/goals/", body, format="json")
    assert second.status_code == 403 and _code(second) == "goal_limit_reached"


def test_progress_get_and_manual_entries(gym_a, member_a, api):
    with tenant_context(gym_a):
        custom = make_goal(member_a, type="custom", period="", unit="pages", target=100)
        visits = make_goal(member_a)
    client = api(gym_a, member_a.user)
    url = f"/api/v1/goals/{custom.pk}/progress/"
    added = client.post(url, {"value": "40", "note": "Chapter 3"}, format="json")
    assert added.status_code == 201 and added.json()["unit"] == "pages"
    shown = client.get(url).json()
    assert shown["goal"]["progress"] == "40.0" and shown["goal"]["status"] == "on_track"
    assert [e["value"] for e in shown["entries"]] == ["40.00"]
    refused = client.post(f"/api/v1/goals/{visits.pk}/progress/", {"value": "1"}, format="json")
    assert refused.status_code == 409 and _code(refused) == "entry_not_allowed"
    tomorrow = (local_today(member_a) + timedelta(days=1)).isoformat()
    future = client.post(url, {"value": "1", "on": tomorrow}, format="json")
    assert future.status_code == 400
    assert client.post(url, {"value": "-1"}, format="json").status_code == 400
    assert client.post(url, {"value": "1", "unit": "km"}, format="json").status_code == 400
    with tenant_context(gym_a):
        assert GoalEntry.objects.count() == 1


def test_body_weight_list_and_record_same_day_replaces(gym_a, member_a, api):
    client = api(gym_a, member_a.user)
    first = client.post("/api/v1/body-weight/", {"weight": "80.5"}, format="json")
    assert first.status_code == 201 and first.json()["weight_kg"] == "80.50"
    second = client.post("/api/v1/body-weight/", {"weight": "176.37", "unit": "lb"}, format="json")
    assert second.status_code == 201 and second.json()["weight_kg"] == "80.00"
    rows = client.get("/api/v1/body-weight/").json()
    assert len(rows) == 1 and rows[0]["weight_kg"] == "80.00"
    for bad in [{"weight": "500"}, {"weight": "abc"}, {"weight": "80", "unit": "st"}, {}]:
        assert client.post("/api/v1/body-weight/", bad, format="json").status_code == 400
    with tenant_context(gym_a):
        assert BodyWeight.objects.count() == 1


def test_another_members_goal_is_404_everywhere(gym_a, member_a, api):
    with tenant_context(gym_a):
        goal = make_goal(member_a, type="custom", period="", unit="pages", target=100)
        other = goal_member(login=True)
    client = api(gym_a, other.user)
    for method, path, body in [
        ("get", f"/api/v1/goals/{goal.pk}/", None),
        ("patch", f"/api/v1/goals/{goal.pk}/", {"title": "Mine"}),
        ("delete", f"/api/v1/goals/{goal.pk}/", None),
        ("get", f"/api/v1/goals/{goal.pk}/progress/", None),
        ("post", f"/api/v1/goals/{goal.pk}/progress/", {"value": "5"}),
    ]:
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code == 404, (method, path)
    assert client.get("/api/v1/goals/").json() == []
    assert client.get("/api/v1/goals/99999999999999999999/").status_code == 404
    with tenant_context(gym_a):
        goal.refresh_from_db()
        assert goal.title == "Three a week" and goal.archived_at is None
        assert not GoalEntry.objects.exists()


def test_staff_without_a_member_profile_get_404(gym_a, make_user, api):
    client = api(gym_a, make_user(gym_a, Role.OWNER))
    for path in ["/api/v1/goals/", "/api/v1/body-weight/"]:
        response = client.get(path)
        assert response.status_code == 404 and _code(response) == "no_member_profile"


def test_anonymous_is_refused(gym_a, api):
    assert api(gym_a).get("/api/v1/goals/").status_code in (401, 403)
