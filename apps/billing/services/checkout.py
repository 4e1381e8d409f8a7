"""Joining: Stripe Checkout for a plan or a pack, and the customer portal link."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.billing.models import BillingCustomer, CheckoutRequest, MembershipPlan, MemberSubscription
from apps.billing.selectors import billing_settings_get, member_live_subscription
from apps.billing.services._shared import customer_for, gym_currency
from apps.billing.services.plans import plan_sync_to_stripe
from apps.billing.stripe_api import call, gym_client
from apps.common.errors import ApplicationError
from apps.members.models import Member


def checkout_start(
    *,
    member: Member,
    plan: MembershipPlan,
    success_url: str,
    cancel_url: str,
    by: User | None = None,
) -> CheckoutRequest:
    """Open a Stripe Checkout session for `member` to join `plan` (or buy a pack).

    Not one transaction: each Stripe call (the plan's price if missing, the member's
    customer, the session) is made with no transaction open and its result written at
    once, so a slow Stripe holds no lock (the customer row would lock the member's)."""
    staff = by is not None and by.is_gym_staff
    if not plan.active or (not plan.sold_online and not staff):
        raise ApplicationError(_("This plan is not on sale."), code="plan_not_available")
    if plan.currency != gym_currency():
        raise ApplicationError(
            _("This plan is priced in another currency than the gym's."), code="currency_mismatch"
        )
    if plan.is_recurring and member_live_subscription(member) is not None:
        raise ApplicationError(
            _("You already have a membership; change plan instead."),
            code="already_subscribed",
        )
    settings_row = billing_settings_get()
    client = gym_client(settings_row)
    if not plan.stripe_price_id:
        plan_sync_to_stripe(plan=plan)
    customer = customer_for(member, client)
    meta = {
        "member_id": str(member.pk),
        "plan_id": str(plan.pk),
        "schema": connection.schema_name,
    }
    items = [{"price": plan.stripe_price_id, "quantity": 1}]
    params = {
        "mode": "subscription" if plan.is_recurring else "payment",
        "customer": customer,
        "client_reference_id": str(member.pk),
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": meta,
    }
    if plan.is_recurring:
        first_time = not MemberSubscription.objects.filter(member=member).exists()
        if plan.setup_fee_minor and first_time:
            items.append({"price": plan.stripe_setup_price_id, "quantity": 1})
        params["subscription_data"] = {"metadata": meta}
        if plan.trial_days and first_time:
            params["subscription_data"]["trial_period_days"] = plan.trial_days
    params["line_items"] = items
    session = call(client.v1.checkout.sessions.create, params)
    return CheckoutRequest.objects.create(
        member=member, plan=plan, stripe_session_id=session.id, url=session.url, created_by=by
    )


def portal_session_url(*, member: Member, return_url: str) -> str:
    """A Stripe customer portal link: update the card, see invoices and receipts."""
    customer = BillingCustomer.objects.filter(member=member).first()
    if customer is None:
        raise ApplicationError(
            _("There is no payment account yet: join a plan first."),
            code="no_billing_customer",
            status_code=404,
        )
    client = gym_client(billing_settings_get())
    session = call(
        client.v1.billing_portal.sessions.create,
        {"customer": customer.stripe_customer_id, "return_url": return_url},
    )
    return session.url
