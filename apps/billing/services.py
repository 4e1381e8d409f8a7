"""Writes on member billing: settings, plans, checkout, subscription changes, webhooks.

Stripe holds the truth about subscriptions. Every webhook is verified, stored once (by
event id) and processed by re-reading the object's *current* state from Stripe, so
duplicates are no-ops and the order of delivery does not matter. Member access changes in
one place, `member_billing_refresh`, which sets `Member.status`, `Member.tier` and
`Member.payment_overdue` (the door's flag) from the member's subscriptions.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
from decimal import Decimal

import stripe
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from apps.accounts.models import User
from apps.billing import tasks as billing_tasks
from apps.billing.crypto import decrypt, encrypt
from apps.billing.models import (
    LIVE_STATUSES,
    BillingCustomer,
    BillingSettings,
    ChargeStatus,
    CheckoutRequest,
    CreditEntry,
    Invoice,
    MemberCharge,
    MembershipPlan,
    MemberSubscription,
    PlanInterval,
    SubscriptionStatus,
    WebhookEvent,
)
from apps.billing.stripe_api import client_for_key, gym_client, provider_error
from apps.billing.tiers import Tier
from apps.common.errors import ApplicationError
from apps.common.notifications import in_gym_language, notify
from apps.common.realtime import broadcast_on_commit
from apps.members.models import Member, MemberStatus

logger = logging.getLogger(__name__)

PLAN_FIELDS = frozenset(
    {
        "name",
        "description",
        "price_minor",
        "interval",
        "tier",
        "class_credits",
        "trial_days",
        "setup_fee_minor",
        "contract_min_months",
        "sold_online",
        "active",
    }
)
MAX_PRICE_MINOR = 10_000_000  # 100,000.00 in the gym's currency: a typo guard


# -- helpers -----------------------------------------------------------------------------
def _ts(value) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC) if value else None


def _unix(value: dt.datetime | dt.date) -> int:
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    return calendar.timegm(value.timetuple())


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def billing_settings_get() -> BillingSettings:
    found, _created = BillingSettings.objects.get_or_create(singleton=1)
    return found


def _plain(obj) -> dict:
    """A Stripe object as plain JSON data (the SDK parses `*_decimal` fields to Decimal,
    which stays exact here as a string)."""
    return json.loads(json.dumps(obj.to_dict(), default=str))


def _call(func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except stripe.StripeError as exc:
        raise provider_error(exc) from exc


def _gym_currency() -> str:
    return connection.tenant.currency.lower()


# -- settings ----------------------------------------------------------------------------
@transaction.atomic
def billing_settings_update(*, data: dict) -> BillingSettings:
    """Connect the gym's Stripe account and set its rules. A new secret key is checked
    with Stripe (the account it belongs to is recorded) before it is stored, encrypted."""
    row = BillingSettings.objects.select_for_update().get(pk=billing_settings_get().pk)
    secret_key = (data.get("secret_key") or "").strip()
    webhook_secret = (data.get("webhook_secret") or "").strip()
    errors = {}
    if secret_key and not secret_key.startswith(("sk_live_", "sk_test_", "rk_live_", "rk_test_")):
        errors["secret_key"] = [_("A Stripe secret key starts with sk_ or rk_.")]
    if webhook_secret and not webhook_secret.startswith("whsec_"):
        errors["webhook_secret"] = [_("A Stripe webhook signing secret starts with whsec_.")]
    publishable = data.get("publishable_key")
    if publishable and not publishable.startswith("pk_"):
        errors["publishable_key"] = [_("A Stripe publishable key starts with pk_.")]
    for field in ("grace_period_days", "freeze_min_days", "freeze_max_days"):
        if field in data and data[field] is not None:
            value = data[field]
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 365:
                errors[field] = [_("Use a whole number of days from 0 to 365.")]
            else:
                setattr(row, field, value)
    if row.freeze_min_days > row.freeze_max_days:
        errors["freeze_min_days"] = [_("The shortest freeze is longer than the longest.")]
    if errors:
        raise ApplicationError(
            _("Some fields are not valid."), code="validation_error", details=errors
        )
    if secret_key:
        account = _call(client_for_key(secret_key).v1.accounts.retrieve_current)
        row.stripe_account_id = account.id
        row.secret_key_encrypted = encrypt(secret_key)
    if webhook_secret:
        row.webhook_secret_encrypted = encrypt(webhook_secret)
    if publishable is not None:
        row.publishable_key = publishable
    row.save()
    return row


# -- plans -------------------------------------------------------------------------------
def _validate_plan(plan: MembershipPlan) -> None:
    errors = {}
    if not (plan.name or "").strip():
        errors["name"] = [_("Give the plan a name.")]
    for field in ("price_minor", "setup_fee_minor"):
        value = getattr(plan, field)
        if isinstance(value, float) or not isinstance(value, int) or isinstance(value, bool):
            errors[field] = [_("Amounts are whole numbers of cents, not decimals.")]
        elif not 0 <= value <= MAX_PRICE_MINOR:
            errors[field] = [_("Enter an amount from 0 to 10,000,000 cents.")]
    if plan.interval not in PlanInterval.values:
        errors["interval"] = [_("Choose month, year or pack.")]
    if plan.tier not in Tier.values:
        errors["tier"] = [_("Choose a tier.")]
    if plan.interval == PlanInterval.PACK:
        if plan.trial_days:
            errors["trial_days"] = [_("A one-off pack has no trial.")]
        if not plan.class_credits:
            errors["class_credits"] = [_("A pack must give at least one class credit.")]
    if plan.trial_days > 365:
        errors["trial_days"] = [_("A trial lasts at most 365 days.")]
    if plan.contract_min_months > 60:
        errors["contract_min_months"] = [_("A minimum contract is at most 60 months.")]
    if errors:
        raise ApplicationError(
            _("Some fields are not valid."), code="validation_error", details=errors
        )


@transaction.atomic
def plan_create(*, data: dict) -> MembershipPlan:
    unknown = set(data) - PLAN_FIELDS
    if unknown:
        raise ApplicationError(
            _("These fields cannot be set."),
            code="invalid_fields",
            details={f: [_("Not allowed.")] for f in sorted(unknown)},
        )
    plan = MembershipPlan(currency=_gym_currency(), **data)
    _validate_plan(plan)
    plan.save()
    if billing_settings_get().connected:
        plan_sync_to_stripe(plan=plan)
    return plan


@transaction.atomic
def plan_update(*, plan: MembershipPlan, data: dict) -> MembershipPlan:
    unknown = set(data) - PLAN_FIELDS
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed."),
            code="invalid_fields",
            details={f: [_("Not allowed.")] for f in sorted(unknown)},
        )
    if "interval" in data and data["interval"] != plan.interval and plan.subscriptions.exists():
        raise ApplicationError(
            _("The interval of a plan with subscribers cannot change; make a new plan."),
            code="plan_in_use",
        )
    old_price = (plan.price_minor, plan.interval)
    old_fee = plan.setup_fee_minor
    for field, value in data.items():
        setattr(plan, field, value)
    _validate_plan(plan)
    retire = []
    if (plan.price_minor, plan.interval) != old_price:
        # Stripe prices are immutable: a new one is made, the old one retired.
        retire.append(plan.stripe_price_id)
        plan.stripe_price_id = ""
    if plan.setup_fee_minor != old_fee:
        retire.append(plan.stripe_setup_price_id)
        plan.stripe_setup_price_id = ""
    plan.save()
    if billing_settings_get().connected:
        plan_sync_to_stripe(plan=plan, retire=[price for price in retire if price])
    return plan


def plan_sync_to_stripe(*, plan: MembershipPlan, retire: list[str] = ()) -> MembershipPlan:
    """Make the plan's Stripe Product and Prices match it (new prices when amounts change;
    existing subscribers keep their price until they change plan)."""
    client = gym_client(billing_settings_get())
    meta = {"plan_id": str(plan.pk), "schema": connection.schema_name}
    if not plan.stripe_product_id:
        product = _call(
            client.v1.products.create,
            {"name": plan.name, "metadata": meta, "active": plan.active},
        )
        plan.stripe_product_id = product.id
    else:
        _call(
            client.v1.products.update,
            plan.stripe_product_id,
            {"name": plan.name, "active": plan.active},
        )
    if not plan.stripe_price_id:
        params = {
            "product": plan.stripe_product_id,
            "unit_amount": plan.price_minor,
            "currency": plan.currency,
            "metadata": meta,
        }
        if plan.is_recurring:
            params["recurring"] = {"interval": plan.interval}
        plan.stripe_price_id = _call(client.v1.prices.create, params).id
    if plan.setup_fee_minor and not plan.stripe_setup_price_id:
        plan.stripe_setup_price_id = _call(
            client.v1.prices.create,
            {
                "product": plan.stripe_product_id,
                "unit_amount": plan.setup_fee_minor,
                "currency": plan.currency,
                "nickname": "setup fee",
                "metadata": {**meta, "setup_fee": "1"},
            },
        ).id
    for previous in retire:
        _call(client.v1.prices.update, previous, {"active": False})
    plan.save(update_fields=["stripe_product_id", "stripe_price_id", "stripe_setup_price_id"])
    return plan


# -- customers and checkout --------------------------------------------------------------
def _customer_for(member: Member, client) -> str:
    found = BillingCustomer.objects.filter(member=member).first()
    if found:
        return found.stripe_customer_id
    customer = _call(
        client.v1.customers.create,
        {
            "email": member.email or None,
            "name": member.full_name,
            "metadata": {"member_id": str(member.pk), "schema": connection.schema_name},
        },
    )
    BillingCustomer.objects.create(member=member, stripe_customer_id=customer.id)
    return customer.id


def member_live_subscription(member: Member) -> MemberSubscription | None:
    return (
        MemberSubscription.objects.filter(member=member, status__in=LIVE_STATUSES)
        .select_related("plan")
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def checkout_start(
    *,
    member: Member,
    plan: MembershipPlan,
    success_url: str,
    cancel_url: str,
    by: User | None = None,
) -> CheckoutRequest:
    """Open a Stripe Checkout session for `member` to join `plan` (or buy a pack)."""
    staff = by is not None and by.is_gym_staff
    if not plan.active or (not plan.sold_online and not staff):
        raise ApplicationError(_("This plan is not on sale."), code="plan_not_available")
    if plan.currency != _gym_currency():
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
    customer = _customer_for(member, client)
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
    session = _call(client.v1.checkout.sessions.create, params)
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
    session = _call(
        client.v1.billing_portal.sessions.create,
        {"customer": customer.stripe_customer_id, "return_url": return_url},
    )
    return session.url


# -- the member's access ------------------------------------------------------------------
def _overdue(sub: MemberSubscription, grace_days: int, now: dt.datetime) -> bool:
    return bool(
        sub.status in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID)
        and sub.past_due_since
        and sub.past_due_since + dt.timedelta(days=grace_days) <= now
    )


def member_billing_refresh(*, member: Member, now: dt.datetime | None = None) -> Member:
    """Set the member's status, tier and door flag from their subscriptions.

    The one place billing changes access: trial -> trial + plan tier; active -> active +
    tier; past due -> keeps access until the grace period ends, then `payment_overdue`
    (the door denies "payment overdue"); frozen -> frozen; ended -> cancelled + Free.
    Members without any subscription (managed by hand) are left alone.
    """
    now = now or timezone.now()
    subs = list(
        MemberSubscription.objects.filter(member=member)
        .select_related("plan")
        .order_by("-created_at")
    )
    if not subs:
        return member
    live = [s for s in subs if s.status in LIVE_STATUSES]
    grace = billing_settings_get().grace_period_days
    if live:
        sub = live[0]
        tier = sub.plan.tier
        overdue = any(_overdue(s, grace, now) for s in live)
        if sub.status == SubscriptionStatus.TRIALING:
            status = MemberStatus.TRIAL
        elif sub.status == SubscriptionStatus.PAUSED or (
            sub.frozen_from
            and sub.frozen_until
            and sub.frozen_from <= now.date() < sub.frozen_until
        ):
            status = MemberStatus.FROZEN
        else:
            status = MemberStatus.ACTIVE
    else:
        status, tier, overdue = MemberStatus.CANCELLED, Tier.FREE, False
    member.refresh_from_db(fields=["status", "tier", "payment_overdue"])
    changed = (member.status, member.tier, member.payment_overdue) != (status, tier, overdue)
    if changed:
        member.status, member.tier, member.payment_overdue = status, tier, overdue
        member.save(update_fields=["status", "tier", "payment_overdue", "updated_at"])
        broadcast_on_commit(
            "staff",
            "member.updated",
            {
                "id": member.pk,
                "number": member.number,
                "name": member.full_name,
                "status": member.status,
            },
        )
    return member


# -- syncing from Stripe -------------------------------------------------------------------
def _lock(stripe_id: str) -> None:
    """Serialise work on one Stripe object across processes for this transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [stripe_id])


