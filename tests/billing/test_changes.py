"""Changes to a running membership: plan changes with proration, freezes, cancellation
with the minimum contract; plans and money rules."""

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.billing.models import BillingSettings, Invoice, MembershipPlan, MemberSubscription
from apps.billing.money import format_money
from apps.billing.services import add_months, billing_settings_update
from apps.billing.tiers import Tier
from apps.common.errors import ApplicationError
from apps.members.models import MemberStatus
from tests.billing.conftest import KEYS


@pytest.fixture
def clock(stripe_standin):
    yield stripe_standin
    stripe_standin.clock = None


def _active_member(gym, api, make_user, make_member, plan, standin, deliver_all):
    user = make_user(gym, Role.MEMBER)
    member = make_member(gym, user=user, status=MemberStatus.LEAD)
    body = api(gym, user).post("/api/v1/billing/checkout/", {"plan": plan.pk}, format="json").json()
    deliver_all(gym, standin.complete_checkout(KEYS[gym.slug], body["id"]))
    with tenant_context(gym):
        return user, member, MemberSubscription.objects.get(member=member)


def test_upgrade_mid_period_is_prorated_and_charged_now(
    billing_a, clock, make_user, make_member, make_plan, api, deliver_all
):
    basic = make_plan(billing_a, name="Basic", price_minor=4900, tier=Tier.BASIC)
    pro = make_plan(billing_a, name="Pro", price_minor=9900, tier=Tier.PRO)
    user, member, sub = _active_member(
        billing_a, api, make_user, make_member, basic, clock, deliver_all
    )
    start, end = sub.current_period_start.timestamp(), sub.current_period_end.timestamp()
    clock.clock = int(start + (end - start) // 2)  # half the period is left

    response = api(billing_a, user).post(
        "/api/v1/billing/subscription/change-plan/", {"plan": pro.pk}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["plan"]["id"] == pro.pk
    with tenant_context(billing_a):
        member.refresh_from_db()
        assert member.tier == Tier.PRO  # at once, not at renewal
        proration = Invoice.objects.get(member=member, billing_reason="subscription_update")
        # -2450 unused Basic + 4950 remaining Pro = 2500, in cents, never a float.
        assert proration.amount_due_minor == 2500 and proration.status == "paid"
        assert isinstance(proration.amount_due_minor, int)


def test_downgrade_credits_the_next_invoice(
    billing_a, clock, make_user, make_member, make_plan, api, deliver_all
):
    pro = make_plan(billing_a, name="Pro", price_minor=9900, tier=Tier.PRO)
    basic = make_plan(billing_a, name="Basic", price_minor=4900, tier=Tier.BASIC)
    user, member, sub = _active_member(
        billing_a, api, make_user, make_member, pro, clock, deliver_all
    )
    start, end = sub.current_period_start.timestamp(), sub.current_period_end.timestamp()
    clock.clock = int(start + (end - start) // 2)
    response = api(billing_a, user).post(
        "/api/v1/billing/subscription/change-plan/", {"plan": basic.pk}, format="json"
    )
    assert response.status_code == 200
    deliver_all(billing_a, clock.renew(KEYS["gym-a"], sub.stripe_subscription_id))
    with tenant_context(billing_a):
        member.refresh_from_db()
        assert member.tier == Tier.BASIC
        renewal = Invoice.objects.get(member=member, billing_reason="subscription_cycle")
        # 4900 for the new period - 4950 unused Pro + 2450 remaining Basic.
        assert renewal.amount_due_minor == 4900 - 4950 + 2450


def test_plan_change_refusals(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    basic = make_plan(billing_a, name="Basic")
    yearly = make_plan(billing_a, name="Yearly", interval="year", price_minor=49000)
    user, member, sub = _active_member(
        billing_a, api, make_user, make_member, basic, stripe_standin, deliver_all
    )
    client = api(billing_a, user)
    url = "/api/v1/billing/subscription/change-plan/"
    assert (
        client.post(url, {"plan": basic.pk}, format="json").json()["error"]["code"] == "same_plan"
    )
    assert (
        client.post(url, {"plan": yearly.pk}, format="json").json()["error"]["code"]
        == "interval_mismatch"
    )
    assert client.post(url, {"plan": 999999}, format="json").status_code == 400
    # A plan not sold online (a desk-only rate) is not the member's to switch to.
    desk_only = make_plan(billing_a, name="Desk only", sold_online=False)
    refused = client.post(url, {"plan": desk_only.pk}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "plan_not_available"
    assert client.post(url, {}, format="json").status_code == 400
    # Joining again while subscribed is refused too.
    again = client.post("/api/v1/billing/checkout/", {"plan": basic.pk}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "already_subscribed"


def test_freeze_pauses_collection_and_extends_the_contract_then_unfreeze_gives_days_back(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    plan = make_plan(billing_a, contract_min_months=12)
    user, member, sub = _active_member(
        billing_a, api, make_user, make_member, plan, stripe_standin, deliver_all
    )
    contract_end = sub.contract_ends_on
    assert contract_end == add_months(sub.started_at.date(), 12)
    today = timezone.localdate()
    client = api(billing_a, user)

    response = client.post(
        "/api/v1/billing/subscription/freeze/", {"start": str(today), "days": 30}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["frozen_from"] == str(today)
    assert body["frozen_until"] == str(today + dt.timedelta(days=30))
    assert body["contract_ends_on"] == str(contract_end + dt.timedelta(days=30))
    stripe_sub = stripe_standin.get(KEYS["gym-a"], sub.stripe_subscription_id)
    assert stripe_sub["pause_collection"]["behavior"] == "void"
    with tenant_context(billing_a):
        member.refresh_from_db()
        assert member.status == MemberStatus.FROZEN
    # A renewal during the freeze is voided: nothing is charged.
    deliver_all(billing_a, stripe_standin.renew(KEYS["gym-a"], sub.stripe_subscription_id))
    with tenant_context(billing_a):
        assert (
            Invoice.objects.get(member=member, billing_reason="subscription_cycle").status == "void"
        )
    again = client.post(
        "/api/v1/billing/subscription/freeze/", {"start": str(today), "days": 30}, format="json"
    )
    assert again.json()["error"]["code"] == "already_frozen"

    response = client.post("/api/v1/billing/subscription/unfreeze/")

    assert response.status_code == 200, response.content
    body = response.json()
    # Unfrozen the same day: all 30 days come back off the contract.
    assert body["contract_ends_on"] == str(contract_end)
    assert body["frozen_until"] == str(today)
    assert stripe_standin.get(KEYS["gym-a"], sub.stripe_subscription_id)["pause_collection"] is None
    with tenant_context(billing_a):
        member.refresh_from_db()
        assert member.status == MemberStatus.ACTIVE
    assert (
        client.post("/api/v1/billing/subscription/unfreeze/").json()["error"]["code"]
        == "not_frozen"
    )


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"start": "today", "days": 30}, "invalid"),
        ({"days": 30}, "invalid"),
        ({"start": "2000-01-01", "days": 30}, "invalid_freeze_start"),
        ({"start": "__today__", "days": 3}, "invalid_freeze_length"),  # under 7
        ({"start": "__today__", "days": 120}, "invalid_freeze_length"),  # over 90
        ({"start": "__today__", "days": 7.5}, "invalid"),
    ],
)
def test_freeze_rules(
    payload, code, billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    plan = make_plan(billing_a)
    user, member, sub = _active_member(
        billing_a, api, make_user, make_member, plan, stripe_standin, deliver_all
    )
    if payload.get("start") == "__today__":
        payload = {**payload, "start": str(timezone.localdate())}
    response = api(billing_a, user).post(
        "/api/v1/billing/subscription/freeze/", payload, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (
        error["code"] == code
        or code == "invalid"
        and error["code"] in ("invalid", "validation_error", "invalid_input")
    )
    with tenant_context(billing_a):
        sub.refresh_from_db()
        assert sub.frozen_until is None


def test_cancel_respects_the_minimum_contract(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    plan = make_plan(billing_a, contract_min_months=6)
    user, member, sub = _active_member(
        billing_a, api, make_user, make_member, plan, stripe_standin, deliver_all
    )

    response = api(billing_a, user).post("/api/v1/billing/subscription/cancel/")

    assert response.status_code == 200
    body = response.json()
    # Not at the end of this month's period: at the end of the 6-month minimum.
    assert body["cancel_at_period_end"] is False
    assert body["cancel_at"].startswith(str(sub.contract_ends_on))
    stripe_sub = stripe_standin.get(KEYS["gym-a"], sub.stripe_subscription_id)
    assert stripe_sub["cancel_at"] == int(
        dt.datetime.combine(sub.contract_ends_on, dt.time(), tzinfo=dt.UTC).timestamp()
    )
    # The next renewal still happens (inside the contract).
    deliver_all(billing_a, stripe_standin.renew(KEYS["gym-a"], sub.stripe_subscription_id))
    with tenant_context(billing_a):
        member.refresh_from_db()
        assert member.status == MemberStatus.ACTIVE
    # Changing one's mind: resume.
    resumed = api(billing_a, user).post("/api/v1/billing/subscription/resume/").json()
    assert resumed["cancel_at"] is None and resumed["cancel_at_period_end"] is False


def test_cancel_without_contract_is_at_period_end(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    plan = make_plan(billing_a)
    user, member, sub = _active_member(
        billing_a, api, make_user, make_member, plan, stripe_standin, deliver_all
    )
    body = api(billing_a, user).post("/api/v1/billing/subscription/cancel/").json()
    assert body["cancel_at_period_end"] is True
    assert body["cancel_at"] == body["current_period_end"]


def test_money_is_never_a_float_and_currency_is_the_gyms(billing_a, make_user, api):
    owner = make_user(billing_a, Role.OWNER)
    client = api(billing_a, owner)
    base = {"name": "X", "interval": "month", "tier": "pro"}
    for bad in (49.0, 49.5, "49.00", "4900", True, -1, None):
        response = client.post(
            "/api/v1/billing/plans/", {**base, "price_minor": bad}, format="json"
        )
        assert response.status_code == 400, bad
    created = client.post("/api/v1/billing/plans/", {**base, "price_minor": 4999}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["price_minor"] == 4999 and body["currency"] == "eur"
    with tenant_context(billing_a):
        plan = MembershipPlan.objects.get(pk=body["id"])
        assert isinstance(plan.price_minor, int)
    assert format_money(4999, "eur") == "49.99 EUR"
    assert format_money(5, "usd") == "0.05 USD"


def test_plan_is_synced_to_stripe_and_a_new_price_replaces_the_old(
    billing_a, stripe_standin, make_user, api
):
    owner = make_user(billing_a, Role.OWNER)
    client = api(billing_a, owner)
    created = client.post(
        "/api/v1/billing/plans/",
        {
            "name": "Gold",
            "price_minor": 5900,
            "interval": "month",
            "tier": "pro_plus",
            "setup_fee_minor": 1000,
        },
        format="json",
    ).json()
    key = KEYS["gym-a"]
    price = stripe_standin.get(key, created["stripe_price_id"])
    assert (price["unit_amount"], price["currency"], price["recurring"]["interval"]) == (
        5900,
        "eur",
        "month",
    )
    assert stripe_standin.get(key, price["product"])["name"] == "Gold"
    changed = client.patch(
        f"/api/v1/billing/plans/{created['id']}/", {"price_minor": 6900}, format="json"
    ).json()
    assert changed["stripe_price_id"] != created["stripe_price_id"]
    assert stripe_standin.get(key, created["stripe_price_id"])["active"] is False
    assert stripe_standin.get(key, changed["stripe_price_id"])["unit_amount"] == 6900


def test_plan_rules(billing_a, make_user, api):
    owner = make_user(billing_a, Role.OWNER)
    client = api(billing_a, owner)
    pack_with_trial = {
        "name": "P",
        "price_minor": 100,
        "interval": "pack",
        "tier": "basic",
        "trial_days": 7,
        "class_credits": 5,
    }
    assert client.post("/api/v1/billing/plans/", pack_with_trial, format="json").status_code == 400
    no_credits = {"name": "P", "price_minor": 100, "interval": "pack", "tier": "basic"}
    assert client.post("/api/v1/billing/plans/", no_credits, format="json").status_code == 400
    assert (
        client.post(
            "/api/v1/billing/plans/",
            {"name": "", "price_minor": 1, "interval": "month", "tier": "pro"},
            format="json",
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/api/v1/billing/plans/",
            {"name": "Y", "price_minor": 1, "interval": "week", "tier": "pro"},
            format="json",
        ).status_code
        == 400
    )


def test_roles_decide_who_manages_plans(billing_a, make_user, make_member, make_plan, api):
    plan = make_plan(billing_a, sold_online=False)
    on_sale = make_plan(billing_a, name="Online")
    desk = make_user(billing_a, Role.FRONT_DESK)
    trainer = make_user(billing_a, Role.TRAINER)
    member_user = make_user(billing_a, Role.MEMBER)
    make_member(billing_a, user=member_user)
    body = {"name": "Z", "price_minor": 100, "interval": "month", "tier": "basic"}
    assert (
        api(billing_a, desk).post("/api/v1/billing/plans/", body, format="json").status_code == 403
    )
    assert (
        api(billing_a, member_user).post("/api/v1/billing/plans/", body, format="json").status_code
        == 403
    )
    assert api(billing_a, trainer).get("/api/v1/billing/failed-payments/").status_code == 403
    assert api(billing_a, desk).get("/api/v1/billing/failed-payments/").status_code == 200
    seen = [p["id"] for p in api(billing_a, member_user).get("/api/v1/billing/plans/").json()]
    assert on_sale.pk in seen and plan.pk not in seen
    # A member cannot buy a plan that is not sold online.
    response = api(billing_a, member_user).post(
        "/api/v1/billing/checkout/", {"plan": plan.pk}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "plan_not_available"
    assert api(billing_a).get("/api/v1/billing/plans/").status_code in (401, 403)


def test_checkout_without_stripe_connected_says_so(gym_b, make_user, make_member, make_plan, api):
    plan = make_plan(gym_b)
    user = make_user(gym_b, Role.MEMBER)
    make_member(gym_b, user=user)
    response = api(gym_b, user).post("/api/v1/billing/checkout/", {"plan": plan.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "billing_not_connected"


def test_stripe_keys_are_stored_encrypted_and_checked(billing_a, stripe_standin, make_user, web):
    with tenant_context(billing_a):
        row = BillingSettings.objects.get()
        assert KEYS["gym-a"] not in row.secret_key_encrypted
        assert "whsec_" not in row.webhook_secret_encrypted
        assert row.stripe_account_id == stripe_standin.account_id(KEYS["gym-a"])
        with pytest.raises(ApplicationError) as bad:
            billing_settings_update(data={"secret_key": "pk_test_nope", "webhook_secret": "nope"})
        assert set(bad.value.details) == {"secret_key", "webhook_secret"}
        with pytest.raises(ApplicationError) as refused:
            billing_settings_update(data={"secret_key": "sk_test_"})  # Stripe refuses it (401)
        assert refused.value.code == "payment_provider_auth"
