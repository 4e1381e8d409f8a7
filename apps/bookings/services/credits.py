"""Class credits for bookings, on billing's ledger (apps.billing CreditEntry).

A member whose plan pays classes with credits (`member_uses_credits`) spends one when
they get a place (booking, or promotion from the waitlist: joining the waitlist is free);
a cancellation in time, or the gym cancelling the class, gives it back; a late cancel or
a no-show forfeits it when the policy says so (and gives it back otherwise); a staff
waiver of the forfeit gives it back. Every step runs inside the booking service's
transaction, with the booking row locked, and records its state on `Booking.credit`, so a
step is never applied twice. Ledger entries name the booking: `booking:<id>:<n>:<step>`.
"""

from __future__ import annotations

from apps.billing.models import CreditEntry
from apps.billing.selectors import credit_balance, member_uses_credits
from apps.billing.services import credit_grant, credit_spend
from apps.bookings.models import Booking, CreditState


def _source(booking: Booking, step: str) -> str:
    done = CreditEntry.objects.filter(source__startswith=f"booking:{booking.pk}:").count()
    return f"booking:{booking.pk}:{done + 1}:{step}"


def _uses_credits(member) -> bool:
    """member_uses_credits, asked once per member instance (the rule check and the spend
    in one booking ask twice; each service loads its member afresh under its lock)."""
    if "_uses_credits" not in member.__dict__:
        member.__dict__["_uses_credits"] = member_uses_credits(member)
    return member.__dict__["_uses_credits"]


def can_pay(member) -> bool:
    """False only for a member who pays with credits and has none left."""
    return not _uses_credits(member) or credit_balance(member) >= 1


def credit_take(booking: Booking, member) -> None:
    """The member got a place: spend one credit if they pay with credits (the caller holds
    the member lock and checked `can_pay`; raises `no_credits` otherwise)."""
    if not _uses_credits(member):
        return
    credit_spend(member=member, reason="class_booking", source=_source(booking, "spend"))
    booking.credit = CreditState.SPENT
    booking.save(update_fields=["credit"])


def credit_give_back(booking: Booking, reason: str) -> bool:
    """Return the credit a booking spent (or forfeited, for a waiver)."""
    if booking.credit not in (CreditState.SPENT, CreditState.FORFEITED):
        return False
    credit_grant(member=booking.member, reason=reason, source=_source(booking, "return"))
    booking.credit = CreditState.RETURNED
    booking.save(update_fields=["credit"])
    return True


def credit_forfeit(booking: Booking) -> bool:
    """The credit stays spent as a penalty (the ledger keeps the spend)."""
    if booking.credit != CreditState.SPENT:
        return False
    booking.credit = CreditState.FORFEITED
    booking.save(update_fields=["credit"])
    return True


def credit_use_again(booking: Booking) -> None:
    """A no-show corrected to attended: the class was used after all. A forfeited credit
    simply counts as spent; one returned at the no-show is spent again (even past zero:
    the member took the class)."""
    if booking.credit == CreditState.FORFEITED:
        booking.credit = CreditState.SPENT
        booking.save(update_fields=["credit"])
    elif booking.credit == CreditState.RETURNED:
        credit_spend(
            member=booking.member,
            reason="class_attended",
            source=_source(booking, "spend"),
            allow_negative=True,
        )
        booking.credit = CreditState.SPENT
        booking.save(update_fields=["credit"])