def _member_from(metadata: dict, customer_id: str | None) -> Member | None:
    member_id = (metadata or {}).get("member_id")
    if member_id and str(member_id).isdigit():
        found = Member.objects.filter(pk=int(member_id)).first()
        if found:
            return found
    if customer_id:
        link = BillingCustomer.objects.filter(stripe_customer_id=customer_id).first()
        if link:
            return link.member
    return None


def subscription_sync(*, stripe_subscription_id: str, client=None) -> MemberSubscription:
    """Copy the subscription's current state from Stripe, then refresh the member."""
    _lock(stripe_subscription_id)
    client = client or gym_client(billing_settings_get())
    data = _call(client.v1.subscriptions.retrieve, stripe_subscription_id)
    return _subscription_store(_plain(data))


def _subscription_store(data: dict) -> MemberSubscription:
    item = data["items"]["data"][0]
    price_id = item["price"]["id"]
    existing = MemberSubscription.objects.filter(stripe_subscription_id=data["id"]).first()
    plan = MembershipPlan.objects.filter(stripe_price_id=price_id).first()
    if plan is None:
        plan_id = (data.get("metadata") or {}).get("plan_id")
        plan = (
            MembershipPlan.objects.filter(pk=int(plan_id)).first()
            if plan_id and str(plan_id).isdigit()
            else None
        )
    if plan is None and existing is not None:
        plan = existing.plan
    member = existing.member if existing else _member_from(data.get("metadata"), data["customer"])
    if member is None or plan is None:
        raise ApplicationError(
            _("This subscription belongs to no member or plan of this gym."),
            code="unknown_subscription",
        )
    BillingCustomer.objects.get_or_create(
        member=member, defaults={"stripe_customer_id": data["customer"]}
    )
    sub = existing or MemberSubscription(stripe_subscription_id=data["id"], member=member)
    now = timezone.now()
    sub.plan = plan
    sub.stripe_item_id = item["id"]
    sub.status = data["status"]
    sub.amount_minor = item["price"]["unit_amount"] or 0
    sub.currency = data["currency"]
    sub.current_period_start = _ts(item.get("current_period_start"))
    sub.current_period_end = _ts(item.get("current_period_end"))
    sub.trial_end = _ts(data.get("trial_end"))
    sub.cancel_at_period_end = bool(data.get("cancel_at_period_end"))
    sub.cancel_at = _ts(data.get("cancel_at"))
    sub.canceled_at = _ts(data.get("canceled_at"))
    sub.started_at = _ts(data.get("start_date"))
    if sub.status in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID):
        sub.past_due_since = sub.past_due_since or now
    else:
        sub.past_due_since = None
    if sub.contract_ends_on is None and sub.started_at:
        months = plan.contract_min_months
        sub.contract_ends_on = add_months(sub.started_at.date(), months) if months else None
    if not data.get("pause_collection") and sub.frozen_until and sub.frozen_until > now.date():
        # Collection resumed at Stripe (portal, dashboard): the freeze ended today.
        sub.frozen_until = max(now.date(), sub.frozen_from or now.date())
    sub.stripe_data = data
    sub.save()
    member_billing_refresh(member=member, now=now)
    return sub


