"""Give the demo gym its door history: a front-door kiosk, a capacity, and four months of
visits (run after seed_demo_billing and seed_demo_classes). Members come as people do:
each on their own days and at their own time of day (early birds, lunch breaks, after
work), more on Mondays than on Fridays, less at weekends, always within the opening hours;
a member who came to a class entered just before it (the door marked the booking). A few
refused scans too. Some members are inside right now.

Visits are only for the days when the member could come in: while they had a membership
(their subscriptions), or, without billing, the members active now. Idempotent by day: a
day that has any visit is left alone, so a second run adds nothing and a run weeks later
fills the days in between.

Written in bulk, dated when they happened: the door's `check_in` judges a scan *now* (its
code, the opening hours at this moment), so it cannot record last month.
"""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta

from django.db.models.functions import TruncDate
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.attendance.hours import gym_tz
from apps.attendance.models import (
    DeniedAttempt,
    DenyReason,
    ExitMethod,
    Kiosk,
    KioskMode,
    Visit,
    VisitMethod,
)
from apps.attendance.selectors import door_settings_get
from apps.attendance.services import door_settings_update, kiosk_register
from apps.billing.models import MemberSubscription
from apps.bookings.models import Booking, BookingStatus
from apps.common.management.demo import DemoSeedCommand
from apps.members.models import Member, MemberStatus
from apps.tenants.models import Gym
from apps.tenants.opening_hours import DAYS

HISTORY_DAYS = 120
CAPACITY = 40
# How much more (or less) people come on each weekday, Monday first.
WEEKDAY_FACTOR = [1.2, 1.15, 1.1, 1.0, 0.85, 0.7, 0.55]
# Times of day a member likes to come (gym-local hours, as a range), by habit.
HABITS = {
    "early": (6.0, 8.5),
    "lunch": (11.5, 13.5),
    "after work": (17.0, 20.0),
    "late": (19.5, 21.0),
    "daytime": (9.0, 16.0),
}
HABIT_WEIGHTS = [2, 2, 5, 1, 1]
WEEKEND_HOURS = (9.0, 13.0)


class Command(DemoSeedCommand):
    help = "Add months of door visits to the demo gym (after seed_demo_classes)."

    def handle(self, *args, **options):
        gym = self.demo_gym(options)
        started = time.monotonic()
        with tenant_context(gym):
            owner = User.objects.filter(role="owner").order_by("pk").first()
            desk = User.objects.filter(role="front_desk").order_by("pk").first()
            if not door_settings_get().capacity:
                door_settings_update(data={"capacity": CAPACITY}, by=owner)
            kiosk = Kiosk.objects.filter(revoked_at__isnull=True).order_by("pk").first()
            if kiosk is None:
                kiosk, _token = kiosk_register(name="Front door", mode=KioskMode.BOTH, by=owner)
            visits, denied = self._history(gym, kiosk, desk)
        self.stdout.write(
            f"Demo visits ready in {gym.slug}: {visits} new visits, {denied} refused scans "
            f"in {time.monotonic() - started:.1f} s."
        )

    def _history(self, gym: Gym, kiosk: Kiosk, desk: User | None) -> tuple[int, int]:
        tz = gym_tz()
        now = timezone.now()
        today = now.astimezone(tz).date()
        first = today - timedelta(days=HISTORY_DAYS - 1)
        done = set(
            Visit.objects.filter(entered_at__gte=_at(first, 0, tz))
            .annotate(day=TruncDate("entered_at", tzinfo=tz))
            .values_list("day", flat=True)
            .distinct()
        )
        days = [first + timedelta(days=n) for n in range(HISTORY_DAYS)]
        days = [day for day in days if day not in done]
        if not days:
            return 0, 0
        windows = _windows()
        statuses = dict(Member.objects.values_list("pk", "status"))
        people = {
            "active": sorted(windows),
            "inactive": sorted(
                pk
                for pk, status in statuses.items()
                if status in (MemberStatus.CANCELLED, MemberStatus.LEAD, MemberStatus.FROZEN)
            ),
        }
        classes = _class_visits(_at(days[0], 0, tz), now)
        visits, denied = [], []
        for day in days:
            hours = gym.opening_hours.get(DAYS[day.weekday()]) or []
            if not hours:
                continue
            opens, closes = _hours(hours[0][0]), _hours(hours[-1][1])
            rng = random.Random(f"visits:{day.isoformat()}")
            came = set()
            for member_id, start, end in classes.get(day, []):
                came.add(member_id)
                leave = end + timedelta(minutes=rng.randint(10, 40))
                visits.append(_visit(member_id, start, leave, now, kiosk, rng, desk))
            for member_id in sorted(windows):
                if member_id in came or not _member_could(windows[member_id], day, tz):
                    continue
                habit = random.Random(f"habit:{member_id}")
                per_week = habit.uniform(1.5, 4.0)
                if rng.random() > per_week / 7 * WEEKDAY_FACTOR[day.weekday()]:
                    continue
                low, high = (
                    WEEKEND_HOURS
                    if day.weekday() >= 5
                    else HABITS[habit.choices(list(HABITS), weights=HABIT_WEIGHTS)[0]]
                )
                if rng.random() < 0.2:  # now and then at another time
                    low, high = opens, closes - 1
                hour = min(max(rng.uniform(low, high), opens), closes - 1)
                enter = _at(day, hour, tz)
                stay = timedelta(minutes=rng.triangular(35, 110, 70))
                leave = min(enter + stay, _at(day, closes, tz) - timedelta(minutes=5))
                if enter < now:
                    visits.append(_visit(member_id, enter, leave, now, kiosk, rng, desk))
            if rng.random() < 0.6:
                denied.append(_refusal(rng, day, opens, closes, tz, people, kiosk, now))
        visits = [v for v in visits if v.entered_at < now]
        Visit.objects.bulk_create(visits, batch_size=1000)
        denied = [d for d in denied if d is not None and d.at < now]
        DeniedAttempt.objects.bulk_create(denied, batch_size=1000)
        return len(visits), len(denied)


