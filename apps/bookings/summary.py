"""The weekly summary's classes line (apps.notifications.summary): classes attended."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import ngettext

from apps.bookings.models import Booking, BookingStatus
from apps.notifications.summary import register_summary_section


def classes_by_member(start, end) -> dict[int, int]:
    rows = (
        Booking.objects.filter(
            status=BookingStatus.ATTENDED,
            session__starts_at__gte=start,
            session__starts_at__lt=end,
        )
        .values("member_id")
        .annotate(n=Count("id"))
        .values_list("member_id", "n")
    )
    return dict(rows)


def classes_line(n: int) -> str:
    return ngettext("%(n)d class attended", "%(n)d classes attended", n) % {"n": n}


register_summary_section("classes", collect=classes_by_member, line=classes_line, order=20)