def invoice_sync(*, stripe_invoice_id: str, client=None) -> Invoice:
    client = client or gym_client(billing_settings_get())
    data = _plain(_call(client.v1.invoices.retrieve, stripe_invoice_id))
    parent = (data.get("parent") or {}).get("subscription_details") or {}
    sub_id = parent.get("subscription")
    sub = subscription_sync(stripe_subscription_id=sub_id, client=client) if sub_id else None
    member = sub.member if sub else _member_from(parent.get("metadata"), data.get("customer"))
    invoice, _created = Invoice.objects.select_for_update().get_or_create(
        stripe_invoice_id=data["id"],
        defaults={"currency": data["currency"], "status": data["status"]},
    )
    invoice.member = member
    invoice.subscription = sub
    invoice.number = data.get("number") or ""
    invoice.status = data["status"]
    invoice.billing_reason = data.get("billing_reason") or ""
    invoice.amount_due_minor = data.get("amount_due") or 0
    invoice.amount_paid_minor = data.get("amount_paid") or 0
    invoice.currency = data["currency"]
    invoice.attempt_count = data.get("attempt_count") or 0
    invoice.next_payment_attempt = _ts(data.get("next_payment_attempt"))
    invoice.hosted_invoice_url = data.get("hosted_invoice_url") or ""
    invoice.invoice_pdf = data.get("invoice_pdf") or ""
    invoice.period_start = _ts(data.get("period_start"))
    invoice.period_end = _ts(data.get("period_end"))
    invoice.created = _ts(data.get("created"))
    invoice.paid_at = _ts((data.get("status_transitions") or {}).get("paid_at"))
    invoice.save()
    _link_charges(data)
    if invoice.status == "paid" and sub and sub.plan.class_credits and member:
        if invoice.billing_reason in ("subscription_create", "subscription_cycle"):
            _credit(member, sub.plan.class_credits, "plan_period", f"invoice:{invoice.pk}")
    if (
        invoice.status == "open"
        and member is not None
        and invoice.attempt_count > invoice.failure_notified_attempt
    ):
        invoice.failure_notified_attempt = invoice.attempt_count
        invoice.save(update_fields=["failure_notified_attempt"])
        notify(
            member,
            "billing_payment_failed",
            {
                "member": member,
                "amount": format_money(invoice.amount_due_minor, invoice.currency),
                "fix_url": invoice.hosted_invoice_url,
            },
        )
        broadcast_on_commit(
            "staff",
            "billing.payment_failed",
            {"member_id": member.pk, "name": member.full_name, "invoice": invoice.pk},
        )
    return invoice


