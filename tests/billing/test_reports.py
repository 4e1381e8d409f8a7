"""Billing figures for staff: MRR, subscriptions by plan, churn, failed payments, renewals."""

import datetime as dt

from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.billing.models import Invoice, MemberSubscription
from apps.members.models import MemberStatus
from tests.billing.conftest import KEYS


def _join(gym, api, make_user, make_member, plan, standin, deliver_all):
    user = make_user(gym, Role.MEMBER)
    member = make_member(gym, user=user, status=MemberStatus.LEAD)
    body = api(gym, user).post("/api/v1/billing/checkout/", {"plan": plan.pk}, format="json").json()
    deliver_all(gym, standin.complete_checkout(KEYS[gym.slug], body["id"]))
    with tenant_context(gym):
        return member, MemberSubscription.objects.get(member=member)


def test_report_figures_in_minor_units(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, web, deliver_all
):
    monthly = make_plan(billing_a, name="Monthly", price_minor=4900)
    yearly = make_plan(billing_a, name="Yearly", interval="year", price_minor=49900)
    _join(billing_a, api, make_user, make_member, monthly, stripe_standin, deliver_all)
    _join(billing_a, api, make_user, make_member, yearly, stripe_standin, deliver_all)
    late, late_sub = _join(
        billing_a, api, make_user, make_member, monthly, stripe_standin, deliver_all
    )
    gone, gone_sub = _join(
        billing_a, api, make_user, make_member, monthly, stripe_standin, deliver_all
    )
    key = KEYS["gym-a"]
    stripe_standin.fail_card(key, late_sub.stripe_data["customer"])
    deliver_all(billing_a, stripe_standin.renew(key, late_sub.stripe_subscription_id))
    deliver_all(billing_a, stripe_standin.renew(key, gone_sub.stripe_subscription_id))
    gone_user = gone.user
    assert api(billing_a, gone_user).post("/api/v1/billing/subscription/cancel/").status_code == 200
    deliver_all(billing_a, stripe_standin.renew(key, gone_sub.stripe_subscription_id))

    owner = make_user(billing_a, Role.OWNER)
    report = api(billing_a, owner).get("/api/v1/billing/reports/").json()

    # 4900 + 49900/12 (4158.33) + 4900 (past due still counts) = 13958.33 -> 13958 cents
    assert report["mrr_minor"] == 13958
    assert report["currency"] == "eur"
    assert report["active_subscriptions"] == 3
    assert {r["plan"]: r["count"] for r in report["by_plan"]} == {"Monthly": 2, "Yearly": 1}
    assert report["churned_30_days"] == 1
    assert report["churn_rate_30_days"] == "25.0"  # 1 of the 4 there 30 days ago or since
    assert report["failed_payments"] == 1 and report["failed_amount_minor"] == 4900
    with tenant_context(billing_a):
        paid = sum(
            Invoice.objects.filter(status="paid").values_list("amount_paid_minor", flat=True)
        )
    assert report["collected_by_month"][-1]["collected_minor"] == paid
    assert all(isinstance(m["collected_minor"], int) for m in report["collected_by_month"])
    page = web(billing_a, owner).get("/dashboard/billing/")
    assert page.status_code == 200
    assert b"139.58 EUR" in page.content and b'<svg viewBox="0 0 600 220"' in page.content


def test_upcoming_renewals_lists_the_next_seven_days(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    plan = make_plan(billing_a)
    member, sub = _join(billing_a, api, make_user, make_member, plan, stripe_standin, deliver_all)
    owner = make_user(billing_a, Role.OWNER)
    assert api(billing_a, owner).get("/api/v1/billing/reports/").json()["upcoming_renewals"] == []
    with tenant_context(billing_a):
        MemberSubscription.objects.filter(pk=sub.pk).update(
            current_period_end=timezone.now() + dt.timedelta(days=3)
        )
    upcoming = api(billing_a, owner).get("/api/v1/billing/reports/").json()["upcoming_renewals"]
    assert [u["member_id"] for u in upcoming] == [member.pk]


def test_reports_are_for_owners_and_managers(billing_a, make_user, api, web):
    for role, status in [
        (Role.OWNER, 200),
        (Role.MANAGER, 200),
        (Role.FRONT_DESK, 403),
        (Role.TRAINER, 403),
        (Role.MEMBER, 403),
    ]:
        user = make_user(billing_a, role)
        assert api(billing_a, user).get("/api/v1/billing/reports/").status_code == status, role
    desk = make_user(billing_a, Role.FRONT_DESK)
    page = web(billing_a, desk).get("/dashboard/billing/")
    assert (
        page.status_code == 200 and b'<svg viewBox="0 0 600 220"' not in page.content
    )  # list, no revenue
    trainer = make_user(billing_a, Role.TRAINER)
    assert web(billing_a, trainer).get("/dashboard/billing/").status_code == 403
