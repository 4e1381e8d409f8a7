"""The gym's booking policy as rules: who may book what and when, in one place.

`booking_problems` is the single rule check: the booking service calls it under the
session lock (so the counts it reads cannot change meanwhile) and the API calls it to tell
a member, before they tap "book", what would happen and why. `policy_summary` states the
same rules in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.billing.entitlements import entitlements
from apps.billing.selectors import credit_can_pay
from apps.billing.tiers import Tier
from apps.bookings.models import (
    HOLDING_STATUSES,
    Booking,
    BookingPolicy,
    BookingStatus,
    ClassSession,
    Penalty,
    PenaltyKind,
    SessionStatus,
)
from apps.members.models import Member, MemberStatus

TIER_ORDER = [Tier.FREE, Tier.BASIC, Tier.PRO, Tier.PRO_PLUS]
BOOKABLE_MEMBER_STATUSES = (MemberStatus.ACTIVE, MemberStatus.TRIAL)


def tier_allows(member_tier: str, required_tier: str) -> bool:
    rank = {tier.value: i for i, tier in enumerate(TIER_ORDER)}
    return rank.get(member_tier, 0) >= rank.get(required_tier, 0)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


def blocked_until(*, member: Member, policy: BookingPolicy, now: datetime) -> datetime | None:
    """When the member's booking block ends, or None. A block starts at the strike that
    made `strikes_to_block` strikes within `strike_window_days` and lasts `block_days`.
    Computed from the strikes that are not waived, so a waiver lifts a block at once."""
    if policy.block_days == 0:
        return None
    horizon = now - timedelta(days=policy.block_days + policy.strike_window_days)
    strikes = list(
        Penalty.objects.filter(
            member=member,
            kind=PenaltyKind.STRIKE,
            waived_at__isnull=True,
            created_at__gte=horizon,
            created_at__lte=now,
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    )
    window = timedelta(days=policy.strike_window_days)
    for i, strike_at in enumerate(strikes):
        # strikes[i:] are this one and the older ones; count those inside its window.
        in_window = sum(1 for t in strikes[i:] if t > strike_at - window)
        if in_window >= policy.strikes_to_block:
            until = strike_at + timedelta(days=policy.block_days)
            return until if until > now else None
    return None


def max_active_bookings(*, member: Member, policy: BookingPolicy, gym) -> int:
    allowed = entitlements(member=member, gym=gym).class_bookings_active
    if policy.max_active_bookings is not None:
        allowed = min(allowed, policy.max_active_bookings)
    return allowed


def booking_problems(
    *,
    member: Member,
    session: ClassSession,
    policy: BookingPolicy,
    gym,
    now: datetime | None = None,
    waitlist: bool,
) -> list[Problem]:
    """Why `member` may not book (or, with `waitlist`, queue for) `session` now. Empty: ok."""
    now = now or timezone.now()
    problems: list[Problem] = []
    if session.status != SessionStatus.SCHEDULED:
        return [Problem("session_cancelled", _("This class has been cancelled."))]
    if session.starts_at <= now:
        return [Problem("session_started", _("This class has already started."))]
    opens = session.starts_at - timedelta(days=policy.opens_days_before)
    closes = session.starts_at - timedelta(minutes=policy.closes_minutes_before)
    if now < opens:
        problems.append(
            Problem(
                "window_not_open",
                _("Booking opens %(days)s days before the class.")
                % {"days": policy.opens_days_before},
            )
        )
    if now >= closes:
        problems.append(Problem("window_closed", _("Booking for this class has closed.")))
    if waitlist and now >= session.starts_at - timedelta(
        minutes=policy.waitlist_closes_minutes_before
    ):
        problems.append(Problem("waitlist_closed", _("The waitlist for this class has closed.")))
    if member.status not in BOOKABLE_MEMBER_STATUSES:
        problems.append(
            Problem("membership_inactive", _("Your membership is not active, so you cannot book."))
        )
    if not tier_allows(member.tier, session.class_type.required_tier):
        problems.append(
            Problem(
                "tier_required",
                _("This class needs the %(tier)s membership or higher.")
                % {"tier": Tier(session.class_type.required_tier).label},
            )
        )
    until = blocked_until(member=member, policy=policy, now=now)
    if until is not None:
        problems.append(
            Problem(
                "blocked",
                _("Booking is blocked until %(until)s after repeated late cancels or no-shows.")
                % {"until": until.astimezone(gym_zone(gym)).strftime("%Y-%m-%d %H:%M")},
            )
        )
    # One query for the member's three counts (this class, upcoming, that day).
    day_start, day_end = local_day_bounds(session.starts_at, gym_zone(gym))
    counts = Booking.objects.filter(member=member, status__in=HOLDING_STATUSES).aggregate(
        here=Count("id", filter=Q(session=session)),
        upcoming=Count("id", filter=Q(session__starts_at__gt=now)),
        same_day=Count(
            "id", filter=Q(session__starts_at__gte=day_start, session__starts_at__lt=day_end)
        ),
    )
    if counts["here"]:
        problems.append(Problem("already_booked", _("You already have a place in this class.")))
    allowed = max_active_bookings(member=member, policy=policy, gym=gym)
    if counts["upcoming"] >= allowed:
        problems.append(
            Problem(
                "too_many_bookings",
                ngettext(
                    "You may hold %(n)s upcoming booking at a time.",
                    "You may hold %(n)s upcoming bookings at a time.",
                    allowed,
                )
                % {"n": allowed},
            )
        )
    if counts["same_day"] >= policy.max_per_day:
        problems.append(
            Problem(
                "daily_limit",
                ngettext(
                    "You may book %(n)s class per day.",
                    "You may book %(n)s classes per day.",
                    policy.max_per_day,
                )
                % {"n": policy.max_per_day},
            )
        )
    # Class credits (plans that pay classes with credits): spent on getting a place, so
    # joining a waitlist is free and the promotion checks again.
    if not waitlist and not credit_can_pay(member):
        problems.append(
            Problem(
                "no_credits",
                _(
                    "You have no class credits left. Buy a class pack, or book when your "
                    "next credits arrive."
                ),
            )
        )
    return problems


def gym_zone(gym) -> ZoneInfo:
    try:
        return ZoneInfo(getattr(gym, "time_zone", None) or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_day_bounds(moment: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The gym-local calendar day around `moment`, as aware datetimes (23 or 25 hours long
    on daylight-saving days)."""
    day = moment.astimezone(zone).date()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def policy_summary(policy: BookingPolicy) -> list[str]:
    """The rules in plain sentences, as shown to a member before booking."""
    rules = [
        ngettext(
            "Booking opens %(n)s day before the class.",
            "Booking opens %(n)s days before the class.",
            policy.opens_days_before,
        )
        % {"n": policy.opens_days_before},
    ]
    if policy.closes_minutes_before:
        rules.append(
            _("Booking closes %(n)s minutes before the class starts.")
            % {"n": policy.closes_minutes_before}
        )
    else:
        rules.append(_("You can book until the class starts."))
    if policy.max_active_bookings is not None:
        rules.append(
            _("You can hold up to %(n)s upcoming bookings (or fewer if your tier allows fewer).")
            % {"n": policy.max_active_bookings}
        )
    else:
        rules.append(_("How many upcoming bookings you can hold depends on your membership tier."))
    rules.append(
        ngettext(
            "You can book %(n)s class per day.",
            "You can book %(n)s classes per day.",
            policy.max_per_day,
        )
        % {"n": policy.max_per_day}
    )
    rules.append(
        _(
            "When a class is full you join its waitlist; if a place frees up you get it "
            "automatically and we email you. The waitlist closes %(n)s minutes before the class."
        )
        % {"n": policy.waitlist_closes_minutes_before}
    )
    consequences = _consequences(
        policy.late_cancel_strike, policy.late_cancel_fee, policy.late_cancel_forfeits_credit
    )
    if consequences:
        rules.append(
            _("Cancelling less than %(n)s minutes before the class counts as late: %(what)s.")
            % {"n": policy.late_cancel_minutes_before, "what": consequences}
        )
    else:
        rules.append(_("You can cancel at any time without a penalty."))
    consequences = _consequences(
        policy.no_show_strike, policy.no_show_fee, policy.no_show_forfeits_credit
    )
    if consequences:
        rules.append(_("Not showing up: %(what)s.") % {"what": consequences})
    if policy.block_days and (policy.late_cancel_strike or policy.no_show_strike):
        rules.append(
            _("%(n)s strikes within %(days)s days block booking for %(block)s days.")
            % {
                "n": policy.strikes_to_block,
                "days": policy.strike_window_days,
                "block": policy.block_days,
            }
        )
    return rules


