"""Weekly recurrence in both directions: the weekday checkboxes of the schedule form to an
RFC 5545 rule (what `Schedule.rrule` stores and the generator reads) and back, and a
schedule in words for lists ("Mon, Wed, Fri at 18:00 for 60 min"). Pure functions: the
services and the selectors both use them."""

from __future__ import annotations

from django.utils.dates import WEEKDAYS_ABBR
from django.utils.formats import time_format
from django.utils.translation import gettext as _

RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def weekly_rrule(weekdays) -> str:
    """FREQ=WEEKLY;BYDAY=MO,WE for [0, 2] (0 = Monday)."""
    days = sorted(set(weekdays))
    return "FREQ=WEEKLY;BYDAY=" + ",".join(RRULE_DAYS[d] for d in days)


def rrule_weekdays(text: str) -> list[int] | None:
    """The weekdays of a plain weekly rule (FREQ=WEEKLY;BYDAY=..., nothing else), or None
    when the rule says more than the weekday checkboxes can (an interval, a count, ...)."""
    parts = dict(p.split("=", 1) for p in (text or "").upper().split(";") if "=" in p)
    if set(parts) != {"FREQ", "BYDAY"} or parts["FREQ"] != "WEEKLY":
        return None
    days = parts["BYDAY"].split(",")
    if not days or any(d not in RRULE_DAYS for d in days):
        return None
    return sorted({RRULE_DAYS.index(d) for d in days})


def schedule_weekdays(schedule) -> list[int] | None:
    """The days a schedule repeats on, from its rule (or its weekdays when it has none);
    None for a rule the checkboxes cannot show."""
    if schedule.rrule:
        return rrule_weekdays(schedule.rrule)
    return sorted(set(schedule.weekdays or []))


def schedule_in_words(schedule) -> str:
    """ "Mon, Wed, Fri at 18:00 for 60 min", in the active language."""
    days = schedule_weekdays(schedule)
    minutes = schedule.duration_minutes or schedule.class_type.duration_minutes
    when = time_format(schedule.start_time, "H:i")
    if days is None:
        return _("%(rule)s at %(time)s for %(minutes)s min") % {
            "rule": schedule.rrule,
            "time": when,
            "minutes": minutes,
        }
    if days == list(range(7)):
        day_text = _("Every day")
    else:
        day_text = ", ".join(str(WEEKDAYS_ABBR[d]) for d in days)
    return _("%(days)s at %(time)s for %(minutes)s min") % {
        "days": day_text,
        "time": when,
        "minutes": minutes,
    }
