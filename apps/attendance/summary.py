"""The weekly summary's visits line (apps.notifications.summary)."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import ngettext

from apps.attendance.models import Visit
from apps.notifications.summary import register_summary_section


def visits_by_member(start, end) -> dict[int, int]:
    rows = (
        Visit.objects.filter(entered_at__gte=start, entered_at__lt=end)
        .values("member_id")
        .annotate(n=Count("id"))
        .values_list("member_id", "n")
    )
    return dict(rows)


def visits_line(n: int) -> str:
    return ngettext("%(n)d visit to the gym", "%(n)d visits to the gym", n) % {"n": n}


register_summary_section("visits", collect=visits_by_member, line=visits_line, order=10)
