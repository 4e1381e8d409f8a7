"""Billing feeds the door: failed payment -> past due -> grace (still in) -> after grace
the kiosk refuses "payment_overdue" -> paying lets the member in again at once."""

import datetime as dt

from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.attendance.services import check_in, door_settings_update, kiosk_register
from apps.billing.models import Invoice, MemberSubscription
from apps.billing.services import billing_enforce_grace
from apps.members.models import MemberStatus
from tests.attendance.factories import ALWAYS_OPEN, code_for, set_hours
from tests.billing.conftest import KEYS


def _scan(gym, kiosk, member):
    with tenant_context(gym):
        return check_in(kiosk=kiosk, code=code_for(gym, member))


def test_failed_payment_closes_the_door_after_grace_and_paying_opens_it(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    set_hours(billing_a, ALWAYS_OPEN)
    with tenant_context(billing_a):
        door_settings_update(data={"anti_passback": False})
        kiosk, _token = kiosk_register(name="Front door", mode="entry")
    plan = make_plan(billing_a)
    user = make_user(billing_a, Role.MEMBER)
    member = make_member(billing_a, user=user, status=MemberStatus.LEAD)
    assert _scan(billing_a, kiosk, member)["reason"] == "member_not_active"  # not paid yet

    body = api(billing_a, user).post("/api/v1/billing/checkout/", {"plan": plan.pk}, format="json")
    deliver_all(billing_a, stripe_standin.complete_checkout(KEYS["gym-a"], body.json()["id"]))
    assert _scan(billing_a, kiosk, member)["granted"] is True

    with tenant_context(billing_a):
        sub = MemberSubscription.objects.get(member=member)
    stripe_standin.fail_card(KEYS["gym-a"], sub.stripe_data["customer"])
    deliver_all(billing_a, stripe_standin.renew(KEYS["gym-a"], sub.stripe_subscription_id))
    assert _scan(billing_a, kiosk, member)["granted"] is True  # in the grace period

    with tenant_context(billing_a):
        billing_enforce_grace(now=timezone.now() + dt.timedelta(days=4))
    denied = _scan(billing_a, kiosk, member)
    assert denied["granted"] is False and denied["reason"] == "payment_overdue"

    with tenant_context(billing_a):
        invoice = Invoice.objects.get(member=member, status="open")
    deliver_all(billing_a, stripe_standin.retry_invoice(KEYS["gym-a"], invoice.stripe_invoice_id))
    assert _scan(billing_a, kiosk, member)["granted"] is True
