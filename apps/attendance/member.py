"""Member web app pages of the door (under /app/): the pass (the rotating QR code the kiosk
scans, kept by the service worker for offline use) and "how busy is it now" (people
inside, a typical day, the opening hours). Same selectors and services as the API."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from apps.attendance import codes
from apps.attendance.hours import gym_tz, within_hours
from apps.attendance.selectors import occupancy_now, pass_rotating_code, typical_occupancy
from apps.attendance.services import pass_card_code, pass_get_or_create
from apps.portal.mixins import MemberRequiredMixin
from apps.tenants.opening_hours import DAYS

# How long a shown code still opens the door after the app replaced it (codes.GRACE_STEPS).
GRACE_SECONDS = codes.GRACE_STEPS * codes.STEP_SECONDS
# The page asks for the next code this long before the current one expires.
REFRESH_EARLY_SECONDS = 3
OCCUPANCY_POLL_SECONDS = 30

LEVELS = {
    "quiet": gettext_lazy("Quiet"),
    "busy": gettext_lazy("Busy"),
    "very_busy": gettext_lazy("Very busy"),
    "full": gettext_lazy("Full"),
}


def _pass_code(member) -> dict:
    data = pass_rotating_code(member=member, door_pass=pass_get_or_create(member=member))
    # A code is accepted in the step it was made in and the next one (scan delay, clock
    # skew): after the app shows the next code, this one works GRACE_SECONDS longer.
    data["valid_until"] = data["expires_at"] + timedelta(seconds=GRACE_SECONDS)
    data["refresh_at"] = data["expires_at"] - timedelta(seconds=REFRESH_EARLY_SECONDS)
    return data


def _no_store(response, offline_copy: bool = False):
    # Never in the browser's HTTP cache (a stale code); the service worker keeps its own
    # copy of pages that say so, for use without a connection.
    response["Cache-Control"] = "no-store"
    if offline_copy:
        response["X-Offline-Copy"] = "1"
    return response


class PassView(MemberRequiredMixin, View):
    """The pass: the rotating QR code, large, refreshed by static/attendance/member_pass.js
    before it expires; the member's name, photo and number. Kept for offline use, where it
    says the code may be out of date (and shows the printed card's code if there is one)."""

    def get(self, request):
        member = self.member
        context = {
            "member": member,
            "pass": _pass_code(member),
            "card_code": pass_card_code(member=member),
            "grace_seconds": GRACE_SECONDS,
        }
        return _no_store(render(request, "attendance/member/pass.html", context), True)


class PassCodeView(MemberRequiredMixin, View):
    """The code part of the pass page alone, fetched by the page before the code expires."""

    def get(self, request):
        context = {"pass": _pass_code(self.member)}
        return _no_store(render(request, "attendance/member/_pass_code.html", context))


def _occupancy() -> dict:
    now = occupancy_now()
    now["level_label"] = LEVELS.get(now["level"], "")
    return now


def _typical_today(hours: dict, moment: datetime) -> dict | None:
    """Today's usual number of people per opening hour, as bars scaled to the busiest."""
    local = moment.astimezone(gym_tz())
    day = DAYS[local.weekday()]
    ranges = (hours or {}).get(day) or []
    if not ranges:
        return None
    first = int(ranges[0][0][:2])
    last = max(int(end[:2]) - (1 if end.endswith(":00") else 0) for _start, end in ranges)
    row = typical_occupancy()["days"][local.weekday()]["hours"]
    values = [(h, row[h]) for h in range(first, min(last, 23) + 1)]
    top = max((v for _h, v in values), default=0) or 1
    width = 100 / max(len(values), 1)
    bars = [
        {
            "hour": h,
            "value": v,
            "x": round(i * width, 2),
            "width": round(width * 0.8, 2),
            "height": round(90 * v / top, 1),
            "y": round(95 - 90 * v / top, 1),
            "now": h == local.hour,
        }
        for i, (h, v) in enumerate(values)
    ]
    usual_now = next((round(v) for h, v in values if h == local.hour), None)
    return {"bars": bars, "usual_now": usual_now, "first": first, "last": last}


def _week_hours(hours: dict, moment: datetime) -> list[dict]:
    today = moment.astimezone(gym_tz()).weekday()
    return [
        {"name": WEEKDAYS[i], "ranges": (hours or {}).get(day) or [], "today": i == today}
        for i, day in enumerate(DAYS)
    ]


class OccupancyView(MemberRequiredMixin, View):
    """How busy the gym is now (refreshed every 30 s by polling the partial below: the
    live socket is for staff only), a typical day, and the week's opening hours."""

    def get(self, request):
        now = timezone.now()
        hours = request.tenant.opening_hours
        context = {
            "occupancy": _occupancy(),
            "open_now": within_hours(hours, now),
            "typical": _typical_today(hours, now),
            "week": _week_hours(hours, now),
            "poll_seconds": OCCUPANCY_POLL_SECONDS,
        }
        return render(request, "attendance/member/occupancy.html", context)


class OccupancyNowView(MemberRequiredMixin, View):
    """The "now" block alone, for the page's polling."""

    def get(self, request):
        context = {
            "occupancy": _occupancy(),
            "open_now": within_hours(request.tenant.opening_hours, timezone.now()),
        }
        return _no_store(render(request, "attendance/member/_occupancy_now.html", context))


def pass_card(member) -> dict:
    return {
        "title": _("My pass"),
        "text": _("Show my pass at the door"),
        "url": reverse("member-pass"),
    }


def occupancy_card(member) -> dict:
    occupancy = _occupancy()
    return {
        "title": _("In the gym now"),
        "value": str(occupancy["count"]),
        "text": occupancy["level_label"] or _("people inside"),
        "url": reverse("member-occupancy"),
    }
