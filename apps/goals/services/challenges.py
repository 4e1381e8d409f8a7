"""Challenges: staff create them, members join, progress counts itself.

Rules (docs/goals.md, "Challenges", says why):
- Dates are the gym's calendar days (its time zone), both inclusive. A challenge lasts at
  most 366 days and may be created already running (it counts from `starts_on`), never
  already over.
- Targets: > 0; visits and check-ins count at most one a day, so their target is a whole
  number no larger than the challenge's days; classes at most 3 a day; a custom total at
  most 1,000,000 (and needs a unit).
- Once a challenge has started and someone has joined, its type, target, unit and start
  are fixed (members joined for those); title, description, prize and the end stay
  editable, the end never before today. An ended challenge keeps its end.
- Members join while it is upcoming or running (membership active or trial); joining
  twice is the same participation; leaving and joining again keeps the progress (it is
  counted from what the member did within the dates, not from when they joined) but not
  the leaderboard choice (off until they opt in again).
- Progress is a recount from the source (door visits: distinct days; attended classes;
  check-ins answered "went"; custom entries), under the participant's row lock, so a
  task run twice or two at once give the same row. Reaching the target fires once:
  `completed_at`, a badge (`challenge_finished`, `challenge:<id>`) and a notification
  (`challenge_completed`). A later lower recount does not take it back."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.attendance.models import Visit
from apps.bookings.models import Booking, BookingStatus
from apps.bookings.policy import BOOKABLE_MEMBER_STATUSES, gym_zone
from apps.common.errors import ApplicationError
from apps.goals import activity
from apps.goals.models import (
    Badge,
    Challenge,
    ChallengeEntry,
    ChallengeParticipant,
    ChallengeType,
    CheckIn,
    CheckInStatus,
)
from apps.goals.selectors.challenges import gym_today
from apps.goals.services.inputs import refuse as _refuse
from apps.goals.services.inputs import text as _text
from apps.notifications.services import notify

MAX_DAYS = 366
MAX_CLASSES_PER_DAY = 3
MAX_CUSTOM_TARGET = Decimal("1000000")
BADGE_KEY = "challenge_finished"
COUNTED_TYPES = (ChallengeType.VISITS, ChallengeType.CLASSES, ChallengeType.CHECKINS)
# Fields members joined for: fixed once the challenge has started with participants.
LOCKED_FIELDS = ("type", "target", "unit", "starts_on")
FIELDS = ("title", "description", "type", "target", "unit", "starts_on", "ends_on", "prize")


def _bounds(challenge: Challenge) -> tuple[datetime, datetime]:
    """The challenge's days as aware instants: [first day 00:00, day after the last)."""
    zone = gym_zone(connection.tenant)
    start = datetime.combine(challenge.starts_on, time.min, tzinfo=zone)
    end = datetime.combine(challenge.ends_on + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def _decimal(value, field: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise _refuse(_("Enter a number."), field) from None
    if not number.is_finite():
        raise _refuse(_("Enter a number."), field)
    return number


def _checked(data: dict, *, creating: bool) -> dict:
    """The fields cleaned and checked against each other (see the module's rules)."""
    clean = {
        "title": _text(data.get("title"), "title", 120, required=True),
        "description": _text(data.get("description"), "description", 2000),
        "prize": _text(data.get("prize"), "prize", 200),
        "unit": _text(data.get("unit"), "unit", 16),
    }
    kind = data.get("type")
    if kind not in ChallengeType.values:
        raise _refuse(_("Choose a type."), "type")
    clean["type"] = kind
    starts, ends = data.get("starts_on"), data.get("ends_on")
    if not isinstance(starts, date):
        raise _refuse(_("Enter a start date."), "starts_on")
    if not isinstance(ends, date):
        raise _refuse(_("Enter an end date."), "ends_on")
    if not (2000 <= starts.year <= 2100 and 2000 <= ends.year <= 2100):
        raise _refuse(_("Enter a date between 2000 and 2100."), "starts_on")
    if ends < starts:
        raise _refuse(_("The end cannot be before the start."), "ends_on", "dates_reversed")
    days = (ends - starts).days + 1
    if days > MAX_DAYS:
        raise _refuse(
            _("A challenge lasts at most %(n)s days.") % {"n": MAX_DAYS}, "ends_on", "too_long"
        )
    if creating and ends < gym_today():
        raise _refuse(_("This challenge would already be over."), "ends_on", "in_the_past")
    clean["starts_on"], clean["ends_on"] = starts, ends
    target = _decimal(data.get("target"), "target")
    if target <= 0:
        raise _refuse(_("The target must be more than zero."), "target", "target_not_positive")
    if kind == ChallengeType.CUSTOM:
        if not clean["unit"]:
            raise _refuse(_("Say what is counted (km, minutes, push-ups...)."), "unit")
        most = MAX_CUSTOM_TARGET
    else:
        clean["unit"] = ""  # counted types name their own unit
        if target != target.to_integral_value():
            raise _refuse(_("Enter a whole number."), "target")
        per_day = MAX_CLASSES_PER_DAY if kind == ChallengeType.CLASSES else 1
        most = Decimal(days * per_day)
    if target > most:
        raise _refuse(
            _("That target cannot be reached in these dates (at most %(n)s).")
            % {"n": f"{most.normalize():f}"},
            "target",
            "target_implausible",
        )
    if target.as_tuple().exponent < -2:
        raise _refuse(_("At most two decimal places."), "target")
    clean["target"] = target
    return clean


def challenge_create(*, data: dict, by) -> Challenge:
    clean = _checked(data, creating=True)
    return Challenge.objects.create(**clean, created_by=by)


def _has_participants(challenge: Challenge) -> bool:
    return challenge.participants.filter(left_at__isnull=True).exists()


@transaction.atomic
def challenge_update(*, challenge: Challenge, data: dict, by) -> Challenge:
    challenge = Challenge.objects.select_for_update().get(pk=challenge.pk)
    if challenge.archived_at:
        raise ApplicationError(_("This challenge is archived."), code="archived", status_code=409)
    merged = {name: data.get(name, getattr(challenge, name)) for name in FIELDS}
    clean = _checked(merged, creating=False)
    today = gym_today()
    if challenge.starts_on <= today and _has_participants(challenge):
        changed = [f for f in LOCKED_FIELDS if clean[f] != getattr(challenge, f)]
        if changed:
            raise ApplicationError(
                _(
                    "Members have joined and the challenge has started: its type, target, "
                    "unit and start can no longer change."
                ),
                code="challenge_locked",
                details={f: [_("Fixed since members joined.")] for f in changed},
                status_code=409,
            )
    if clean["ends_on"] != challenge.ends_on:
        if challenge.ends_on < today:
            raise _refuse(_("This challenge is over: its end stays."), "ends_on", "ended")
        if clean["ends_on"] < today:
            raise _refuse(_("The end cannot be before today."), "ends_on", "in_the_past")
    recount = (clean["starts_on"], clean["ends_on"], clean["target"]) != (
        challenge.starts_on,
        challenge.ends_on,
        challenge.target,
    )
    for name, value in clean.items():
        setattr(challenge, name, value)
    challenge.save()
    if recount:
        for participant in challenge.participants.filter(left_at__isnull=True):
            _recount(participant.pk)
    return challenge


def challenge_archive(*, challenge: Challenge, by) -> Challenge:
    """Hidden from members from now on (a page or a join answers 404); progress stops.
    Archiving twice changes nothing."""
    Challenge.objects.filter(pk=challenge.pk, archived_at__isnull=True).update(
        archived_at=timezone.now()
    )
    challenge.refresh_from_db()
    return challenge


# --- Members ---------------------------------------------------------------------------


def _visible(challenge_id: int) -> Challenge:
    """A challenge members may see (not archived), locked, or the same 404 as a missing id
    (another gym's ids do not exist in this schema)."""
    challenge = (
        Challenge.objects.select_for_update()
        .filter(pk=challenge_id, archived_at__isnull=True)
        .first()
    )
    if challenge is None:
        raise ApplicationError(_("No such challenge."), code="not_found", status_code=404)
    return challenge


def challenge_join(
    *, challenge: Challenge, member, on_leaderboard: bool = False
) -> tuple[ChallengeParticipant, bool]:
    """(participation, created): joining a challenge already joined changes nothing and
    answers the same row (also when two requests race: the unique row decides)."""
    with transaction.atomic():
        challenge = _visible(challenge.pk)
        if challenge.ends_on < gym_today():
            raise ApplicationError(
                _("This challenge is over."), code="challenge_ended", status_code=409
            )
        if member.status not in BOOKABLE_MEMBER_STATUSES:
            raise ApplicationError(
                _("Your membership is not active, so you cannot join."),
                code="membership_inactive",
                status_code=409,
            )
        existing = ChallengeParticipant.objects.filter(challenge=challenge, member=member).first()
        if existing is not None:
            if existing.left_at is None:
                return existing, False
            existing.left_at = None
            existing.joined_at = timezone.now()
            existing.on_leaderboard = bool(on_leaderboard)
            existing.save(update_fields=["left_at", "joined_at", "on_leaderboard"])
            _recount(existing.pk)
            existing.refresh_from_db()
            return existing, True
        try:
            with transaction.atomic():
                participant = ChallengeParticipant.objects.create(
                    challenge=challenge, member=member, on_leaderboard=bool(on_leaderboard)
                )
        except IntegrityError:
            # A concurrent join of the same member won (the challenge lock serialises
            # joins, so this is a safety net, not the usual path).
            return ChallengeParticipant.objects.get(challenge=challenge, member=member), False
        _recount(participant.pk)
        participant.refresh_from_db()
        return participant, True


def _own_participation(challenge: Challenge, member, *, lock: bool = True) -> ChallengeParticipant:
    rows = ChallengeParticipant.objects.filter(
        challenge_id=challenge.pk,
        member=member,
        left_at__isnull=True,
        challenge__archived_at__isnull=True,
    )
    participant = (rows.select_for_update(of=("self",)) if lock else rows).first()
    if participant is None:
        raise ApplicationError(
            _("You have not joined this challenge."), code="not_joined", status_code=404
        )
    return participant


@transaction.atomic
def challenge_leave(*, challenge: Challenge, member) -> ChallengeParticipant:
    """Leaving takes the member off the leaderboard at once. Leaving twice answers the
    same (already left) row; a challenge never joined is 404 `not_joined`."""
    challenge = _visible(challenge.pk)
    participant = ChallengeParticipant.objects.filter(challenge=challenge, member=member).first()
    if participant is None:
        raise ApplicationError(
            _("You have not joined this challenge."), code="not_joined", status_code=404
        )
    if participant.left_at is None:
        participant.left_at = timezone.now()
        participant.on_leaderboard = False
        participant.save(update_fields=["left_at", "on_leaderboard"])
    return participant


@transaction.atomic
def challenge_leaderboard_set(*, challenge: Challenge, member, on_leaderboard: bool):
    """Show or hide the member (display name only) on this challenge's leaderboard."""
    participant = _own_participation(challenge, member)
    if participant.on_leaderboard != bool(on_leaderboard):
        participant.on_leaderboard = bool(on_leaderboard)
        participant.save(update_fields=["on_leaderboard"])
    return participant


def challenge_entry_add(
    *, challenge: Challenge, member, value, on: date | None = None
) -> ChallengeEntry:
    """A custom-total challenge's number (42 km, 300 push-ups) for a day of the challenge
    up to today; it adds to the member's total at once."""
    with transaction.atomic():
        participant = _own_participation(challenge, member)
        challenge = participant.challenge
        if challenge.type != ChallengeType.CUSTOM:
            raise ApplicationError(
                _("This challenge counts itself: there is nothing to enter."),
                code="not_custom",
                status_code=409,
            )
        amount = _decimal(value, "value")
        if amount <= 0:
            raise _refuse(_("Enter more than zero."), "value", "value_not_positive")
        if amount > challenge.target or amount.as_tuple().exponent < -2:
            raise _refuse(
                _("Enter at most %(n)s, with at most two decimal places.")
                % {"n": f"{challenge.target.normalize():f}"},
                "value",
                "value_implausible",
            )
        today = gym_today()
        day = on or today
        if day > today:
            raise _refuse(_("That day has not come yet."), "on", "future_date")
        if not challenge.starts_on <= day <= challenge.ends_on:
            raise _refuse(_("That day is not within the challenge."), "on", "outside_dates")
        entry = ChallengeEntry.objects.create(participant=participant, value=amount, on=day)
        _recount(participant.pk)
        return entry


# --- Progress --------------------------------------------------------------------------


def _count(participant: ChallengeParticipant) -> tuple[Decimal, datetime | None]:
    """(progress, when the member reached it) from the challenge's source."""
    challenge, member_id = participant.challenge, participant.member_id
    start, end = _bounds(challenge)
    if challenge.type == ChallengeType.VISITS:
        zone = gym_zone(connection.tenant)
        days = list(
            Visit.objects.filter(member_id=member_id, entered_at__gte=start, entered_at__lt=end)
            .annotate(day=TruncDate("entered_at", tzinfo=zone))
            .values("day")
            .annotate(first=Min("entered_at"))
            .order_by("day")
            .values_list("first", flat=True)
        )
        return Decimal(len(days)), (max(days) if days else None)
    if challenge.type == ChallengeType.CLASSES:
        row = Booking.objects.filter(
            member_id=member_id,
            status=BookingStatus.ATTENDED,
            session__starts_at__gte=start,
            session__starts_at__lt=end,
        ).aggregate(n=Count("id"), last=Max("session__starts_at"))
        return Decimal(row["n"]), row["last"]
    if challenge.type == ChallengeType.CHECKINS:
        row = CheckIn.objects.filter(
            member_id=member_id,
            status=CheckInStatus.WENT,
            on__gte=challenge.starts_on,
            on__lte=challenge.ends_on,
        ).aggregate(n=Count("id"), last=Max("created_at"))
        return Decimal(row["n"]), row["last"]
    row = participant.entries.filter(
        on__gte=challenge.starts_on, on__lte=challenge.ends_on
    ).aggregate(total=Sum("value"), last=Max("created_at"))
    return row["total"] or Decimal(0), row["last"]


def _recount(participant_id: int) -> ChallengeParticipant:
    """Recount one participation under its row lock; fire the completion once."""
    with transaction.atomic():
        participant = (
            ChallengeParticipant.objects.select_for_update(of=("self",))
            .select_related("challenge", "member")
            .get(pk=participant_id)
        )
        progress, reached_at = _count(participant)
        fields = []
        if progress != participant.progress or reached_at != participant.progress_at:
            participant.progress, participant.progress_at = progress, reached_at
            fields += ["progress", "progress_at"]
        finished = participant.completed_at is None and progress >= participant.challenge.target
        if finished:
            participant.completed_at = timezone.now()
            fields.append("completed_at")
        if fields:
            participant.save(update_fields=fields)
        if finished:
            _completed(participant)
    return participant


def _completed(participant: ChallengeParticipant) -> None:
    challenge, member = participant.challenge, participant.member
    gym = connection.tenant
    with translation.override(member.language or getattr(gym, "default_language", None)):
        title = _("Finished the challenge: %(title)s") % {"title": challenge.title}
    Badge.objects.get_or_create(
        member=member,
        key=BADGE_KEY,
        ref=f"challenge:{challenge.pk}",
        defaults={"title": title[:160], "awarded_at": participant.completed_at},
    )
    notify(
        member,
        "challenge_completed",
        {
            "challenge": challenge,
            "title": challenge.title,
            "prize": challenge.prize,
            "url": reverse("member-challenge", kwargs={"pk": challenge.pk}),
            "data": {"challenge": challenge.pk},
        },
        dedupe_key=f"challenge-completed:{challenge.pk}",
    )


def _live(member, types, day: date | None):
    """The member's participations whose progress can still move: joined, not archived,
    and (with `day`) a challenge that contains that day, else one running or ended
    yesterday (a check-in for yesterday may still be answered)."""
    rows = ChallengeParticipant.objects.filter(
        member=member,
        left_at__isnull=True,
        challenge__archived_at__isnull=True,
        challenge__type__in=types,
    )
    if day is not None:
        return rows.filter(challenge__starts_on__lte=day, challenge__ends_on__gte=day)
    today = gym_today()
    return rows.filter(
        challenge__starts_on__lte=today, challenge__ends_on__gte=today - timedelta(days=1)
    )


def challenges_refresh_for_member(*, member, on: date | None = None) -> int:
    """Recount the member's counted challenges (visits, classes, check-ins) that contain
    `on` (default: running, or ended yesterday). The check-ins service calls it after it
    writes a check-in. Returns how many were recounted."""
    ids = list(_live(member, COUNTED_TYPES, on).values_list("pk", flat=True))
    for participant_id in ids:
        _recount(participant_id)
    return len(ids)


_KIND_TYPES = {activity.VISIT: ChallengeType.VISITS, activity.CLASS: ChallengeType.CLASSES}


def challenges_from_activity(*, member, kind: str, at: datetime) -> None:
    """The activity listener: a door visit or an attended class moves the member's
    challenges of that type whose dates contain the day it happened (gym time)."""
    challenge_type = _KIND_TYPES.get(kind)
    if challenge_type is None:
        return
    day = at.astimezone(gym_zone(connection.tenant)).date()
    for participant_id in _live(member, [challenge_type], day).values_list("pk", flat=True):
        _recount(participant_id)
