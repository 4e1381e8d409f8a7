"""What the billing service modules share (not for other apps): the gym's currency, the
member's Stripe customer, finding the member of a Stripe object, and the per-object lock.
Stripe plumbing (errors, timestamps) is in `apps.billing.stripe_api`."""

from __future__ import annotations

import calendar
import datetime as dt

from django.db import connection

from apps.billing.models import BillingCustomer
from apps.billing.stripe_api import call, idempotency_key
from apps.members.models import Member

MAX_PRICE_MINOR = 10_000_000  # 100,000.00 in the gym's currency: a typo guard


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def gym_currency() -> str:
    return connection.tenant.currency.lower()


def lock_stripe_object(stripe_id: str) -> None:
    """Serialise work on one Stripe object across processes for this transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [stripe_id])


def customer_for(member: Member, client) -> str:
    """The member's Stripe customer id, made at Stripe the first time."""
    found = BillingCustomer.objects.filter(member=member).first()
    if found:
        return found.stripe_customer_id
    params = {
        "email": member.email or None,
        "name": member.full_name,
        "metadata": {"member_id": str(member.pk), "schema": connection.schema_name},
    }
    customer = call(
        client.v1.customers.create,
        params,
        {"idempotency_key": idempotency_key("member", member.pk, "customer", params=params)},
    )
    # Two first checkouts at once made one customer (same key): the second finds the row.
    link, _created = BillingCustomer.objects.get_or_create(
        member=member, defaults={"stripe_customer_id": customer.id}
    )
    return link.stripe_customer_id


def member_from(metadata: dict, customer_id: str | None) -> Member | None:
    """The member a Stripe object names (its metadata, else its customer), or None."""
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
