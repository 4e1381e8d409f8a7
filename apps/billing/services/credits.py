"""Class credits on the member's ledger (`CreditEntry`): granted by packs and plan
periods, spent by bookings. Each entry names its source once, so a replay changes
nothing."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.billing.models import CreditEntry
from apps.billing.selectors import credit_balance
from apps.common.errors import ApplicationError
from apps.members.models import Member


def _credit(member: Member, delta: int, reason: str, source: str) -> bool:
    """Add class credits once per source (a replayed event grants nothing twice)."""
    try:
        with transaction.atomic():
            CreditEntry.objects.create(member=member, delta=delta, reason=reason, source=source)
    except IntegrityError:
        return False
    return True


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
    """Give credits (a pack, a plan period; for bookings, a cancellation in time or a
    waived forfeit), once per source. False when this source already granted."""
    if credits <= 0:
        raise ValueError("credit_grant gives credits; use credit_spend to take them")
    return _credit(member, credits, reason, source)
