"""Daily check-ins: "Did you go today?", answered by the member or by the door and the
class roster (see docs/goals.md, "Check-ins and streaks").

One row per member and member-local day (a unique constraint; writes take the member's
streak row lock first, so two parallel answers are one row and one history entry).
Only today and yesterday until noon can be answered. A changed answer keeps the old one
in `CheckInChange`. A `went` recorded by the door or a class stays `went` (the member can
still add a reflection, mood and energy)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.common.errors import ApplicationError
from apps.goals.activity import CLASS, VISIT
from apps.goals.dates import local_day, local_today
from apps.goals.models import CheckIn, CheckInChange, CheckInSource, CheckInStatus
from apps.goals.services.challenges import challenges_refresh_for_member
from apps.goals.services.inputs import refuse
from apps.goals.services.motivation import motivation_queue_for_checkin
from apps.goals.services.streaks import answerable_days, streak_lock, streak_settle

MAX_REFLECTION = 500
AUTOMATIC = (CheckInSource.DOOR, CheckInSource.CLASS)
# A door entry replayed by an offline kiosk can be older than yesterday: it is still true.
AUTOMATIC_MAX_AGE = timedelta(days=7)


def _checked(status, reflection, mood, energy) -> tuple[str, str, int | None, int | None]:
    if status not in CheckInStatus.values:
        raise refuse(_("Answer went, rest or missed."), "status", code="invalid_status")
    if not isinstance(reflection, str):
        raise refuse(_("The reflection must be text."), "reflection", code="invalid_reflection")
    reflection = reflection.strip()
    if "\x00" in reflection:
        raise refuse(
            _("The reflection contains a character that is not allowed."),
            "reflection",
            code="invalid_reflection",
        )
    if len(reflection) > MAX_REFLECTION:
        raise refuse(
            _("Keep the reflection to %(n)s characters.") % {"n": MAX_REFLECTION},
            "reflection",
            code="invalid_reflection",
        )
    for name, value in (("mood", mood), ("energy", energy)):
        if value is not None and (isinstance(value, bool) or value not in range(1, 6)):
            raise refuse(_("Choose 1 to 5."), name, code=f"invalid_{name}")
    return status, reflection, mood, energy


def _day_checked(member, on: date | None, now: datetime) -> date:
    today = local_today(member, now)
    on = on or today
    if on > today:
        raise refuse(
            _("You cannot answer for a day that has not come yet."), "on", code="future_day"
        )
    if on not in answerable_days(member, now):
        message = (
            _("Yesterday can be answered until noon.")
            if on == today - timedelta(days=1)
            else _("Only today and yesterday (until noon) can be answered.")
        )
        raise refuse(message, "on", code="day_closed")
    return on


def _history(checkin: CheckIn) -> None:
    CheckInChange.objects.create(
        checkin=checkin,
        status=checkin.status,
        source=checkin.source,
        reflection=checkin.reflection,
        mood=checkin.mood,
        energy=checkin.energy,
    )


def _after_write(member, checkin: CheckIn, created: bool, row, now) -> None:
    streak_settle(member=member, now=now, row=row)
    challenges_refresh_for_member(member=member, on=checkin.on)
    if created:
        motivation_queue_for_checkin(checkin=checkin)


def checkin_answer(
    *,
    member,
    status: str,
    on: date | None = None,
    reflection: str = "",
    mood: int | None = None,
    energy: int | None = None,
    now: datetime | None = None,
) -> tuple[CheckIn, bool]:
    """The member's answer for today (or yesterday until noon): (check-in, created).
    Answering again changes it (the old answer goes to the history); the same answer
    again changes nothing."""
    now = now or timezone.now()
    status, reflection, mood, energy = _checked(status, reflection, mood, energy)
    on = _day_checked(member, on, now)
    with transaction.atomic():
        row = streak_lock(member=member, now=now)
        checkin = CheckIn.objects.select_for_update().filter(member=member, on=on).first()
        values = {"status": status, "reflection": reflection, "mood": mood, "energy": energy}
        if checkin is None:
            checkin = CheckIn.objects.create(
                member=member,
                on=on,
                source=CheckInSource.MEMBER,
                created_at=now,
                updated_at=now,
                **values,
            )
            _after_write(member, checkin, True, row, now)
            return checkin, True
        if all(getattr(checkin, k) == v for k, v in values.items()):
            return checkin, False
        if checkin.source in AUTOMATIC and status != CheckInStatus.WENT:
            raise ApplicationError(
                _("The door or the class already recorded that you went that day."),
                code="went_recorded",
                status_code=409,
            )
        _history(checkin)
        if checkin.status != status:
            checkin.source = CheckInSource.MEMBER
        for key, value in values.items():
            setattr(checkin, key, value)
        checkin.updated_at = now
        checkin.save()
        _after_write(member, checkin, False, row, now)
        return checkin, False


def checkin_from_activity(*, member, kind: str, at: datetime) -> CheckIn | None:
    """The activity listener: a door entry or an attended class is a `went` for its
    member-local day (created, or the member's other answer changed, with history).
    Idempotent: a second entry that day changes nothing."""
    source = {VISIT: CheckInSource.DOOR, CLASS: CheckInSource.CLASS}.get(kind)
    now = timezone.now()
    if source is None or at < now - AUTOMATIC_MAX_AGE or at > now + timedelta(minutes=5):
        return None
    on = local_day(member, at)
    with transaction.atomic():
        row = streak_lock(member=member, now=now)
        checkin = CheckIn.objects.select_for_update().filter(member=member, on=on).first()
        if checkin is not None and checkin.status == CheckInStatus.WENT:
            return checkin
        created = checkin is None
        if created:
            checkin = CheckIn.objects.create(
                member=member, on=on, status=CheckInStatus.WENT, source=source
            )
        else:
            _history(checkin)
            checkin.status, checkin.source, checkin.updated_at = CheckInStatus.WENT, source, now
            checkin.save(update_fields=["status", "source", "updated_at"])
        _after_write(member, checkin, created, row, now)
        return checkin