def _link_charges(data: dict) -> None:
    """Charges whose invoice items are on this invoice are invoiced (informational: taking
    one back asks Stripe where its item is)."""
    items = [
        ((line.get("parent") or {}).get("invoice_item_details") or {}).get("invoice_item")
        for line in (data.get("lines") or {}).get("data") or []
    ]
    items = [item for item in items if item]
    if items:
        MemberCharge.objects.filter(
            stripe_invoice_item_id__in=items, status=ChargeStatus.PENDING
        ).update(status=ChargeStatus.INVOICED, stripe_invoice_id=data["id"])


def _credit(member: Member, delta: int, reason: str, source: str) -> bool:
    """Add class credits once per source (a replayed event grants nothing twice)."""
    try:
        with transaction.atomic():
            CreditEntry.objects.create(member=member, delta=delta, reason=reason, source=source)
    except IntegrityError:
        return False
    return True


def credit_balance(member: Member) -> int:
    return CreditEntry.objects.filter(member=member).aggregate(n=Sum("delta"))["n"] or 0


def credit_spend(
    *, member: Member, credits: int = 1, reason: str, source: str, allow_negative: bool = False
) -> int:
    """For bookings: take credits if the balance allows, once per source. `allow_negative`:
    take them anyway (a class the member attended after all)."""
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()
        if not allow_negative and credit_balance(member) < credits:
            raise ApplicationError(_("Not enough class credits."), code="no_credits")
        _credit(member, -credits, reason, source)
    return credit_balance(member)


def credit_grant(*, member: Member, credits: int = 1, reason: str, source: str) -> bool:
    """For bookings: give credits back (a cancellation in time, a waived forfeit), once per
    source. False when this source already granted."""
    if credits <= 0:
        raise ValueError("credit_grant gives credits; use credit_spend to take them")
    return _credit(member, credits, reason, source)


def member_uses_credits(member: Member) -> bool:
    """Whether this member's classes are paid with credits: their live subscription's plan
    gives a number of class credits per period, or, with no live subscription, they hold
    credits from a pack. A plan with class_credits 0 is unlimited (no credits spent)."""
    subscription = member_live_subscription(member)
    if subscription is not None:
        return bool(subscription.plan.class_credits)
    return CreditEntry.objects.filter(member=member).exists()


def _checkout_completed(data: dict, client) -> None:
    session = _plain(_call(client.v1.checkout.sessions.retrieve, data["id"]))
    request = CheckoutRequest.objects.filter(stripe_session_id=session["id"]).first()
    if session.get("subscription"):
        subscription_sync(stripe_subscription_id=session["subscription"], client=client)
    elif session.get("payment_status") == "paid":
        member = request.member if request else _member_from(session.get("metadata"), None)
        plan_id = (session.get("metadata") or {}).get("plan_id")
        plan = request.plan if request else MembershipPlan.objects.filter(pk=plan_id).first()
        if member is None or plan is None:
            raise ApplicationError(
                _("This payment belongs to no member or plan of this gym."),
                code="unknown_checkout",
            )
        _credit(member, plan.class_credits, "pack", f"checkout:{session['id']}")
    if request and request.completed_at is None:
        request.completed_at = timezone.now()
        request.save(update_fields=["completed_at"])


SUBSCRIPTION_EVENTS = {
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
}
# invoice.payment_succeeded is left out: Stripe sends invoice.paid for every successful
# attempt as well (and for payments out of band), so processing both doubled the work.
INVOICE_EVENTS = {
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.voided",
    "invoice.marked_uncollectible",
}


def _dispatch(event: dict, client) -> None:
    kind = event["type"]
    obj = event["data"]["object"]
    if kind in SUBSCRIPTION_EVENTS:
        subscription_sync(stripe_subscription_id=obj["id"], client=client)
    elif kind in INVOICE_EVENTS:
        invoice_sync(stripe_invoice_id=obj["id"], client=client)
    elif kind == "checkout.session.completed":
        _checkout_completed(obj, client)
    # Other types are stored and marked processed: nothing to do for them.


# -- webhooks ------------------------------------------------------------------------------
class WebhookRejected(ApplicationError):
    status_code = 400


