"""Challenges API: list, join, leave, leaderboard, the member's own participation (opt-in)
and custom entries, as the apps call them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.goals.models import ChallengeEntry, ChallengeParticipant
from apps.goals.selectors.challenges import gym_today
from tests.factories import MemberWithLoginFactory
from tests.goals.factories_challenges import ChallengeFactory, join


@pytest.fixture
def member_a(gym_a):
    with tenant_context(gym_a):
        return MemberWithLoginFactory(first_name="Ana", last_name="Zapata")


def _challenge(gym, **kwargs):
    with tenant_context(gym):
        return ChallengeFactory(**kwargs)


def test_list_shows_running_and_upcoming_with_my_participation(gym_a, member_a, api):
    today = None
    with tenant_context(gym_a):
        today = gym_today()
        running = ChallengeFactory(title="Running one")
        upcoming = ChallengeFactory(
            title="Upcoming one", starts_on=today + timedelta(3), ends_on=today + timedelta(9)
        )
        ChallengeFactory(title="Over", starts_on=today - timedelta(9), ends_on=today - timedelta(1))
        archived = ChallengeFactory(title="Archived")
        archived.archived_at = archived.created_at
        archived.save()
        join(running, member_a, on_leaderboard=True)
    response = api(gym_a, member_a.user).get("/api/v1/challenges/")
    assert response.status_code == 200
    rows = {row["title"]: row for row in response.json()}
    assert set(rows) == {"Running one", "Upcoming one"}
    assert rows["Running one"]["state"] == "running"
    assert rows["Running one"]["me"]["on_leaderboard"] is True
    assert rows["Running one"]["participant_count"] == 1
    assert rows["Upcoming one"]["me"] is None and rows["Upcoming one"]["id"] == upcoming.pk
    assert rows["Upcoming one"]["unit"] == "Gym visits"


def test_join_is_201_then_200_and_leave_is_200(gym_a, member_a, api):
    challenge = _challenge(gym_a)
    client = api(gym_a, member_a.user)
    first = client.post(f"/api/v1/challenges/{challenge.pk}/join/", {"on_leaderboard": True})
    assert first.status_code == 201 and first.json()["me"]["on_leaderboard"] is True
    again = client.post(f"/api/v1/challenges/{challenge.pk}/join/", {})
    assert again.status_code == 200 and again.json()["me"]["on_leaderboard"] is True
    left = client.post(f"/api/v1/challenges/{challenge.pk}/leave/")
    assert left.status_code == 200 and left.json()["me"] is None
    assert client.post(f"/api/v1/challenges/{challenge.pk}/leave/").status_code == 200
    with tenant_context(gym_a):
        assert ChallengeParticipant.objects.filter(challenge=challenge).count() == 1


def test_joining_an_ended_challenge_is_409_and_bad_bodies_are_400(gym_a, member_a, api):
    with tenant_context(gym_a):
        today = gym_today()
        ended = ChallengeFactory(starts_on=today - timedelta(9), ends_on=today - timedelta(1))
        running = ChallengeFactory()
    client = api(gym_a, member_a.user)
    refused = client.post(f"/api/v1/challenges/{ended.pk}/join/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "challenge_ended"
    bad = client.post(f"/api/v1/challenges/{running.pk}/join/", {"on_leaderboard": "perhaps"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_error"
    assert client.get("/api/v1/challenges/99999999999999999999/").status_code == 404


def test_opt_in_and_leaderboard_show_display_names_only(gym_a, member_a, api):
    challenge = _challenge(gym_a, target=10)
    with tenant_context(gym_a):
        join(challenge, MemberWithLoginFactory(first_name="Hiddenhugo", last_name="Quill"))
        join(challenge, member_a)
    client = api(gym_a, member_a.user)
    board = client.get(f"/api/v1/challenges/{challenge.pk}/leaderboard/").json()
    assert board == {"participants": 2, "shown": 0, "hidden": 2, "rows": []}
    opted = client.patch(f"/api/v1/challenges/{challenge.pk}/me/", {"on_leaderboard": True})
    assert opted.status_code == 200 and opted.json()["on_leaderboard"] is True
    response = client.get(f"/api/v1/challenges/{challenge.pk}/leaderboard/")
    board = response.json()
    assert board["hidden"] == 1 and len(board["rows"]) == 1
    assert board["rows"][0] == {
        "rank": 1,
        "name": "Ana Z.",
        "progress": "0.00",
        "percent": 0,
        "completed": False,
        "me": True,
    }
    assert b"Hiddenhugo" not in response.content and b"Quill" not in response.content
    assert b"Zapata" not in response.content
    assert client.get(f"/api/v1/challenges/{challenge.pk}/me/").json()["on_leaderboard"]
    # Not joined: no participation to change.
    other = _challenge(gym_a)
    assert (
        client.patch(f"/api/v1/challenges/{other.pk}/me/", {"on_leaderboard": True}).json()[
            "error"
        ]["code"]
        == "not_joined"
    )


def test_custom_entries_through_the_api(gym_a, member_a, api):
    challenge = _challenge(gym_a, type="custom", unit="km", target=Decimal(50))
    with tenant_context(gym_a):
        join(challenge, member_a)
    client = api(gym_a, member_a.user)
    made = client.post(f"/api/v1/challenges/{challenge.pk}/entries/", {"value": "5.5"})
    assert made.status_code == 201 and made.json()["value"] == "5.50"
    listed = client.get(f"/api/v1/challenges/{challenge.pk}/entries/").json()
    assert [e["value"] for e in listed] == ["5.50"]
    assert client.get(f"/api/v1/challenges/{challenge.pk}/").json()["me"]["progress"] == "5.50"
    future = (gym_today() + timedelta(days=1)).isoformat()
    refused = client.post(
        f"/api/v1/challenges/{challenge.pk}/entries/", {"value": "1", "on": future}
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "future_date"
    assert client.post(f"/api/v1/challenges/{challenge.pk}/entries/", {}).status_code == 400
    visits = _challenge(gym_a)
    with tenant_context(gym_a):
        join(visits, member_a)
    not_custom = client.post(f"/api/v1/challenges/{visits.pk}/entries/", {"value": "1"})
    assert not_custom.status_code == 409
    with tenant_context(gym_a):
        assert ChallengeEntry.objects.count() == 1


def test_staff_without_a_member_profile_get_404_and_anonymous_401(gym_a, make_user, api):
    challenge = _challenge(gym_a)
    owner = make_user(gym_a, Role.OWNER)
    response = api(gym_a, owner).get("/api/v1/challenges/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_member_profile"
    assert api(gym_a).post(f"/api/v1/challenges/{challenge.pk}/join/").status_code in (401, 403)


def test_another_gyms_challenge_is_404(gym_a, gym_b, api):
    challenge = _challenge(gym_a, title="Aonly challenge")
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory()
    client = api(gym_b, member_b.user)
    for method, suffix in (
        ("get", ""),
        ("post", "join/"),
        ("post", "leave/"),
        ("get", "leaderboard/"),
        ("patch", "me/"),
        ("post", "entries/"),
    ):
        response = getattr(client, method)(f"/api/v1/challenges/{challenge.pk}/{suffix}", {})
        assert response.status_code == 404, (method, suffix)
        assert b"Aonly" not in response.content
    with tenant_context(gym_a):
        assert not ChallengeParticipant.objects.exists()
