"""Subscriptions: the member's access (`member_billing_refresh`, the one place billing
changes it), copying subscriptions and invoices from Stripe, the grace period, and the
changes a member or staff make (plan, cancel, resume, freeze).

Stripe is called outside any transaction: a slow Stripe must not hold a database
connection in a transaction, nor the member's row or the subscription's lock. Each
change is sent first (with an idempotency key), then its result is written in a short
atomic block under the subscription's advisory lock; reads from Stripe (`*_fetch`) come
before the lock too, and the write re-reads under the lock only when another run stored
the same subscription meanwhile.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.billing.models import (
    LIVE_STATUSES,
    BillingCustomer,
    ChargeStatus,
    Invoice,
    MemberCharge,
    MembershipPlan,
    MemberSubscription,
    SubscriptionStatus,
)
from apps.billing.money import format_money
from apps.billing.selectors import billing_settings_get, member_live_subscription
from apps.billing.services._shared import add_months, lock_stripe_object, member_from
from apps.billing.services.credits import credit_grant
from apps.billing.services.plans import plan_sync_to_stripe
from apps.billing.stripe_api import (
    call,
    gym_client,
    idempotency_key,
    to_datetime,
    to_plain,
    to_unix,
)
from apps.billing.tiers import Tier
from apps.common.errors import ApplicationError
from apps.common.realtime import broadcast_on_commit
from apps.members.models import Member, MemberStatus
from apps.notifications.services import notify


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


def subscription_fetch(*, client, stripe_subscription_id: str) -> dict:
    """The subscription as Stripe holds it now (no lock is held while Stripe answers)."""
    return to_plain(call(client.v1.subscriptions.retrieve, stripe_subscription_id))


def subscription_store(data: dict, *, read_at: dt.datetime, client) -> MemberSubscription:
    """Write a subscription read from Stripe at `read_at`: inside the caller's
    transaction, under the subscription's lock."""
    return _subscription_store(_current(data, read_at=read_at, client=client))


def _current(data: dict, *, read_at: dt.datetime, client) -> dict:
    """Take the subscription's lock; `data`, or Stripe's state read again when another
    run stored this subscription after `read_at` (its read may be newer than ours: the
    rare contended case reads under the lock, as every run did before)."""
    lock_stripe_object(data["id"])
    stored_since = MemberSubscription.objects.filter(
        stripe_subscription_id=data["id"], updated_at__gte=read_at
    ).exists()
    if stored_since:
        return subscription_fetch(client=client, stripe_subscription_id=data["id"])
    return data


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
    member = existing.member if existing else member_from(data.get("metadata"), data["customer"])
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
    sub.current_period_start = to_datetime(item.get("current_period_start"))
    sub.current_period_end = to_datetime(item.get("current_period_end"))
    sub.trial_end = to_datetime(data.get("trial_end"))
    sub.cancel_at_period_end = bool(data.get("cancel_at_period_end"))
    sub.cancel_at = to_datetime(data.get("cancel_at"))
    sub.canceled_at = to_datetime(data.get("canceled_at"))
    sub.started_at = to_datetime(data.get("start_date"))
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


def invoice_fetch(*, client, stripe_invoice_id: str) -> dict:
    """The invoice and its subscription as Stripe holds them now, read before any lock:
    {"invoice", "subscription" (or None), "read_at"}."""
    read_at = timezone.now()
    data = to_plain(call(client.v1.invoices.retrieve, stripe_invoice_id))
    parent = (data.get("parent") or {}).get("subscription_details") or {}
    sub_id = parent.get("subscription")
    sub_data = subscription_fetch(client=client, stripe_subscription_id=sub_id) if sub_id else None
    return {"invoice": data, "subscription": sub_data, "read_at": read_at}


def invoice_store(fetched: dict, *, client) -> Invoice:
    """Write what `invoice_fetch` read, inside the caller's transaction."""
    data, sub_data = fetched["invoice"], fetched["subscription"]
    parent = (data.get("parent") or {}).get("subscription_details") or {}
    sub = (
        subscription_store(sub_data, read_at=fetched["read_at"], client=client)
        if sub_data
        else None
    )
    member = sub.member if sub else member_from(parent.get("metadata"), data.get("customer"))
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
    invoice.next_payment_attempt = to_datetime(data.get("next_payment_attempt"))
    invoice.hosted_invoice_url = data.get("hosted_invoice_url") or ""
    invoice.invoice_pdf = data.get("invoice_pdf") or ""
    invoice.period_start = to_datetime(data.get("period_start"))
    invoice.period_end = to_datetime(data.get("period_end"))
    invoice.created = to_datetime(data.get("created"))
    invoice.paid_at = to_datetime((data.get("status_transitions") or {}).get("paid_at"))
    invoice.save()
    _link_charges(data)
    if invoice.status == "paid" and sub and sub.plan.class_credits and member:
        if invoice.billing_reason in ("subscription_create", "subscription_cycle"):
            credit_grant(
                member=member,
                credits=sub.plan.class_credits,
                reason="plan_period",
                source=f"invoice:{invoice.pk}",
            )
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
            dedupe_key=f"payment-failed:{invoice.pk}:{invoice.attempt_count}",
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


def _live_or_error(member: Member) -> MemberSubscription:
    sub = member_live_subscription(member)
    if sub is None:
        raise ApplicationError(
            _("There is no active membership."), code="no_subscription", status_code=404
        )
    return sub