def webhook_receive(*, payload: bytes, signature: str | None) -> tuple[WebhookEvent, bool]:
    """Verify, store once, queue processing. Returns (event, new).

    A bad signature, or an event of another Stripe account, is rejected before anything
    is stored. A duplicate delivery finds the stored event and changes nothing.
    """
    settings_row = billing_settings_get()
    secret = decrypt(settings_row.webhook_secret_encrypted)
    if not secret or not settings_row.secret_key_encrypted:
        raise WebhookRejected(_("Billing is not connected."), code="billing_not_connected")
    if not signature:
        raise WebhookRejected(_("Missing Stripe-Signature header."), code="no_signature")
    try:
        # The check `stripe.Webhook.construct_event` makes (HMAC-SHA256 of "t.payload",
        # 5-minute tolerance), without building the SDK's object tree (measured: 4 ms of
        # the endpoint's time per event); the payload is stored exactly as Stripe sent it.
        stripe.WebhookSignature.verify_header(
            payload, signature, secret, stripe.Webhook.DEFAULT_TOLERANCE
        )
        event = json.loads(payload)
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejected(_("Bad signature."), code="bad_signature") from exc
    except ValueError as exc:
        raise WebhookRejected(_("The payload is not valid JSON."), code="bad_payload") from exc
    if not isinstance(event, dict):
        raise WebhookRejected(_("Not a Stripe event."), code="bad_payload")
    account = event.get("account") or ""
    if account and settings_row.stripe_account_id and account != settings_row.stripe_account_id:
        raise WebhookRejected(
            _("This event belongs to another Stripe account."), code="wrong_account"
        )
    if not str(event.get("id", "")).startswith("evt_") or "type" not in event:
        raise WebhookRejected(_("Not a Stripe event."), code="bad_payload")
    stored, created = _event_store(event, account)
    if stored.processed_at is None:
        # Processed by a worker, after this commits: Stripe gets its 2xx at once (it
        # times out slow endpoints and retries), and a redelivery of an event that has
        # not processed yet queues it again (the row lock makes the second run a no-op).
        transaction.on_commit(_queue_processing(stored.event_id, connection.schema_name))
    return stored, created


def _queue(task, obj_id, schema: str, retried_by: str):
    """An on-commit callback queueing `task(obj_id)` in the gym's schema. With the broker
    down the row is stored anyway, and the periodic job `retried_by` takes it later."""

    def queue() -> None:
        try:
            task.apply_async(args=[obj_id], headers={"_schema_name": schema})
        except (KombuOperationalError, ConnectionError):
            logger.warning("Could not queue %s(%s); %s retries it", task.name, obj_id, retried_by)

    return queue


def _queue_processing(event_id: str, schema: str):
    # Stripe got its 2xx either way; `retry_unprocessed_events` runs after 10 minutes.
    return _queue(billing_tasks.process_webhook_event, event_id, schema, "retry_unprocessed_events")


_EVENT_INSERT = """
    INSERT INTO billing_webhookevent
        (event_id, type, account, created, payload, received_at,
         process_count, replay_count, error)
    VALUES (%s, %s, %s, %s, %s, %s, 0, 0, '')
    ON CONFLICT (event_id) DO NOTHING
    RETURNING id
"""


def _event_store(event: dict, account: str) -> tuple[WebhookEvent, bool]:
    """Insert the event unless its id is stored: one statement (INSERT ... ON CONFLICT DO
    NOTHING RETURNING), safe against concurrent duplicates; a duplicate costs one more read.
    get_or_create took four (select, savepoint, insert, release) on the hot path."""
    created_at = _ts(event.get("created")) or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _EVENT_INSERT,
            [
                event["id"][:64],
                str(event["type"])[:64],
                account[:64],
                created_at,
                json.dumps(event),
                timezone.now(),
            ],
        )
        row = cursor.fetchone()
    if row is not None:
        return WebhookEvent(pk=row[0], event_id=event["id"], processed_at=None), True
    return WebhookEvent.objects.only("event_id", "processed_at").get(event_id=event["id"]), False


def webhook_event_process(*, event_id: str, replay: bool = False) -> bool:
    """Process a stored event once (or again, for `replay`). Processing reads the current
    state from Stripe, so it is safe to repeat and independent of delivery order."""
    client = gym_client(billing_settings_get())
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().get(event_id=event_id)
            if event.processed_at is not None and not replay:
                return False
            _dispatch(event.payload, client)
            event.processed_at = timezone.now()
            event.error = ""
            if replay:
                event.replay_count += 1
            else:
                event.process_count += 1
            event.save(update_fields=["processed_at", "error", "process_count", "replay_count"])
    except Exception as exc:
        message = getattr(exc, "message", None) or repr(exc)
        WebhookEvent.objects.filter(event_id=event_id).update(error=str(message)[:2000])
        raise
    return True


def webhook_events_replay(
    *,
    only_failed: bool = True,
    types: list[str] | None = None,
    older_than_minutes: int = 0,
) -> dict:
    """Re-process stored events of this gym, oldest first (see the `billing_replay`
    command). Returns counts."""
    events = WebhookEvent.objects.order_by("created", "received_at")
    if only_failed:
        events = events.filter(processed_at__isnull=True)
    if older_than_minutes:
        cutoff = timezone.now() - dt.timedelta(minutes=older_than_minutes)
        events = events.filter(received_at__lt=cutoff)
    if types:
        events = events.filter(type__in=types)
    done = failed = 0
    for event_id in events.values_list("event_id", flat=True):
        try:
            webhook_event_process(event_id=event_id, replay=True)
            done += 1
        except Exception:  # reported in the counts and on the row
            logger.warning("Replay of %s failed", event_id, exc_info=True)
            failed += 1
    return {"replayed": done, "failed": failed}


