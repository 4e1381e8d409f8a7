from django import template

from apps.billing.money import format_money

register = template.Library()


@register.filter
def money(minor, currency="") -> str:
    """Minor units (cents) as an amount with its currency: 4900|money:"eur" -> 49.00 EUR."""
    if minor is None or minor == "":
        return ""
    return format_money(int(minor), str(currency or ""))
