"""Challenges pages: the staff dashboard (list, form, detail, archive; who may do what)
and the member web app (list, join and leave, progress, opt-in, entries, home card)."""

from datetime import timedelta

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.goals.models import Challenge, ChallengeParticipant
from apps.goals.selectors.challenges import gym_today
from tests.factories import MemberWithLoginFactory
from tests.goals.factories_challenges import ChallengeFactory, join


def _challenge(gym, **kwargs):
    with tenant_context(gym):
        return ChallengeFactory(**kwargs)


def _form(**changes):
    today = gym_today()
    data = {
        "title": "Spring sprint",
        "description": "Ten visits in April.",
        "type": "visits",
        "target": "10",
        "unit": "",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=29)).isoformat(),
        "prize": "A smoothie",
    }
    return {**data, **changes}


# --- Staff -------------------------------------------------------------------------------


def test_owner_creates_sees_edits_and_archives_a_challenge(gym_a, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    assert client.get("/dashboard/goals/challenges/new/").status_code == 200
    with tenant_context(gym_a):
        made = client.post("/dashboard/goals/challenges/new/", _form())
        challenge = Challenge.objects.get(title="Spring sprint")
    assert made.status_code == 302
    assert made["Location"] == f"/dashboard/goals/challenges/{challenge.pk}/"
    listing = client.get("/dashboard/goals/challenges/")
    assert listing.status_code == 200 and b"Spring sprint" in listing.content
    detail = client.get(f"/dashboard/goals/challenges/{challenge.pk}/")
    assert detail.status_code == 200 and b"A smoothie" in detail.content
    edit = client.get(f"/dashboard/goals/challenges/{challenge.pk}/edit/")
    assert edit.status_code == 200 and b"Spring sprint" in edit.content
    saved = client.post(
        f"/dashboard/goals/challenges/{challenge.pk}/edit/", _form(title="Summer sprint")
    )
    assert saved.status_code == 302
    archived = client.post(f"/dashboard/goals/challenges/{challenge.pk}/archive/")
    assert archived.status_code == 302
    with tenant_context(gym_a):
        challenge.refresh_from_db()
        assert challenge.title == "Summer sprint" and challenge.archived_at is not None
    said = client.get("/dashboard/goals/challenges/")
    assert b"Summer sprint archived" in said.content  # the message, not a row
    assert b"Summer sprint" not in client.get("/dashboard/goals/challenges/").content
    assert b"Summer sprint" in client.get("/dashboard/goals/challenges/?state=archived").content


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"target": "0"}, b"more than zero"),
        ({"target": "40"}, b"cannot be reached"),
        ({"type": "custom"}, b"Say what is counted"),
        ({"ends_on": "2001-01-01"}, b"before the start"),
        ({"title": ""}, b"required"),
    ],
)
def test_bad_input_shows_on_the_form_and_saves_nothing(gym_a, make_user, web, changes, message):
    client = web(gym_a, make_user(gym_a, Role.MANAGER))
    response = client.post("/dashboard/goals/challenges/new/", _form(**changes))
    assert response.status_code == 400 and message in response.content
    with tenant_context(gym_a):
        assert not Challenge.objects.exists()


def test_the_staff_leaderboard_names_only_members_who_opted_in(gym_a, make_user, web):
    challenge = _challenge(gym_a, title="Board test")
    with tenant_context(gym_a):
        join(challenge, MemberWithLoginFactory(first_name="Shownsam", last_name="Kite"), True)
        join(challenge, MemberWithLoginFactory(first_name="Hiddenhal", last_name="Moss"))
    page = web(gym_a, make_user(gym_a, Role.TRAINER)).get(
        f"/dashboard/goals/challenges/{challenge.pk}/"
    )
    assert page.status_code == 200
    assert b"Shownsam K." in page.content and b"Kite" not in page.content
    assert b"Hiddenhal" not in page.content and b"Moss" not in page.content
    assert b"2 taking part, 1 not shown." in page.content