# -- grace period --------------------------------------------------------------------------
def billing_enforce_grace(*, now: dt.datetime | None = None) -> int:
    """Periodic, per gym: members past the grace period get the door flag. Returns how
    many members changed."""
    now = now or timezone.now()
    members = Member.objects.filter(
        subscriptions__status__in=[SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID]
    ).distinct()
    changed = 0
    for member in members:
        with transaction.atomic():
            before = member.payment_overdue
            member = member_billing_refresh(member=member, now=now)
            changed += member.payment_overdue != before
    return changed


# -- changes by the member or staff --------------------------------------------------------
def _live_or_error(member: Member) -> MemberSubscription:
    sub = member_live_subscription(member)
    if sub is None:
        raise ApplicationError(
            _("There is no active membership."), code="no_subscription", status_code=404
        )
    return sub


@transaction.atomic
def subscription_change_plan(
    *, member: Member, plan: MembershipPlan, by: User | None = None
) -> MemberSubscription:
    """Upgrade (charged now, prorated) or downgrade (credit prorated to the next invoice).
    Like Checkout, only staff may move a member to a plan that is not sold online."""
    sub = _live_or_error(member)
    _lock(sub.stripe_subscription_id)
    staff = by is not None and by.is_gym_staff
    if not plan.is_recurring or not plan.active or (not plan.sold_online and not staff):
        raise ApplicationError(_("Choose an active recurring plan."), code="plan_not_available")
    if plan.pk == sub.plan_id:
        raise ApplicationError(_("This is already the current plan."), code="same_plan")
    if plan.interval != sub.plan.interval:
        raise ApplicationError(
            _("Switching between monthly and yearly is not possible here; cancel and join."),
            code="interval_mismatch",
        )
    if sub.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING):
        raise ApplicationError(
            _("Settle the open payment before changing plan."), code="subscription_not_active"
        )
    client = gym_client(billing_settings_get())
    if not plan.stripe_price_id:
        plan_sync_to_stripe(plan=plan)
    upgrade = plan.price_minor > sub.plan.price_minor
    data = _call(
        client.v1.subscriptions.update,
        sub.stripe_subscription_id,
        {
            "items": [{"id": sub.stripe_item_id, "price": plan.stripe_price_id}],
            "proration_behavior": "always_invoice" if upgrade else "create_prorations",
            "metadata": {"plan_id": str(plan.pk)},
        },
    )
    data = _plain(data)
    sub = _subscription_store(data)
    if upgrade and data.get("latest_invoice"):
        invoice_sync(stripe_invoice_id=data["latest_invoice"], client=client)
    return sub


@transaction.atomic
def subscription_cancel(*, member: Member, now: dt.datetime | None = None) -> MemberSubscription:
    """Cancel at the end of the period, or at the end of the minimum contract if later."""
    sub = _live_or_error(member)
    _lock(sub.stripe_subscription_id)
    now = now or timezone.now()
    client = gym_client(billing_settings_get())
    params: dict = {"cancel_at_period_end": True}
    if sub.contract_ends_on:
        contract_end = dt.datetime.combine(sub.contract_ends_on, dt.time(), tzinfo=dt.UTC)
        if sub.current_period_end is None or contract_end > sub.current_period_end:
            params = {"cancel_at": _unix(contract_end)}
    data = _call(client.v1.subscriptions.update, sub.stripe_subscription_id, params)
    return _subscription_store(_plain(data))


@transaction.atomic
def subscription_resume(*, member: Member) -> MemberSubscription:
    """Undo a pending cancellation."""
    sub = _live_or_error(member)
    _lock(sub.stripe_subscription_id)
    if not (sub.cancel_at_period_end or sub.cancel_at):
        raise ApplicationError(_("No cancellation is pending."), code="not_cancelling")
    client = gym_client(billing_settings_get())
    data = _call(
        client.v1.subscriptions.update,
        sub.stripe_subscription_id,
        {"cancel_at_period_end": False, "cancel_at": ""},
    )
    return _subscription_store(_plain(data))


@transaction.atomic
def subscription_freeze(
    *, member: Member, start: dt.date, days: int, today: dt.date | None = None
) -> MemberSubscription:
    """Freeze: collection pauses (invoices in the frozen time are voided), the contract
    end moves by the frozen days, and the member shows as frozen from `start`."""
    sub = _live_or_error(member)
    _lock(sub.stripe_subscription_id)
    rules = billing_settings_get()
    today = today or timezone.localdate()
    if sub.frozen_until and sub.frozen_until > today:
        raise ApplicationError(_("The membership is already frozen."), code="already_frozen")
    if not isinstance(days, int) or not rules.freeze_min_days <= days <= rules.freeze_max_days:
        raise ApplicationError(
            _("A freeze lasts from %(min)d to %(max)d days.")
            % {"min": rules.freeze_min_days, "max": rules.freeze_max_days},
            code="invalid_freeze_length",
        )
    if start < today or start > today + dt.timedelta(days=90):
        raise ApplicationError(
            _("A freeze starts today or within 90 days."), code="invalid_freeze_start"
        )
    if sub.status != SubscriptionStatus.ACTIVE:
        raise ApplicationError(
            _("Only an active, paid-up membership can be frozen."), code="subscription_not_active"
        )
    until = start + dt.timedelta(days=days)
    client = gym_client(billing_settings_get())
    data = _call(
        client.v1.subscriptions.update,
        sub.stripe_subscription_id,
        {"pause_collection": {"behavior": "void", "resumes_at": _unix(until)}},
    )
    sub.frozen_from, sub.frozen_until = start, until
    sub.freeze_days_total += days
    if sub.contract_ends_on:
        sub.contract_ends_on += dt.timedelta(days=days)
    sub.save()
    return _subscription_store(_plain(data))


