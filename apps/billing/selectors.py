"""Reads on member billing (current gym schema)."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.billing.models import Invoice, MembershipPlan, MemberSubscription, SubscriptionStatus
from apps.members.models import Member


def plan_list(*, for_staff: bool) -> QuerySet[MembershipPlan]:
    plans = MembershipPlan.objects.all()
    if not for_staff:
        plans = plans.filter(active=True, sold_online=True)
    return plans


def member_invoices(*, member: Member) -> QuerySet[Invoice]:
    return Invoice.objects.filter(member=member).order_by("-created", "-pk")


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
