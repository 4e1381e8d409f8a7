"""Motivation API and pages: the member's latest messages, rating (own, another member's,
another gym's, bad bodies, twice), the member page and home card, the staff page
(who may see it, rates per tone and source, AI usage against the budget), and the
check-in never waiting on the AI."""

import time
from datetime import UTC, datetime

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.common.errors import ApplicationError
from apps.goals.models import AIUsage, CheckIn, Motivation
from apps.goals.services import motivation as service
from tests.factories import MemberWithLoginFactory


@pytest.fixture
def member_a(gym_a):
    with tenant_context(gym_a):
        return MemberWithLoginFactory(first_name="Ana")


def _motivation(member, text="Keep going, Ana.", **fields):
    values = {
        "situation": "streak_up",
        "tone": "friendly",
        "language": "en",
        "source": "library",
        "library_key": "friendly.streak_up.0",
        **fields,
    }
    return Motivation.objects.create(member=member, text=text, **values)


# --- API ---------------------------------------------------------------------------------


def test_list_is_the_members_own_latest_first(gym_a, member_a, api):
    with tenant_context(gym_a):
        old = _motivation(member_a, "Older one")
        new = _motivation(member_a, "Newer one", source="ai", library_key="")
        _motivation(MemberWithLoginFactory(), "Someone else's")
    response = api(gym_a, member_a.user).get("/api/v1/motivation/")
    assert response.status_code == 200
    rows = response.json()
    assert [row["id"] for row in rows] == [new.pk, old.pk]
    assert rows[0]["source"] == "ai" and rows[0]["helpful"] is None
    assert set(rows[0]) == {
        "id",
        "text",
        "situation",
        "tone",
        "language",
        "source",
        "helpful",
        "rated_at",
        "created_at",
    }


