"""Amounts between people and Stripe: major units as typed ("49.90 EUR") and the integer
minor units Stripe and our rows hold (4990), with each currency's number of decimals.

Stripe's list of zero- and three-decimal currencies
(https://docs.stripe.com/currencies#zero-decimal): JPY 49 is 49 minor units, KWD 1.500 is
1500. Parsing goes through `Decimal` on a strict pattern, never `float`.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.translation import gettext as _

ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())
# Digits, then at most one decimal separator (a dot, or a comma as typed in much of
# Europe) and digits: no sign, no exponent, no thousands separators ("1,000.50" is
# ambiguous across languages, so it is refused rather than guessed).
_AMOUNT = re.compile(r"(\d{1,12})(?:[.,](\d{1,12}))?")


def currency_decimals(currency: str) -> int:
    code = (currency or "").upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_major(minor: int, currency: str) -> Decimal:
    """4990, "eur" -> Decimal("49.90"); 4990, "jpy" -> Decimal("4990")."""
    places = currency_decimals(currency)
    return (Decimal(int(minor)) / (10**places)).quantize(Decimal(1).scaleb(-places))


def parse_major(text: str, currency: str, *, maximum_minor: int) -> int:
    """What a person typed ("49", "49.90", "49,9") as minor units of `currency`.
    Raises ValueError with a message for people: malformed, negative, more decimals than
    the currency has, or above `maximum_minor`."""
    raw = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    places = currency_decimals(currency)
    code = (currency or "").upper()
    if raw.startswith("-"):
        raise ValueError(_("Enter an amount of zero or more."))
    match = _AMOUNT.fullmatch(raw)
    if not match:
        if places:
            raise ValueError(_("Enter an amount like 49 or 49.90."))
        raise ValueError(_("Enter a whole amount like 49."))
    fraction = match.group(2) or ""
    if len(fraction.rstrip("0")) > places:
        if not places:
            raise ValueError(
                _("%(currency)s has no decimal places: enter a whole amount.") % {"currency": code}
            )
        raise ValueError(
            _("%(currency)s has %(places)d decimal places at most.")
            % {"currency": code, "places": places}
        )
    value = Decimal(f"{match.group(1)}.{fraction or '0'}")
    minor = int(value.scaleb(places))
    if minor > maximum_minor:
        raise ValueError(
            _("Enter an amount of at most %(amount)s %(currency)s.")
            % {"amount": to_major(maximum_minor, currency), "currency": code}
        )
    return minor


def format_money(minor: int, currency: str) -> str:
    """12345, "eur" -> "123.45 EUR"; 4900, "jpy" -> "4900 JPY"."""
    return f"{to_major(minor, currency)} {(currency or '').upper()}"