def _change(sub: MemberSubscription, action: str, params: dict) -> tuple[dict, dt.datetime]:
    """Send one change of `sub` to Stripe, outside any transaction. Returns (Stripe's
    answer, when it was asked).

    The idempotency key names the change, its parameters and the state it was made from
    (the row's `updated_at`): a retry after a failure that left our side unwritten gets
    Stripe's first answer instead of changing twice, and a later change (the row has
    moved on) gets a key of its own."""
    client = gym_client(billing_settings_get())
    state = f"{sub.updated_at.timestamp():.6f}" if sub.updated_at else "new"
    key = idempotency_key(sub.stripe_subscription_id, action, state, params=params)
    read_at = timezone.now()
    data = call(
        client.v1.subscriptions.update,
        sub.stripe_subscription_id,
        params,
        {"idempotency_key": key},
    )
    return to_plain(data), read_at


def subscription_change_plan(
    *, member: Member, plan: MembershipPlan, by: User | None = None
) -> MemberSubscription:
    """Upgrade (charged now, prorated) or downgrade (credit prorated to the next invoice).
    Like Checkout, only staff may move a member to a plan that is not sold online."""
    sub = _live_or_error(member)
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
    data, read_at = _change(
        sub,
        "plan",
        {
            "items": [{"id": sub.stripe_item_id, "price": plan.stripe_price_id}],
            "proration_behavior": "always_invoice" if upgrade else "create_prorations",
            "metadata": {"plan_id": str(plan.pk)},
        },
    )
    invoice = None
    if upgrade and data.get("latest_invoice"):
        invoice = invoice_fetch(client=client, stripe_invoice_id=data["latest_invoice"])
    with transaction.atomic():
        if invoice is not None and invoice["subscription"] is not None:
            # The invoice's copy of the subscription was read after the change: newer.
            sub = invoice_store(invoice, client=client).subscription
        else:
            sub = subscription_store(data, read_at=read_at, client=client)
            if invoice is not None:
                invoice_store(invoice, client=client)
    return sub


def subscription_cancel(*, member: Member, now: dt.datetime | None = None) -> MemberSubscription:
    """Cancel at the end of the period, or at the end of the minimum contract if later."""
    sub = _live_or_error(member)
    now = now or timezone.now()
    params: dict = {"cancel_at_period_end": True}
    if sub.contract_ends_on:
        contract_end = dt.datetime.combine(sub.contract_ends_on, dt.time(), tzinfo=dt.UTC)
        if sub.current_period_end is None or contract_end > sub.current_period_end:
            params = {"cancel_at": to_unix(contract_end)}
    return _change_store(sub, *_change(sub, "cancel", params))


def _change_store(sub: MemberSubscription, data: dict, read_at: dt.datetime):
    with transaction.atomic():
        return subscription_store(data, read_at=read_at, client=gym_client(billing_settings_get()))


def subscription_resume(*, member: Member) -> MemberSubscription:
    """Undo a pending cancellation."""
    sub = _live_or_error(member)
    if not (sub.cancel_at_period_end or sub.cancel_at):
        raise ApplicationError(_("No cancellation is pending."), code="not_cancelling")
    params = {"cancel_at_period_end": False, "cancel_at": ""}
    return _change_store(sub, *_change(sub, "resume", params))


def subscription_freeze(
    *, member: Member, start: dt.date, days: int, today: dt.date | None = None
) -> MemberSubscription:
    """Freeze: collection pauses (invoices in the frozen time are voided), the contract
    end moves by the frozen days, and the member shows as frozen from `start`."""
    sub = _live_or_error(member)
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
    params = {"pause_collection": {"behavior": "void", "resumes_at": to_unix(until)}}
    data, read_at = _change(sub, "freeze", params)
    client = gym_client(billing_settings_get())
    with transaction.atomic():
        data = _current(data, read_at=read_at, client=client)
        sub = MemberSubscription.objects.select_for_update().get(pk=sub.pk)
        if not (sub.frozen_until and sub.frozen_until > today):  # not applied by a twin call
            sub.frozen_from, sub.frozen_until = start, until
            sub.freeze_days_total += days
            if sub.contract_ends_on:
                sub.contract_ends_on += dt.timedelta(days=days)
            sub.save()
        return _subscription_store(data)


def subscription_unfreeze(*, member: Member, today: dt.date | None = None) -> MemberSubscription:
    """End a freeze early: collection resumes, unused frozen days come off the contract."""
    sub = _live_or_error(member)
    today = today or timezone.localdate()
    if not sub.frozen_until or sub.frozen_until <= today:
        raise ApplicationError(_("The membership is not frozen."), code="not_frozen")
    data, read_at = _change(sub, "unfreeze", {"pause_collection": ""})
    client = gym_client(billing_settings_get())
    with transaction.atomic():
        data = _current(data, read_at=read_at, client=client)
        sub = MemberSubscription.objects.select_for_update().get(pk=sub.pk)
        if sub.frozen_until and sub.frozen_until > today:  # not applied by a twin call
            unused = (sub.frozen_until - max(today, sub.frozen_from)).days
            sub.frozen_until = max(today, sub.frozen_from)
            sub.freeze_days_total = max(0, sub.freeze_days_total - unused)
            if sub.contract_ends_on:
                sub.contract_ends_on -= dt.timedelta(days=unused)
            sub.save()
        return _subscription_store(data)