def cancel_is_late(*, policy: BookingPolicy, starts_at: datetime, now: datetime) -> bool:
    """Whether cancelling a booked place now counts as a late cancel."""
    return now >= starts_at - timedelta(minutes=policy.late_cancel_minutes_before)


def cancel_terms(*, policy: BookingPolicy, booking: Booking, now: datetime | None = None) -> str:
    """What cancelling this booking now would cost, in one sentence, as shown to the member
    before they confirm (the same rule `booking_cancel` applies)."""
    now = now or timezone.now()
    if booking.status == BookingStatus.WAITLISTED:
        return _("Leaving the waitlist is free.")
    consequences = _consequences(
        policy.late_cancel_strike, policy.late_cancel_fee, policy.late_cancel_forfeits_credit
    )
    if not consequences:
        return _("You can cancel without a penalty.")
    if cancel_is_late(policy=policy, starts_at=booking.session.starts_at, now=now):
        return _(
            "This class starts in less than %(n)s minutes, so cancelling now counts as late: "
            "%(what)s."
        ) % {
            "n": policy.late_cancel_minutes_before,
            "what": consequences,
        }
    deadline = booking.session.starts_at - timedelta(minutes=policy.late_cancel_minutes_before)
    return _("Cancelling is free until %(deadline)s; after that it counts as late: %(what)s.") % {
        "deadline": local_when(deadline),
        "what": consequences,
    }


def local_when(moment: datetime) -> str:
    """A moment in the active zone (the member's or the gym's), e.g. "Tue 8 Dec, 10:00"."""
    local = timezone.localtime(moment)
    return f"{date_format(local, 'D j M')}, {date_format(local, 'TIME_FORMAT')}"


def _consequences(strike: bool, fee: int, credit: bool) -> str:
    parts = []
    if strike:
        parts.append(_("a strike"))
    if fee:
        parts.append(_("a fee of %(amount)s") % {"amount": f"{fee / 100:.2f}"})
    if credit:
        parts.append(_("the class credit is used"))
    return ", ".join(parts)
