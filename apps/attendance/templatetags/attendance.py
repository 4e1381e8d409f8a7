"""`{% member_attendance member as x %}`: lets the member page show visit counts without
the members app importing the door's code. `{{ code|qr_svg }}`: a pass code as a QR
image to print on a card."""

import segno
from django import template
from django.utils.safestring import mark_safe

from apps.attendance.selectors import member_attendance as _member_attendance

register = template.Library()


@register.simple_tag
def member_attendance(member):
    return _member_attendance(member=member)


@register.filter
def qr_svg(code: str, fit: str = "") -> str:
    """Inline SVG of `code` as a QR code: error correction M (a scuffed card still reads)
    and the standard's 4-module quiet zone (OpenCV's reader finds nothing with 2). segno
    writes the SVG from the code's bits, so nothing from the code reaches the markup.
    `|qr_svg:"fluid"`: a viewBox instead of a fixed size, so CSS sizes it (the app's pass)."""
    if not code:
        return ""
    svg = segno.make(code, error="m").svg_inline(scale=5, border=4, omitsize=fit == "fluid")
    return mark_safe(svg)  # noqa: S308