@pytest.mark.parametrize(
    ("role", "view", "add"),
    [
        (Role.OWNER, 200, 200),
        (Role.MANAGER, 200, 200),
        (Role.TRAINER, 200, 403),
        (Role.FRONT_DESK, 403, 403),
    ],
)
def test_who_may_see_and_run_challenges(gym_a, make_user, web, role, view, add):
    challenge = _challenge(gym_a)
    client = web(gym_a, make_user(gym_a, role))
    assert client.get("/dashboard/goals/challenges/").status_code == view
    assert client.get(f"/dashboard/goals/challenges/{challenge.pk}/").status_code == view
    assert client.get("/dashboard/goals/challenges/new/").status_code == add
    assert client.post(f"/dashboard/goals/challenges/{challenge.pk}/archive/").status_code in (
        (302,) if add == 200 else (403,)
    )


def test_members_are_refused_on_the_staff_pages(gym_a, web):
    with tenant_context(gym_a):
        member = MemberWithLoginFactory()
    client = web(gym_a, member.user)
    assert client.get("/dashboard/goals/challenges/").status_code == 403
    assert client.post("/dashboard/goals/challenges/new/", _form()).status_code == 403
    with tenant_context(gym_a):
        assert not Challenge.objects.exists()


# --- Members -----------------------------------------------------------------------------


def test_member_joins_sees_progress_opts_in_and_leaves(gym_a, web):
    challenge = _challenge(gym_a, title="Door dash", prize="A towel")
    with tenant_context(gym_a):
        member = MemberWithLoginFactory(first_name="Mia", last_name="Lopez")
    client = web(gym_a, member.user)
    listing = client.get("/app/challenges/")
    assert listing.status_code == 200 and b"Door dash" in listing.content
    assert b"A towel" in listing.content
    joined = client.post(f"/app/challenges/{challenge.pk}/join/")
    assert joined.status_code == 302
    page = client.get(f"/app/challenges/{challenge.pk}/")
    assert page.status_code == 200 and b"<progress" in page.content
    assert b"nobody sees your progress" in page.content
    assert b"Mia L." not in page.content
    client.post(f"/app/challenges/{challenge.pk}/leaderboard/", {"on_leaderboard": "1"})
    page = client.get(f"/app/challenges/{challenge.pk}/")
    assert b"Mia L." in page.content
    home = client.get("/app/")
    assert home.status_code == 200 and b"Door dash" in home.content
    assert b'href="/app/challenges/"' in client.get("/app/more/").content
    client.post(f"/app/challenges/{challenge.pk}/leave/")
    with tenant_context(gym_a):
        participant = ChallengeParticipant.objects.get(member=member)
        assert participant.left_at is not None and not participant.on_leaderboard
    assert b"Door dash" not in client.get("/app/").content


def test_member_adds_an_entry_to_a_custom_challenge(gym_a, web):
    challenge = _challenge(gym_a, type="custom", unit="km", target=100)
    with tenant_context(gym_a):
        member = MemberWithLoginFactory()
        join(challenge, member)
    client = web(gym_a, member.user)
    page = client.get(f"/app/challenges/{challenge.pk}/")
    assert b'name="value"' in page.content
    added = client.post(f"/app/challenges/{challenge.pk}/entries/", {"value": "7"})
    assert added.status_code == 302
    bad = client.post(f"/app/challenges/{challenge.pk}/entries/", {"value": "500"})
    assert bad.status_code == 400 and b"at most 100" in bad.content
    with tenant_context(gym_a):
        assert ChallengeParticipant.objects.get(member=member).progress == 7


def test_an_ended_challenge_cannot_be_joined_from_the_page(gym_a, web):
    today = None
    with tenant_context(gym_a):
        today = gym_today()
        ended = ChallengeFactory(starts_on=today - timedelta(9), ends_on=today - timedelta(1))
        member = MemberWithLoginFactory()
    client = web(gym_a, member.user)
    page = client.get(f"/app/challenges/{ended.pk}/")
    assert page.status_code == 200 and b"/join/" not in page.content
    response = client.post(f"/app/challenges/{ended.pk}/join/", follow=True)
    assert b"This challenge is over." in response.content
    assert client.get("/app/challenges/99999/").status_code == 404
