"""Plans in the dashboard: prices typed in major units of the gym's currency, stored as
minor units; bad amounts refused with nothing stored; edit, archive, restore."""

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.billing.models import MembershipPlan
from apps.billing.money import format_money, parse_major
from tests.billing.conftest import KEYS
from tests.billing.factories import MembershipPlanFactory, MemberSubscriptionFactory

FORM = {
    "name": "Monthly",
    "description": "",
    "price_minor": "49.90",
    "interval": "month",
    "setup_fee_minor": "",
    "tier": "pro",
    "class_credits": "0",
    "trial_days": "0",
    "contract_min_months": "0",
    "sold_online": "on",
}


def _plans(gym):
    with tenant_context(gym):
        return list(MembershipPlan.objects.values_list("name", "price_minor", "setup_fee_minor"))


@pytest.mark.parametrize(
    ("typed", "minor"),
    [("49", 4900), ("49.90", 4990), ("49.9", 4990), ("49,90", 4990), (" 0 ", 0), ("49.900", 4990)],
)
def test_owner_creates_a_plan_typing_major_units(typed, minor, gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    response = web(gym_a, owner).post(
        "/dashboard/billing/plans/new/", {**FORM, "price_minor": typed}
    )
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/billing/plans/"
    assert _plans(gym_a) == [("Monthly", minor, 0)]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("49,9,0", "like 49 or 49.90"),
        ("1,000.50", "like 49 or 49.90"),
        ("-5", "zero or more"),
        ("49.999", "2 decimal places at most"),
        ("100000.01", "at most 100000.00 EUR"),
        ("99999999999999999999", "like 49 or 49.90"),
        ("1e3", "like 49 or 49.90"),
        ("NaN", "like 49 or 49.90"),
        ("", "This field is required"),
        ("   ", "This field is required"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_stored(typed, message, gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    response = web(gym_a, owner).post(
        "/dashboard/billing/plans/new/", {**FORM, "price_minor": typed}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _plans(gym_a) == []


def test_setup_fee_is_typed_in_major_units_too(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    bad = web(gym_a, owner).post("/dashboard/billing/plans/new/", {**FORM, "setup_fee_minor": "x"})
    assert bad.status_code == 400
    assert _plans(gym_a) == []
    good = web(gym_a, owner).post(
        "/dashboard/billing/plans/new/", {**FORM, "setup_fee_minor": "19"}
    )
    assert good.status_code == 302
    assert _plans(gym_a) == [("Monthly", 4990, 1900)]


def test_labels_say_the_currency_and_the_unit(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    page = web(gym_a, owner).get("/dashboard/billing/plans/new/").content.decode()
    assert "Price (EUR)" in page and "In EUR, e.g. 49.99." in page
    assert "Setup fee (EUR)" in page


def test_zero_decimal_currency_takes_whole_amounts_only():
    assert parse_major("4900", "jpy", maximum_minor=10_000_000) == 4900
    assert format_money(4900, "jpy") == "4900 JPY"
    with pytest.raises(ValueError, match="no decimal places"):
        parse_major("49.5", "jpy", maximum_minor=10_000_000)
    assert parse_major("1.500", "kwd", maximum_minor=10_000_000) == 1500
    assert format_money(4990, "eur") == "49.90 EUR"


def test_a_service_rule_shows_on_its_field(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    response = web(gym_a, owner).post(
        "/dashboard/billing/plans/new/", {**FORM, "interval": "pack", "class_credits": "0"}
    )
    assert response.status_code == 400
    assert "A pack must give at least one class credit." in response.content.decode()
    assert _plans(gym_a) == []


def test_edit_shows_the_price_in_major_units_and_saves_a_new_one(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):
        plan = MembershipPlanFactory(name="Basic", price_minor=3000, currency="EUR")
    client = web(gym_a, owner)
    page = client.get(f"/dashboard/billing/plans/{plan.pk}/").content.decode()
    assert 'value="30.00"' in page
    response = client.post(
        f"/dashboard/billing/plans/{plan.pk}/", {**FORM, "name": "Basic", "price_minor": "35.5"}
    )
    assert response.status_code == 302
    assert _plans(gym_a) == [("Basic", 3550, 0)]


def test_interval_of_a_plan_with_members_cannot_change(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):
        subscription = MemberSubscriptionFactory()
        plan = subscription.plan
    response = web(gym_a, owner).post(
        f"/dashboard/billing/plans/{plan.pk}/", {**FORM, "name": plan.name, "interval": "year"}
    )
    assert response.status_code == 400
    assert "make a new plan" in response.content.decode()
    with tenant_context(gym_a):
        plan.refresh_from_db()
        assert plan.interval == "month" and plan.price_minor == 3000


def test_archive_and_restore(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):
        plan = MembershipPlanFactory(name="Old")
    client = web(gym_a, owner)
    assert client.post(f"/dashboard/billing/plans/{plan.pk}/archive/").status_code == 302
    with tenant_context(gym_a):
        plan.refresh_from_db()
        assert not plan.active
    assert "(archived)" in client.get("/dashboard/billing/plans/").content.decode()
    client.post(f"/dashboard/billing/plans/{plan.pk}/archive/", {"restore": "1"})
    with tenant_context(gym_a):
        plan.refresh_from_db()
        assert plan.active


def test_plans_reach_stripe_in_minor_units_when_connected(
    billing_a, stripe_standin, make_user, web
):
    owner = make_user(billing_a, Role.OWNER)
    web(billing_a, owner).post("/dashboard/billing/plans/new/", {**FORM, "price_minor": "49.90"})
    with tenant_context(billing_a):
        plan = MembershipPlan.objects.get()
    price = stripe_standin.get(KEYS["gym-a"], plan.stripe_price_id)
    assert price["unit_amount"] == 4990 and price["currency"] == "eur"
    web(billing_a, owner).post(f"/dashboard/billing/plans/{plan.pk}/archive/")
    assert not stripe_standin.get(KEYS["gym-a"], plan.stripe_product_id)["active"]


@pytest.mark.parametrize(
    ("role", "path", "method", "status"),
    [
        (Role.TRAINER, "/dashboard/billing/plans/", "get", 403),
        (Role.FRONT_DESK, "/dashboard/billing/plans/new/", "post", 403),
        (Role.MANAGER, "/dashboard/billing/plans/new/", "get", 200),
        (Role.MANAGER, "/dashboard/billing/stripe/", "get", 403),
        (Role.MANAGER, "/dashboard/billing/stripe/connect/", "post", 403),
        (Role.OWNER, "/dashboard/billing/stripe/", "get", 200),
    ],
)
def test_who_may_open_the_pages(role, path, method, status, gym_a, make_user, web):
    user = make_user(gym_a, role)
    response = getattr(web(gym_a, user), method)(path, FORM if method == "post" else None)
    assert response.status_code == status
    assert _plans(gym_a) == []


def test_billing_page_links_to_plans_and_stripe(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    page = web(gym_a, owner).get("/dashboard/billing/").content.decode()
    assert 'href="/dashboard/billing/stripe/"' in page
    assert 'href="/dashboard/billing/plans/"' in page
    assert "/admin/billing/membershipplan/add/" not in page
