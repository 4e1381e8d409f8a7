"""Class credits: the one API on the member's ledger (`CreditEntry`).

Billing owns the ledger: packs and plan periods grant credits (`credit_grant`, from
Stripe's events). A member whose plan pays classes with credits (`member_uses_credits`)
spends one when a booking gets them a place (`credit_spend`; joining a waitlist is free);
a cancellation in time, or the gym cancelling the class, gives it back
(`credit_give_back`); a late cancel or a no-show forfeits it when the policy says so
(`credit_forfeit`), and a staff waiver gives a forfeited one back; a no-show corrected
to attended spends it again (`credit_spend_again`).

Each entry names its source once, so a replayed event or a repeated step changes
nothing; a booking's entries are `booking:<id>:<n>:<step>` and the booking records what
its credit is (`Booking.credit`, a `CreditState`). The booking steps run inside the
booking service's transaction with the booking row locked.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.billing.models import CreditEntry, CreditState
from apps.billing.selectors import credit_balance, member_uses_credits
from apps.common.errors import ApplicationError
from apps.members.models import Member


def credit_grant(*, member: Member, credits: int = 1, reason: str, source: str) -> bool:
    """Credits in (a pack, a plan period), once per source. False when this source
    already granted (a replayed event grants nothing twice)."""
    if credits <= 0:
        raise ValueError("credit_grant gives credits; bookings spend them with credit_spend")
    return _entry(member, credits, reason, source)


def credit_spend(*, booking, member: Member) -> None:
    """The booking got the member a place: spend one credit if they pay with credits.
    The caller holds the member's lock and checked `credit_can_pay`; raises `no_credits`
    otherwise."""
    if not member_uses_credits(member):
        return
    _take(member, reason="class_booking", source=_source(booking, "spend"))
    booking.credit = CreditState.SPENT
    booking.save(update_fields=["credit"])


def credit_give_back(*, booking, reason: str) -> bool:
    """Return the credit a booking spent (or forfeited, for a waiver)."""
    if booking.credit not in (CreditState.SPENT, CreditState.FORFEITED):
        return False
    _entry(booking.member, 1, reason, _source(booking, "return"))
    booking.credit = CreditState.RETURNED
    booking.save(update_fields=["credit"])
    return True


def credit_forfeit(*, booking) -> bool:
    """The credit stays spent as a penalty (the ledger keeps the spend)."""
    if booking.credit != CreditState.SPENT:
        return False
    booking.credit = CreditState.FORFEITED
    booking.save(update_fields=["credit"])
    return True


def credit_spend_again(*, booking) -> None:
    """A no-show corrected to attended: the class was used after all. A forfeited credit
    simply counts as spent; one returned at the no-show is spent again (even past zero:
    the member took the class)."""
    if booking.credit == CreditState.FORFEITED:
        booking.credit = CreditState.SPENT
        booking.save(update_fields=["credit"])
    elif booking.credit == CreditState.RETURNED:
        _take(
            booking.member,
            reason="class_attended",
            source=_source(booking, "spend"),
            allow_negative=True,
        )
        booking.credit = CreditState.SPENT
        booking.save(update_fields=["credit"])


def _take(member: Member, *, reason: str, source: str, allow_negative: bool = False) -> None:
    """One credit out, if the balance allows (`allow_negative`: anyway), with the member
    row locked so two bookings cannot both take the last credit."""
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()
        if not allow_negative and credit_balance(member) < 1:
            raise ApplicationError(_("Not enough class credits."), code="no_credits")
        _entry(member, -1, reason, source)


def _entry(member: Member, delta: int, reason: str, source: str) -> bool:
    try:
        with transaction.atomic():
            CreditEntry.objects.create(member=member, delta=delta, reason=reason, source=source)
    except IntegrityError:
        return False
    return True


def _source(booking, step: str) -> str:
    done = CreditEntry.objects.filter(source__startswith=f"booking:{booking.pk}:").count()
    return f"booking:{booking.pk}:{done + 1}:{step}"
