"""Goals pages: the member web app (list with progress, new goal, detail with entries,
archive, body weight, home card, nav) and the staff member page's goals block."""

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.goals.models import BodyWeight, Goal, GoalEntry, GoalSettings
from tests.goals.factories_goals import goal_member, make_goal


@pytest.fixture
def member_a(gym_a):
    with tenant_context(gym_a):
        return goal_member(login=True)


def test_member_sets_a_goal_adds_entries_and_archives_it(gym_a, member_a, web):
    client = web(gym_a, member_a.user)
    listing = client.get("/app/goals/")
    assert listing.status_code == 200 and b"New goal" in listing.content
    made = client.post(
        "/app/goals/",
        {"title": "Read more", "type": "custom", "target": "100", "unit": "pages"},
    )
    with tenant_context(gym_a):
        goal = Goal.objects.get(title="Read more")
    assert made.status_code == 302 and made["Location"] == f"/app/goals/{goal.pk}/"
    added = client.post(f"/app/goals/{goal.pk}/entries/", {"value": "30", "unit": ""})
    assert added.status_code == 302
    page = client.get(f"/app/goals/{goal.pk}/")
    assert page.status_code == 200 and b"30 of 100 pages" in page.content
    assert b"Just started" in page.content or b"On track" in page.content
    bad = client.post(f"/app/goals/{goal.pk}/entries/", {"value": "0"})
    assert bad.status_code == 400
    listing = client.get("/app/goals/")
    assert b"Read more" in listing.content and b"<progress" in listing.content
    home = client.get("/app/")
    assert home.status_code == 200 and b"Read more" in home.content
    assert b'href="/app/goals/"' in client.get("/app/more/").content  # the nav item
    archived = client.post(f"/app/goals/{goal.pk}/archive/")
    assert archived.status_code == 302
    with tenant_context(gym_a):
        goal.refresh_from_db()
        assert goal.archived_at and GoalEntry.objects.count() == 1
    assert b"Read more" not in client.get("/app/goals/").content


def test_bad_goal_form_shows_errors_and_writes_nothing(gym_a, member_a, web):
    client = web(gym_a, member_a.user)
    for body in [
        {"title": "", "type": "visits", "period": "week", "target": "3"},
        {"title": "Too many", "type": "visits", "period": "week", "target": "40"},
        {"title": "Unit", "type": "visits", "period": "week", "target": "3", "unit": "kg"},
        {"title": "Heavy", "type": "body_weight", "target": "600", "start_value": "90"},
    ]:
        response = client.post("/app/goals/", body)
        assert response.status_code == 400 and b'class="errors"' in response.content
    with tenant_context(gym_a):
        assert not Goal.objects.exists()


def test_status_filter_on_the_list(gym_a, member_a, web):
    with tenant_context(gym_a):
        make_goal(member_a, title="Fresh weekly")
    client = web(gym_a, member_a.user)
    assert b"Fresh weekly" in client.get("/app/goals/?status=not_started").content
    assert b"Fresh weekly" not in client.get("/app/goals/?status=completed").content
    assert client.get("/app/goals/?status=bogus").status_code == 200


def test_body_weight_page_logs_and_lists(gym_a, member_a, web):
    client = web(gym_a, member_a.user)
    assert client.get("/app/goals/body-weight/").status_code == 200
    saved = client.post("/app/goals/body-weight/", {"weight": "81.2", "unit": "kg"})
    assert saved.status_code == 302
    page = client.get("/app/goals/body-weight/")
    assert b"81.20 kg" in page.content
    bad = client.post("/app/goals/body-weight/", {"weight": "900", "unit": "kg"})
    assert bad.status_code == 400
    with tenant_context(gym_a):
        assert BodyWeight.objects.count() == 1


def test_another_members_goal_pages_are_404(gym_a, member_a, web):
    with tenant_context(gym_a):
        goal = make_goal(member_a, type="custom", period="", unit="pages", target=100)
        other = goal_member(login=True)
    client = web(gym_a, other.user)
    assert client.get(f"/app/goals/{goal.pk}/").status_code == 404
    assert client.post(f"/app/goals/{goal.pk}/entries/", {"value": "5"}).status_code == 404
    assert client.post(f"/app/goals/{goal.pk}/archive/").status_code == 404
    with tenant_context(gym_a):
        goal.refresh_from_db()
        assert goal.archived_at is None and not GoalEntry.objects.exists()


def test_staff_member_page_shows_goals_to_trainers_not_front_desk(gym_a, member_a, make_user, web):
    with tenant_context(gym_a):
        make_goal(member_a, title="Three visits weekly")
    path = f"/dashboard/members/{member_a.pk}/"
    trainer = web(gym_a, make_user(gym_a, Role.TRAINER)).get(path)
    assert trainer.status_code == 200
    assert b"Three visits weekly" in trainer.content and b"member-goals" in trainer.content
    owner = web(gym_a, make_user(gym_a, Role.OWNER)).get(path)
    assert owner.status_code == 200 and b"Three visits weekly" in owner.content
    desk = web(gym_a, make_user(gym_a, Role.FRONT_DESK)).get(path)
    assert desk.status_code == 200 and b"Three visits weekly" not in desk.content


def test_body_weights_show_in_the_members_unit(gym_a, member_a, web):
    with tenant_context(gym_a):
        GoalSettings.objects.create(member=member_a, weight_unit="lb")
    client = web(gym_a, member_a.user)
    page = client.get("/app/goals/body-weight/")
    assert b'value="lb" selected' in page.content or b'<option value="lb" selected' in page.content
    client.post("/app/goals/body-weight/", {"weight": "176.37", "unit": "lb"})
    page = client.get("/app/goals/body-weight/")
    assert b"176.37 lb" in page.content
    with tenant_context(gym_a):
        assert BodyWeight.objects.get().weight_kg == 80
