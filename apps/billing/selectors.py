"""Reads on member billing (current gym schema)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.billing.models import (
    LIVE_STATUSES,
    BillingSettings,
    CreditEntry,
    Invoice,
    MemberCharge,
    MembershipPlan,
    MemberSubscription,
    SubscriptionStatus,
)
from apps.members.models import Member


def billing_settings_get() -> BillingSettings:
    """The gym's one billing settings row (made, empty, on first use)."""
    found, _created = BillingSettings.objects.get_or_create(singleton=1)
    return found


def member_live_subscription(member: Member) -> MemberSubscription | None:
    return (
        MemberSubscription.objects.filter(member=member, status__in=LIVE_STATUSES)
        .select_related("plan")
        .order_by("-created_at")
        .first()
    )


def credit_balance(member: Member) -> int:
    return CreditEntry.objects.filter(member=member).aggregate(n=Sum("delta"))["n"] or 0


def credit_can_pay(member: Member) -> bool:
    """False only for a member who pays classes with credits and has none left."""
    return not member_uses_credits(member) or credit_balance(member) >= 1


def member_uses_credits(member: Member) -> bool:
    """Whether this member's classes are paid with credits: their live subscription's plan
    gives a number of class credits per period, or, with no live subscription, they hold
    credits from a pack. A plan with class_credits 0 is unlimited (no credits spent)."""
    subscription = member_live_subscription(member)
    if subscription is not None:
        return bool(subscription.plan.class_credits)
    return CreditEntry.objects.filter(member=member).exists()


def format_money(minor: int, currency: str) -> str:
    """12345, "eur" -> "123.45 EUR" (Decimal arithmetic; never a float)."""
    return f"{(Decimal(minor) / 100).quantize(Decimal('0.01'))} {currency.upper()}"


def plan_list(*, for_staff: bool) -> QuerySet[MembershipPlan]:
    plans = MembershipPlan.objects.all()
    if not for_staff:
        plans = plans.filter(active=True, sold_online=True)
    return plans


def member_invoices(*, member: Member) -> QuerySet[Invoice]:
    return Invoice.objects.filter(member=member).order_by("-created", "-pk")


def member_charges(*, member: Member) -> QuerySet[MemberCharge]:
    """A member's one-off charges (fees), newest first."""
    return MemberCharge.objects.filter(member=member).order_by("-created_at", "-pk")


def failed_payments() -> QuerySet[Invoice]:
    """Open invoices whose collection failed at least once: the staff's dunning list."""
    return (
        Invoice.objects.filter(status="open", attempt_count__gt=0)
        .select_related("member", "subscription__plan")
        .order_by("-created", "-pk")
    )


def past_due_subscriptions() -> QuerySet[MemberSubscription]:
    return MemberSubscription.objects.filter(
        status__in=[SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID]
    ).select_related("member", "plan")


def _monthly(amount_minor: int, interval: str) -> Decimal:
    return Decimal(amount_minor) / 12 if interval == "year" else Decimal(amount_minor)


def billing_report(*, now: dt.datetime | None = None) -> dict:
    """The staff's billing figures, in minor units of the gym's currency (integers; MRR is
    rounded to the cent only at the end, with Decimal arithmetic)."""
    now = now or timezone.now()
    paying = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
    live = MemberSubscription.objects.filter(status__in=LIVE_STATUSES).select_related("plan")
    mrr = sum(
        (_monthly(s.amount_minor, s.plan.interval) for s in live if s.status in paying),
        Decimal(0),
    )
    by_plan = list(
        MemberSubscription.objects.filter(status__in=LIVE_STATUSES)
        .values("plan_id", "plan__name")
        .annotate(count=Count("id"))
        .order_by("-count", "plan__name")
    )
    window = now - dt.timedelta(days=30)
    churned = MemberSubscription.objects.filter(
        status=SubscriptionStatus.CANCELED, canceled_at__gte=window
    ).count()
    # Of everyone subscribed at some point in the window (still live, or left in it), the
    # share that left; a young gym has few subscribers "30 days ago" to divide by.
    at_start = live.count() + churned
    failed = failed_payments()
    upcoming = (
        live.filter(
            status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING],
            current_period_end__gte=now,
            current_period_end__lt=now + dt.timedelta(days=7),
            cancel_at_period_end=False,
            cancel_at__isnull=True,
        )
        .select_related("member")
        .order_by("current_period_end")
    )
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = []
    for back in range(5, -1, -1):
        year, month = first.year, first.month - back
        while month < 1:
            year, month = year - 1, month + 12
        starts.append(first.replace(year=year, month=month))
    end = first.replace(year=first.year + (first.month == 12), month=first.month % 12 + 1)
    # One grouped query for the six months (it was one aggregate per month).
    collected = {
        (row["month"].year, row["month"].month): row["total"] or 0
        for row in Invoice.objects.filter(status="paid", paid_at__gte=starts[0], paid_at__lt=end)
        .annotate(month=TruncMonth("paid_at", tzinfo=first.tzinfo))
        .values("month")
        .annotate(total=Sum("amount_paid_minor"))
        .order_by()
    }
    months = [
        {"month": start.date(), "collected_minor": collected.get((start.year, start.month), 0)}
        for start in starts
    ]
    return {
        "currency": connection.tenant.currency.lower(),
        "mrr_minor": int(mrr.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        "active_subscriptions": sum(row["count"] for row in by_plan),
        "by_plan": [
            {"plan_id": r["plan_id"], "plan": r["plan__name"], "count": r["count"]} for r in by_plan
        ],
        "churned_30_days": churned,
        "churn_rate_30_days": (
            str((Decimal(churned) * 100 / at_start).quantize(Decimal("0.1"))) if at_start else "0.0"
        ),
        "failed_payments": failed.count(),
        "failed_amount_minor": failed.aggregate(total=Sum("amount_due_minor"))["total"] or 0,
        "upcoming_renewals": [
            {
                "member_id": s.member_id,
                "member": s.member.full_name,
                "renews_at": s.current_period_end,
                "amount_minor": s.amount_minor,
            }
            for s in upcoming[:50]
        ],
        "collected_by_month": months,
    }


def member_failed_invoice(member: Member) -> Invoice | None:
    """The member's latest open invoice whose collection failed (what their app warns
    about), or None."""
    return (
        Invoice.objects.filter(member=member, status="open", attempt_count__gt=0)
        .order_by("-created", "-pk")
        .first()
    )


def member_home_summary(member: Member) -> dict | None:
    """The member app's home card: a failed payment first, else the plan and when it
    renews (or ends, or is frozen until); None without a membership."""
    failed = member_failed_invoice(member)
    subscription = member_live_subscription(member)
    if failed is None and subscription is None:
        return None
    return {
        "failed": failed,
        "subscription": subscription,
        "frozen": subscription_is_frozen(subscription),
    }


def subscription_is_frozen(subscription: MemberSubscription | None, today=None) -> bool:
    today = today or timezone.localdate()
    return bool(subscription and subscription.frozen_until and subscription.frozen_until > today)


def setup_billing_done() -> bool:
    """The gym can sell: Stripe is connected and at least one plan is on sale."""
    return billing_settings_get().connected and MembershipPlan.objects.filter(active=True).exists()