@transaction.atomic
def subscription_unfreeze(*, member: Member, today: dt.date | None = None) -> MemberSubscription:
    """End a freeze early: collection resumes, unused frozen days come off the contract."""
    sub = _live_or_error(member)
    _lock(sub.stripe_subscription_id)
    today = today or timezone.localdate()
    if not sub.frozen_until or sub.frozen_until <= today:
        raise ApplicationError(_("The membership is not frozen."), code="not_frozen")
    unused = (sub.frozen_until - max(today, sub.frozen_from)).days
    client = gym_client(billing_settings_get())
    data = _call(
        client.v1.subscriptions.update, sub.stripe_subscription_id, {"pause_collection": ""}
    )
    sub.frozen_until = max(today, sub.frozen_from)
    sub.freeze_days_total = max(0, sub.freeze_days_total - unused)
    if sub.contract_ends_on:
        sub.contract_ends_on -= dt.timedelta(days=unused)
    sub.save()
    return _subscription_store(_plain(data))


# -- one-off charges (fees) ----------------------------------------------------------------
CHARGE_DAYS_UNTIL_DUE = 14  # a charge on an invoice of its own is paid online within this
CHARGE_DONE = {ChargeStatus.CANCELLED, ChargeStatus.CREDITED, ChargeStatus.NOT_BILLED}


def _connected() -> bool:
    return bool(billing_settings_get().secret_key_encrypted)


def charge_create(*, member: Member, amount_minor: int, description: str, source: str):
    """Bill `member` once for `source` (e.g. "penalty:12") through the gym's Stripe account.

    Call it inside the transaction that causes the charge: the row commits with it and
    `charge_push` runs after commit, so a Stripe outage loses nothing. A source that was
    already charged returns its first charge. Without a connected Stripe account the charge
    is recorded as not billed (the desk collects it)."""
    if not 0 < amount_minor <= MAX_PRICE_MINOR:
        raise ApplicationError(
            _("A charge must be more than 0 and at most %(max)s.")
            % {"max": format_money(MAX_PRICE_MINOR, _gym_currency())},
            code="invalid_amount",
        )
    connected = _connected()
    charge, created = MemberCharge.objects.get_or_create(
        source=source,
        defaults={
            "member": member,
            "amount_minor": amount_minor,
            "currency": _gym_currency(),
            "description": " ".join(description.split())[:200] or source,
            "status": ChargeStatus.QUEUED if connected else ChargeStatus.NOT_BILLED,
        },
    )
    if created and connected:
        transaction.on_commit(_queue_charge(charge.pk, connection.schema_name))
    elif created:
        _charge_notify(charge, where="desk")
    return charge


def _charge_notify(charge: MemberCharge, *, where: str, pay_url: str = "") -> None:
    """Tell the member once, when the charge is placed: `where` it will be collected."""
    notify(
        charge.member,
        "billing_charge_added",
        {
            "charge": charge,
            "amount": format_money(charge.amount_minor, charge.currency),
            "where": where,
            "pay_url": pay_url,
        },
    )


def charge_cancel(*, charge: MemberCharge, now: dt.datetime | None = None) -> MemberCharge:
    """Take a charge back (a waived fee). One never billed just ends; otherwise
    `charge_push` deletes its invoice item, or credits the invoice it is on."""
    with transaction.atomic():
        charge = MemberCharge.objects.select_for_update().get(pk=charge.pk)
        taken_back = (ChargeStatus.CANCELLED, ChargeStatus.CREDITED)
        if charge.status in taken_back or charge.cancel_requested_at is not None:
            return charge
        charge.cancel_requested_at = now or timezone.now()
        never_sent = (ChargeStatus.FAILED, ChargeStatus.NOT_BILLED)
        if charge.status in never_sent and not charge.stripe_invoice_item_id:
            charge.status = ChargeStatus.CANCELLED  # nothing at Stripe to undo
        charge.save(update_fields=["cancel_requested_at", "status", "updated_at"])
        if charge.status != ChargeStatus.CANCELLED:
            transaction.on_commit(_queue_charge(charge.pk, connection.schema_name))
    return charge


def charge_push(*, charge_id: int) -> MemberCharge:
    """Bring Stripe in line with the charge: send it (an invoice item; with an invoice of
    its own when the member has no live subscription), or take it back once cancelled.

    Safe to repeat: the row lock keeps two runs apart, and each Stripe call carries an
    idempotency key made from the charge, so a run that reached Stripe but did not commit
    gets the same objects back. A Stripe outage raises (the task retries); a refusal is
    kept on the row as `failed` with Stripe's message."""
    with transaction.atomic():
        charge = MemberCharge.objects.select_for_update().select_related("member").get(pk=charge_id)
        wanted = charge.cancel_requested_at is None
        if charge.status in CHARGE_DONE or (
            wanted and charge.status != ChargeStatus.QUEUED  # already sent (or refused)
        ):
            return charge
        rules = billing_settings_get()
        if not rules.secret_key_encrypted:  # disconnected since: nothing can reach Stripe
            charge.status = ChargeStatus.NOT_BILLED if wanted else ChargeStatus.CANCELLED
            charge.save(update_fields=["status", "updated_at"])
            return charge
        client = gym_client(rules)
        key = f"{connection.schema_name}-charge-{charge.pk}"
        try:
            if wanted:
                _charge_send(charge, client, key)
            else:
                _charge_take_back(charge, client, key)
        except stripe.StripeError as exc:
            error = provider_error(exc)
            if error.status_code >= 500:
                raise error from exc
            logger.warning("Charge %s refused by Stripe: %s", charge.pk, error.message)
            charge.status = ChargeStatus.FAILED
            charge.error = str(error.message)[:300]
        charge.save()
    return charge