def test_list_needs_a_member_profile(gym_a, make_user, api):
    response = api(gym_a, make_user(gym_a, Role.OWNER)).get("/api/v1/motivation/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_member_profile"
    assert api(gym_a).get("/api/v1/motivation/").status_code in (401, 403)


def test_rate_own_message_and_change_the_rating(gym_a, member_a, api):
    with tenant_context(gym_a):
        motivation = _motivation(member_a)
    client = api(gym_a, member_a.user)
    url = f"/api/v1/motivation/{motivation.pk}/rate/"
    first = client.post(url, {"helpful": True}, format="json")
    assert first.status_code == 200 and first.json()["helpful"] is True
    second = client.post(url, {"helpful": False}, format="json")
    assert second.status_code == 200 and second.json()["helpful"] is False
    with tenant_context(gym_a):
        motivation.refresh_from_db()
        assert motivation.helpful is False and motivation.rated_at is not None


def test_rating_another_members_message_is_404(gym_a, member_a, api):
    with tenant_context(gym_a):
        theirs = _motivation(MemberWithLoginFactory())
    response = api(gym_a, member_a.user).post(
        f"/api/v1/motivation/{theirs.pk}/rate/", {"helpful": True}, format="json"
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    with tenant_context(gym_a):
        theirs.refresh_from_db()
        assert theirs.helpful is None


def test_rating_another_gyms_message_is_404(gym_a, gym_b, member_a, api):
    with tenant_context(gym_b):
        theirs = _motivation(MemberWithLoginFactory())
    response = api(gym_a, member_a.user).post(
        f"/api/v1/motivation/{theirs.pk}/rate/", {"helpful": True}, format="json"
    )
    assert response.status_code == 404
    with tenant_context(gym_b):
        theirs.refresh_from_db()
        assert theirs.helpful is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"helpful": None},
        {"helpful": "yes"},
        {"helpful": "true"},
        {"helpful": 1},
        {"helpful": [True]},
        {"helpful": "x" * 100_000},
        {"helpful": "\x00"},
    ],
)
def test_bad_bodies_are_400_and_change_nothing(gym_a, member_a, api, body):
    with tenant_context(gym_a):
        motivation = _motivation(member_a)
    response = api(gym_a, member_a.user).post(
        f"/api/v1/motivation/{motivation.pk}/rate/", body, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    with tenant_context(gym_a):
        motivation.refresh_from_db()
        assert motivation.helpful is None


def test_malformed_json_and_bad_ids(gym_a, member_a, api):
    with tenant_context(gym_a):
        motivation = _motivation(member_a)
    client = api(gym_a, member_a.user)
    broken = client.post(
        f"/api/v1/motivation/{motivation.pk}/rate/", "{not json", content_type="application/json"
    )
    assert broken.status_code == 400
    huge = client.post(
        "/api/v1/motivation/99999999999999999999/rate/", {"helpful": True}, format="json"
    )
    assert huge.status_code == 404
    missing = client.post(
        "/api/v1/motivation/999999999999999999/rate/", {"helpful": True}, format="json"
    )
    assert missing.status_code == 404


def test_the_service_refuses_non_booleans(gym_a, member_a):
    with tenant_context(gym_a):
        motivation = _motivation(member_a)
        with pytest.raises(ApplicationError) as caught:
            service.motivation_rate(member=member_a, motivation_id=motivation.pk, helpful="1")
    assert caught.value.status_code == 400


# --- Member pages ------------------------------------------------------------------------


def test_member_page_lists_and_rates(gym_a, member_a, web):
    with tenant_context(gym_a):
        motivation = _motivation(member_a, "Your streak is growing, Ana.")
    client = web(gym_a, member_a.user)
    page = client.get("/app/motivation/")
    assert page.status_code == 200 and b"Your streak is growing, Ana." in page.content
    rated = client.post(f"/app/motivation/{motivation.pk}/rate/", {"helpful": "1"})
    assert rated.status_code == 302 and rated["Location"] == "/app/motivation/"
    with tenant_context(gym_a):
        motivation.refresh_from_db()
        assert motivation.helpful is True
    page = client.get("/app/motivation/")
    assert b'value="1" aria-pressed="true"' in page.content
    bad = client.post(f"/app/motivation/{motivation.pk}/rate/", {"helpful": "maybe"})
    assert bad.status_code == 302
    with tenant_context(gym_a):
        motivation.refresh_from_db()
        assert motivation.helpful is True


def test_member_page_404_for_another_members_message(gym_a, member_a, web):
    with tenant_context(gym_a):
        theirs = _motivation(MemberWithLoginFactory())
    response = web(gym_a, member_a.user).post(
        f"/app/motivation/{theirs.pk}/rate/", {"helpful": "1"}
    )
    assert response.status_code == 404


def test_member_page_empty_and_home_card(gym_a, member_a, web):
    client = web(gym_a, member_a.user)
    empty = client.get("/app/motivation/")
    assert empty.status_code == 200 and b"No messages yet" in empty.content
    assert b"Your message" not in client.get("/app/").content
    with tenant_context(gym_a):
        _motivation(member_a, "Older one")
        _motivation(member_a, "Newest one for the card")
    home = client.get("/app/")
    assert b"Your message" in home.content and b"Newest one for the card" in home.content
    assert b"Older one" not in home.content


# --- Staff page --------------------------------------------------------------------------


def test_staff_page_shows_rates_per_tone_and_source_and_budget(
    gym_a, member_a, make_user, web, settings
):
    settings.OPENAI_API_KEY, settings.OPENAI_CHAT_MODEL = "sk-x", "model-x"
    settings.OPENAI_MOTIVATION_DAILY_CALLS = 300
    with tenant_context(gym_a):
        _motivation(member_a, helpful=True, tone="calm")
        _motivation(member_a, helpful=False, tone="calm")
        _motivation(member_a, helpful=True, source="ai", library_key="", tone="friendly")
        _motivation(member_a, fallback_reason="timeout")
        AIUsage.objects.create(day=datetime.now(UTC).date(), calls=7, tokens=1234)
    page = web(gym_a, make_user(gym_a, Role.OWNER)).get("/dashboard/goals/motivation/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<tr data-tone="calm"><td>Calm</td><td>2</td><td>2</td><td>50 %</td></tr>' in html
    assert '<tr data-source="ai"><td>AI</td><td>1</td><td>1</td><td>100 %</td></tr>' in html
    assert '<tr data-source="library"><td>Library</td><td>3</td><td>2</td><td>50 %</td>' in html
    assert "<dd data-calls>7 / 300</dd>" in html and "1234 /" in html
    assert "<code>timeout</code>: 1" in html
    assert 'href="/dashboard/goals/motivation/" aria-current="page"' in html


@pytest.mark.parametrize(("role", "status"), [("manager", 200), ("trainer", 403), ("desk", 403)])
def test_staff_page_permission(gym_a, make_user, web, role, status):
    roles = {"manager": Role.MANAGER, "trainer": Role.TRAINER, "desk": Role.FRONT_DESK}
    page = web(gym_a, make_user(gym_a, roles[role])).get("/dashboard/goals/motivation/")
    assert page.status_code == status
    if status == 200:
        assert b"/dashboard/goals/motivation/" in page.content


def test_a_member_cannot_reach_the_staff_page(gym_a, member_a, web):
    page = web(gym_a, member_a.user).get("/dashboard/goals/motivation/")
    assert page.status_code in (302, 403, 404)


# --- The check-in path ------------------------------------------------------------------


def test_the_checkin_path_does_not_wait_on_the_ai(gym_a, member_a, settings):
    """Queueing is all a check-in does: it returns at once, whatever the AI takes."""
    settings.OPENAI_API_KEY, settings.OPENAI_CHAT_MODEL = "sk-x", "slow-model"
    with tenant_context(gym_a):
        checkin = CheckIn.objects.create(member=member_a, on="2026-01-05", status="went")
        started = time.perf_counter()
        service.motivation_queue_for_checkin(checkin=checkin)  # on_commit: never runs here
        assert time.perf_counter() - started < 0.1
        assert not Motivation.objects.exists()