def _hours(hhmm: str) -> float:
    h, m = hhmm.split(":")
    return int(h) + int(m) / 60


def _at(day: date, hour: float, tz) -> datetime:
    minutes = round(hour * 60)
    return datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=minutes)


def _windows() -> dict[int, list[tuple]]:
    """member -> [(from, until, frozen from, frozen until)]: when they could come in."""
    windows: dict[int, list[tuple]] = {}
    for sub in MemberSubscription.objects.exclude(started_at=None):
        windows.setdefault(sub.member_id, []).append(
            (sub.started_at, sub.canceled_at, sub.frozen_from, sub.frozen_until)
        )
    if not windows:
        for member_id in Member.objects.filter(
            status__in=[MemberStatus.ACTIVE, MemberStatus.TRIAL]
        ).values_list("pk", flat=True):
            windows[member_id] = [(None, None, None, None)]
    return windows


def _member_could(spans: list[tuple], day: date, tz) -> bool:
    noon = _at(day, 12, tz)
    return any(
        (since is None or since <= noon)
        and (until is None or until > noon)
        and not (frozen_from and frozen_until and frozen_from <= day < frozen_until)
        for since, until, frozen_from, frozen_until in spans
    )


def _class_visits(since: datetime, now: datetime) -> dict[date, list]:
    """Gym-local day -> [(member, entered, class end)] of the classes members came to."""
    tz = gym_tz()
    found: dict[date, list] = {}
    rows = Booking.objects.filter(
        status=BookingStatus.ATTENDED,
        attendance_marked_at__gte=since,
        attendance_marked_at__lt=now,
    ).values_list("member_id", "attendance_marked_at", "session__ends_at")
    seen = set()
    for member_id, entered, ends in rows.order_by("attendance_marked_at"):
        day = entered.astimezone(tz).date()
        if (member_id, day) in seen:
            continue  # one visit a day: a second class that day is the same visit
        seen.add((member_id, day))
        found.setdefault(day, []).append((member_id, entered, ends))
    return found


def _visit(member_id, enter, leave, now, kiosk, rng, desk) -> Visit:
    method = rng.choices([VisitMethod.QR, VisitMethod.CARD, VisitMethod.DESK], [7, 2, 1])[0]
    inside = leave > now
    return Visit(
        member_id=member_id,
        entered_at=enter,
        exited_at=None if inside else leave,
        method=method,
        exit_method="" if inside else rng.choices([ExitMethod.KIOSK, ExitMethod.AUTO], [9, 1])[0],
        kiosk=None if method == VisitMethod.DESK else kiosk,
        checked_in_by=desk if method == VisitMethod.DESK else None,
    )


def _refusal(rng, day, opens, closes, tz, people, kiosk, now) -> DeniedAttempt | None:
    """A refused scan: an old screenshot of a pass, a cancelled member, a scan before
    opening, someone already inside."""
    reason = rng.choices(
        [
            DenyReason.EXPIRED_CODE,
            DenyReason.NOT_ACTIVE,
            DenyReason.CLOSED,
            DenyReason.ALREADY_INSIDE,
            DenyReason.UNKNOWN_CODE,
        ],
        [4, 2, 1, 2, 1],
    )[0]
    hour = opens - 0.25 if reason == DenyReason.CLOSED else rng.uniform(opens, closes - 1)
    group = people["inactive"] if reason == DenyReason.NOT_ACTIVE else people["active"]
    if reason != DenyReason.UNKNOWN_CODE and not group:
        return None
    member = None if reason == DenyReason.UNKNOWN_CODE else rng.choice(group)
    code = f"R1.{member}." if member else "C1.9" + str(rng.randint(1000, 9999))
    return DeniedAttempt(
        at=_at(day, hour, tz), reason=reason, member_id=member, kiosk=kiosk, code_presented=code
    )
