"""The overview's set-up checklist: each step ticks itself off from the gym's data, owners
may skip one that does not apply, and only those who run the gym see it."""

import re
from datetime import date, time

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.attendance.models import Kiosk
from apps.billing.models import BillingSettings, MembershipPlan
from apps.bookings.models import Schedule
from apps.dashboard import checklist
from apps.dashboard.models import SetupSkip
from apps.tenants.middleware import gym_cache_clear
from apps.tenants.models import Gym
from tests.bookings.factories import ClassTypeFactory

pytestmark = pytest.mark.django_db

KEYS = ["hours", "schedule", "billing", "staff", "members", "kiosk"]


def _steps(page) -> dict[str, str]:
    """{step key: "done" | "skipped" | "open"} as the page shows them."""
    return {
        key: state
        for state, key in re.findall(
            r'<li class="(done|skipped|open)" data-step="([a-z]+)">', page.content.decode()
        )
    }


def test_steps_are_registered_in_order():
    assert [step.key for step in checklist.steps()] == KEYS


@pytest.fixture
def forget_gyms():
    """The middleware keeps gyms per host for a while; changed gym rows must be re-read,
    and forgotten again after the test (its transaction rolls back)."""
    gym_cache_clear()
    yield gym_cache_clear
    gym_cache_clear()


def test_a_new_gym_sees_every_step_open_and_each_ticks_itself_off(
    gym_a, make_user, make_member, web, forget_gyms
):
    owner = make_user(gym_a, Role.OWNER)
    client = web(gym_a, owner)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert b"Get your gym ready" in page.content
    # The owner is the only staff login; no members, schedules, plans or kiosks yet.
    assert _steps(page) == dict.fromkeys(KEYS, "open")
    assert b"6 steps left" in page.content

    with tenant_context(gym_a):
        # (Not through the gym_a object: the fixture's gym lives for the whole session.)
        Gym.objects.filter(pk=gym_a.pk).update(opening_hours={**gym_a.opening_hours, "sun": []})
    forget_gyms()
    with tenant_context(gym_a):
        Schedule.objects.create(
            class_type=ClassTypeFactory(),
            start_time=time(18),
            rrule="FREQ=WEEKLY;BYDAY=MO",
            starts_on=date(2026, 1, 5),
        )
        make_user(gym_a, Role.TRAINER)
        Kiosk.objects.create(name="Door", mode="entry", token_hash="a" * 64)
    make_member(gym_a, first_name="First")
    page = client.get("/dashboard/")
    assert _steps(page) == {**dict.fromkeys(KEYS, "done"), "billing": "open"}
    assert b"1 step left" in page.content


def test_billing_is_done_once_stripe_is_connected_and_a_plan_is_on_sale(gym_a, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    with tenant_context(gym_a):
        BillingSettings.objects.update_or_create(
            singleton=1,
            defaults={"secret_key_encrypted": "x", "webhook_secret_encrypted": "y"},
        )
    assert _steps(client.get("/dashboard/"))["billing"] == "open"  # no plan yet
    with tenant_context(gym_a):
        MembershipPlan.objects.create(
            name="Monthly", price_minor=4900, currency="EUR", interval="month", tier="pro"
        )
    assert _steps(client.get("/dashboard/"))["billing"] == "done"


def test_owner_skips_a_step_and_brings_it_back(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    client = web(gym_a, owner)
    response = client.post("/dashboard/setup/schedule/skip/")
    assert response.status_code == 302
    page = client.get("/dashboard/")
    assert _steps(page)["schedule"] == "skipped"
    assert b"5 steps left" in page.content
    client.post("/dashboard/setup/schedule/skip/")  # twice: still one row
    with tenant_context(gym_a):
        assert SetupSkip.objects.filter(key="schedule").count() == 1
        assert SetupSkip.objects.get().skipped_by == owner
    client.post("/dashboard/setup/schedule/skip/", {"undo": "1"})
    assert _steps(client.get("/dashboard/"))["schedule"] == "open"


def test_an_unknown_step_is_refused_and_nothing_is_stored(gym_a, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    page = client.post("/dashboard/setup/nonsense/skip/", follow=True)
    assert b"No such set-up step." in page.content
    with tenant_context(gym_a):
        assert not SetupSkip.objects.exists()


@pytest.mark.parametrize("role", [Role.TRAINER, Role.FRONT_DESK])
def test_only_those_who_run_the_gym_see_and_skip_the_checklist(role, gym_a, make_user, web):
    client = web(gym_a, make_user(gym_a, role))
    page = client.get("/dashboard/")
    assert page.status_code == 200 and b"Get your gym ready" not in page.content
    assert client.post("/dashboard/setup/schedule/skip/").status_code == 403
    with tenant_context(gym_a):
        assert not SetupSkip.objects.exists()


def test_the_checklist_goes_away_once_every_step_is_done_or_skipped(gym_a, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    for key in KEYS:
        client.post(f"/dashboard/setup/{key}/skip/")
    page = client.get("/dashboard/")
    assert page.status_code == 200 and b"Get your gym ready" not in page.content
