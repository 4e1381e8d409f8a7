"""Joining through Checkout, renewals, failed payments, the grace period and the door flag,
all through the real stripe SDK against the stand-in and signed webhooks."""

import datetime as dt

from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.billing.models import CreditEntry, Invoice, MemberSubscription, WebhookEvent
from apps.billing.selectors import credit_balance
from apps.billing.services import billing_enforce_grace
from apps.billing.tiers import Tier
from apps.members.models import Member, MemberStatus
from tests.billing.conftest import KEYS


def _member_with_login(gym, make_user, make_member, **kwargs):
    user = make_user(gym, Role.MEMBER)
    member = make_member(gym, user=user, status=MemberStatus.LEAD, **kwargs)
    return user, member


def _join(gym, api, user, plan, standin, deliver_all, *, pay=True):
    response = api(gym, user).post("/api/v1/billing/checkout/", {"plan": plan.pk}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"].startswith("https://checkout.stripe.com/")
    events = standin.complete_checkout(KEYS[gym.slug], body["id"], pay=pay)
    deliver_all(gym, events)
    return events


def test_member_joins_through_checkout_and_becomes_active_with_the_plans_tier(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    plan = make_plan(billing_a, tier=Tier.PRO, class_credits=8)
    user, member = _member_with_login(billing_a, make_user, make_member)

    _join(billing_a, api, user, plan, stripe_standin, deliver_all)

    with tenant_context(billing_a):
        member.refresh_from_db()
        assert (member.status, member.tier, member.payment_overdue) == ("active", "pro", False)
        sub = MemberSubscription.objects.get(member=member)
        assert sub.status == "active" and sub.amount_minor == 4900 and sub.currency == "eur"
        invoice = Invoice.objects.get(member=member)
        assert invoice.status == "paid" and invoice.amount_paid_minor == 4900
        assert credit_balance(member) == 8
    mine = api(billing_a, user).get("/api/v1/billing/subscription/").json()
    assert mine["tier"] == "pro" and mine["subscription"]["status"] == "active"
    assert mine["class_credits"] == 8
    invoices = api(billing_a, user).get("/api/v1/billing/invoices/").json()
    assert invoices["count"] == 1 and invoices["results"][0]["amount_paid_minor"] == 4900
    me = api(billing_a, user).get("/api/v1/me/").json()
    assert me["entitlements"]["tier"] == "pro"


def test_trial_then_setup_fee_only_on_first_invoice(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    plan = make_plan(billing_a, trial_days=14, setup_fee_minor=1500)
    user, member = _member_with_login(billing_a, make_user, make_member)
    _join(billing_a, api, user, plan, stripe_standin, deliver_all)
    with tenant_context(billing_a):
        member.refresh_from_db()
        assert (member.status, member.tier) == (MemberStatus.TRIAL, Tier.PRO)
        first = Invoice.objects.get(member=member)
        assert first.amount_due_minor == 1500  # the fee; the trial itself is free
        sub = MemberSubscription.objects.get(member=member)
    deliver_all(billing_a, stripe_standin.renew(KEYS["gym-a"], sub.stripe_subscription_id))
    with tenant_context(billing_a):
        member.refresh_from_db()
        assert member.status == MemberStatus.ACTIVE
        renewal = Invoice.objects.filter(member=member).exclude(pk=first.pk).get()
        assert renewal.amount_paid_minor == 4900 and renewal.billing_reason == "subscription_cycle"


def test_renewal_moves_the_period_and_grants_the_periods_credits(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    plan = make_plan(billing_a, class_credits=4)
    user, member = _member_with_login(billing_a, make_user, make_member)
    _join(billing_a, api, user, plan, stripe_standin, deliver_all)
    with tenant_context(billing_a):
        sub = MemberSubscription.objects.get(member=member)
        first_end = sub.current_period_end
    deliver_all(billing_a, stripe_standin.renew(KEYS["gym-a"], sub.stripe_subscription_id))
    with tenant_context(billing_a):
        sub.refresh_from_db()
        assert sub.current_period_start == first_end
        assert sub.current_period_end > first_end
        assert sub.status == "active"
        assert credit_balance(member) == 8
        assert Invoice.objects.filter(member=member, status="paid").count() == 2


def test_failed_payment_grace_then_door_flag_then_paying_clears_it(
    billing_a,
    stripe_standin,
    make_user,
    make_member,
    make_plan,
    api,
    deliver_all,
):
    plan = make_plan(billing_a)
    user, member = _member_with_login(billing_a, make_user, make_member, email="late@a.test")
    _join(billing_a, api, user, plan, stripe_standin, deliver_all)
    with tenant_context(billing_a):
        sub = MemberSubscription.objects.get(member=member)
    key = KEYS["gym-a"]
    stripe_standin.fail_card(key, sub.stripe_data["customer"])
    mail.outbox.clear()

    deliver_all(billing_a, stripe_standin.renew(key, sub.stripe_subscription_id))

    with tenant_context(billing_a):
        member.refresh_from_db()
        sub.refresh_from_db()
        assert sub.status == "past_due" and sub.past_due_since is not None
        # Within the grace period: still in, tier kept.
        assert (member.status, member.tier, member.payment_overdue) == ("active", "pro", False)
        failed = Invoice.objects.get(member=member, status="open")
        assert failed.attempt_count == 1
    # The member is told once, with a link to fix the card.
    assert len(mail.outbox) == 1
    assert failed.hosted_invoice_url in mail.outbox[0].body
    assert "49.00 EUR" in mail.outbox[0].body
    # Staff see it in the failed-payments list.
    owner = make_user(billing_a, Role.OWNER)
    listed = api(billing_a, owner).get("/api/v1/billing/failed-payments/").json()
    assert [row["member_id"] for row in listed["results"]] == [member.pk]
    page = api(billing_a, owner).get("/dashboard/billing/")
    assert page.status_code == 200 and member.full_name.encode() in page.content

    with tenant_context(billing_a):
        # Two days later: still in grace (3 days in this gym).
        assert billing_enforce_grace(now=timezone.now() + dt.timedelta(days=2)) == 0
        member.refresh_from_db()
        assert member.payment_overdue is False
        # Past the grace period: the periodic job sets the door's flag.
        assert billing_enforce_grace(now=timezone.now() + dt.timedelta(days=3, hours=1)) == 1
        member.refresh_from_db()
        assert member.payment_overdue is True

    # Paying (a retry after fixing the card) restores access at once.
    deliver_all(billing_a, stripe_standin.retry_invoice(key, failed.stripe_invoice_id))
    with tenant_context(billing_a):
        member.refresh_from_db()
        sub.refresh_from_db()
        assert member.payment_overdue is False and member.status == "active"
        assert sub.status == "active" and sub.past_due_since is None
    assert len(mail.outbox) == 1  # no second "failed" mail


def test_a_pack_adds_class_credits_once(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver, deliver_all
):
    pack = make_plan(
        billing_a, name="10 classes", interval="pack", price_minor=12000, class_credits=10
    )
    user, member = _member_with_login(billing_a, make_user, make_member)
    events = _join(billing_a, api, user, pack, stripe_standin, deliver_all)
    deliver(billing_a, events[-1])  # Stripe delivers the completion twice
    with tenant_context(billing_a):
        assert credit_balance(member) == 10
        assert CreditEntry.objects.filter(member=member).count() == 1
        member.refresh_from_db()
        assert member.status == MemberStatus.LEAD  # a pack is not a membership


def test_unpaid_after_retries_keeps_the_door_flag_until_paid(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    plan = make_plan(billing_a)
    user, member = _member_with_login(billing_a, make_user, make_member)
    _join(billing_a, api, user, plan, stripe_standin, deliver_all)
    key = KEYS["gym-a"]
    with tenant_context(billing_a):
        sub = MemberSubscription.objects.get(member=member)
    stripe_standin.fail_card(key, sub.stripe_data["customer"])
    deliver_all(billing_a, stripe_standin.renew(key, sub.stripe_subscription_id))
    deliver_all(billing_a, stripe_standin.mark_unpaid(key, sub.stripe_subscription_id))
    with tenant_context(billing_a):
        billing_enforce_grace(now=timezone.now() + dt.timedelta(days=4))
        member.refresh_from_db()
        assert member.payment_overdue is True
        assert WebhookEvent.objects.filter(error="").count() == WebhookEvent.objects.count()


def test_cancelled_subscription_ends_membership_and_tier(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    plan = make_plan(billing_a, tier=Tier.PRO_PLUS)
    user, member = _member_with_login(billing_a, make_user, make_member)
    _join(billing_a, api, user, plan, stripe_standin, deliver_all)
    response = api(billing_a, user).post("/api/v1/billing/subscription/cancel/")
    assert response.status_code == 200, response.content
    assert response.json()["cancel_at_period_end"] is True
    with tenant_context(billing_a):
        member.refresh_from_db()
        assert member.tier == Tier.PRO_PLUS  # paid to the end of the period
        sub = MemberSubscription.objects.get(member=member)
    deliver_all(billing_a, stripe_standin.renew(KEYS["gym-a"], sub.stripe_subscription_id))
    with tenant_context(billing_a):
        member = Member.objects.get(pk=member.pk)
        assert (member.status, member.tier) == (MemberStatus.CANCELLED, Tier.FREE)


def test_portal_link_for_a_paying_member_and_a_clear_error_otherwise(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    plan = make_plan(billing_a)
    user, member = _member_with_login(billing_a, make_user, make_member)
    none_yet = api(billing_a, user).post("/api/v1/billing/portal/")
    assert none_yet.status_code == 404
    assert none_yet.json()["error"]["code"] == "no_billing_customer"
    _join(billing_a, api, user, plan, stripe_standin, deliver_all)
    response = api(billing_a, user).post("/api/v1/billing/portal/")
    assert response.status_code == 201
    assert response.json()["url"].startswith("https://billing.stripe.com/p/session/")
    staff = make_user(billing_a, Role.OWNER)
    no_profile = api(billing_a, staff).post("/api/v1/billing/portal/")
    assert no_profile.status_code == 404
    assert no_profile.json()["error"]["code"] == "no_member_profile"


def test_checkout_input_errors(billing_a, stripe_standin, make_user, make_member, make_plan, api):
    plan = make_plan(billing_a, active=False)
    user, member = _member_with_login(billing_a, make_user, make_member)
    client = api(billing_a, user)
    for body in ({}, {"plan": "abc"}, {"plan": 10**9}, {"plan": None}):
        response = client.post("/api/v1/billing/checkout/", body, format="json")
        assert response.status_code == 400, body
    inactive = client.post("/api/v1/billing/checkout/", {"plan": plan.pk}, format="json")
    assert inactive.json()["error"]["code"] == "plan_not_available"
    malformed = client.post("/api/v1/billing/checkout/", "{", content_type="application/json")
    assert malformed.status_code == 400


def test_staff_see_a_members_billing(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    plan = make_plan(billing_a, class_credits=6)
    user, member = _member_with_login(billing_a, make_user, make_member)
    _join(billing_a, api, user, plan, stripe_standin, deliver_all)
    desk = make_user(billing_a, Role.FRONT_DESK)
    body = api(billing_a, desk).get(f"/api/v1/billing/members/{member.pk}/").json()
    assert body["subscription"]["status"] == "active" and body["class_credits"] == 6
    assert len(body["invoices"]) == 1 and body["invoices"][0]["amount_paid_minor"] == 4900
    trainer = make_user(billing_a, Role.TRAINER)
    assert api(billing_a, trainer).get(f"/api/v1/billing/members/{member.pk}/").status_code == 403
    assert api(billing_a, user).get(f"/api/v1/billing/members/{member.pk}/").status_code == 403
    assert api(billing_a, desk).get("/api/v1/billing/members/999999/").status_code == 404


def test_front_desk_sells_an_offline_plan_through_a_checkout_link(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    plan = make_plan(billing_a, name="Desk only", sold_online=False, tier=Tier.BASIC)
    member = make_member(billing_a, status=MemberStatus.LEAD)  # no app login needed
    desk = make_user(billing_a, Role.FRONT_DESK)
    url = f"/api/v1/billing/members/{member.pk}/checkout/"
    response = api(billing_a, desk).post(url, {"plan": plan.pk}, format="json")
    assert response.status_code == 201, response.content
    deliver_all(billing_a, stripe_standin.complete_checkout(KEYS["gym-a"], response.json()["id"]))
    with tenant_context(billing_a):
        member.refresh_from_db()
        assert (member.status, member.tier) == (MemberStatus.ACTIVE, Tier.BASIC)
    trainer = make_user(billing_a, Role.TRAINER)
    assert api(billing_a, trainer).post(url, {"plan": plan.pk}, format="json").status_code == 403
    assert api(billing_a, desk).post(url, {}, format="json").status_code == 400