def charge_retry(*, charge: MemberCharge) -> MemberCharge:
    """Send a charge Stripe refused again (staff fixed the cause, e.g. the member's email).
    Other charges are left as they are."""
    with transaction.atomic():
        charge = MemberCharge.objects.select_for_update().get(pk=charge.pk)
        if charge.status != ChargeStatus.FAILED or charge.cancel_requested_at is not None:
            return charge
        charge.status, charge.error = ChargeStatus.QUEUED, ""
        charge.save(update_fields=["status", "error", "updated_at"])
        transaction.on_commit(_queue_charge(charge.pk, connection.schema_name))
    return charge


def _charge_send(charge: MemberCharge, client, key: str) -> None:
    customer = _customer_for(charge.member, client)
    metadata = {
        "charge_id": str(charge.pk),
        "source": charge.source,
        "schema": connection.schema_name,
        "member_id": str(charge.member_id),
    }
    invoice = None
    sub = member_live_subscription(charge.member)
    # A freeze (now or booked) voids the invoices in it, and pending items on a voided
    # invoice are never collected: then, as with no subscription, nothing would pick a
    # pending item up.
    frozen = sub is not None and sub.frozen_until and sub.frozen_until >= timezone.localdate()
    if sub is None or frozen:
        # An invoice of its own, emailed by Stripe and paid online. Drafted first so the
        # item lands on it and nowhere else.
        invoice = client.v1.invoices.create(
            {
                "customer": customer,
                "collection_method": "send_invoice",
                "days_until_due": CHARGE_DAYS_UNTIL_DUE,
                "pending_invoice_items_behavior": "exclude",
                "auto_advance": False,
                "description": charge.description,
                "metadata": metadata,
            },
            {"idempotency_key": f"{key}-invoice"},
        )
    params = {
        "customer": customer,
        "amount": charge.amount_minor,
        "currency": charge.currency,
        "description": charge.description,
        "metadata": metadata,
    }
    if invoice is not None:
        params["invoice"] = invoice.id
    item = client.v1.invoice_items.create(params, {"idempotency_key": f"{key}-item"})
    charge.stripe_invoice_item_id = item.id
    charge.error = ""
    if invoice is None:
        charge.status = ChargeStatus.PENDING  # on the member's next subscription invoice
        _charge_notify(charge, where="next_invoice")
        return
    invoice = client.v1.invoices.finalize_invoice(
        invoice.id, {"auto_advance": True}, {"idempotency_key": f"{key}-finalize"}
    )
    charge.stripe_invoice_id = invoice.id
    charge.status = ChargeStatus.INVOICED
    _charge_notify(charge, where="invoice", pay_url=invoice.hosted_invoice_url or "")


def _charge_item(charge: MemberCharge, client):
    """The charge's invoice item at Stripe, also when a run created it but did not commit
    (found by its metadata among the customer's items), or None."""
    if charge.stripe_invoice_item_id:
        return client.v1.invoice_items.retrieve(charge.stripe_invoice_item_id)
    customer = BillingCustomer.objects.filter(member_id=charge.member_id).first()
    if customer is None:
        return None
    items = client.v1.invoice_items.list({"customer": customer.stripe_customer_id, "limit": 100})
    return next(
        (
            i
            for i in items.auto_paging_iter()
            if i.metadata.to_dict().get("charge_id") == str(charge.pk)
        ),
        None,
    )


def _charge_take_back(charge: MemberCharge, client, key: str) -> None:
    item = _charge_item(charge, client)
    invoice = client.v1.invoices.retrieve(item.invoice) if item and item.invoice else None
    if item is None or invoice is None or invoice.status == "draft":
        if item is not None:
            try:
                client.v1.invoice_items.delete(item.id)
            except stripe.InvalidRequestError as exc:
                if exc.http_status != 404:  # 404: deleted by an earlier run
                    raise
        if invoice is not None:  # its own draft: nothing else is on it
            client.v1.invoices.delete(invoice.id)
        charge.status = ChargeStatus.CANCELLED
        return
    charge.stripe_invoice_id = invoice.id
    if invoice.status in ("void", "uncollectible"):
        charge.status = ChargeStatus.CANCELLED  # nobody will collect it
        return
    with in_gym_language():  # the credit note is the member's document, like the invoice
        memo = _("Waived: %(charge)s") % {"charge": charge.description}
    params = {
        "invoice": invoice.id,
        "amount": charge.amount_minor,
        "reason": "order_change",
        "memo": memo,
        "metadata": {"charge_id": str(charge.pk), "schema": connection.schema_name},
    }
    if invoice.status == "paid":
        # Paid already: the amount goes to the member's balance, used by the next invoice.
        params["credit_amount"] = charge.amount_minor
    note = client.v1.credit_notes.create(params, {"idempotency_key": f"{key}-credit"})
    charge.stripe_credit_note_id = note.id
    charge.status = ChargeStatus.CREDITED


def _queue_charge(charge_id: int, schema: str):
    return _queue(billing_tasks.push_charge, charge_id, schema, "push_waiting_charges")


def charges_push_waiting(*, older_than_minutes: int = 10) -> int:
    """Charges whose push never ran or ran into an outage past its retries, sent again."""
    cutoff = timezone.now() - dt.timedelta(minutes=older_than_minutes)
    waiting = MemberCharge.objects.filter(updated_at__lt=cutoff).filter(
        Q(status=ChargeStatus.QUEUED)
        | Q(
            cancel_requested_at__isnull=False,
            status__in=[ChargeStatus.PENDING, ChargeStatus.INVOICED],
        )
    )
    count = 0
    for charge_id in waiting.values_list("pk", flat=True)[:200]:
        try:
            charge_push(charge_id=charge_id)
            count += 1
        except ApplicationError as exc:
            logger.warning("Charge %s not pushed: %s", charge_id, exc.message)
    return count


def format_money(minor: int, currency: str) -> str:
    """12345, "eur" -> "123.45 EUR" (Decimal arithmetic; never a float)."""
    return f"{(Decimal(minor) / 100).quantize(Decimal('0.01'))} {currency.upper()}"
