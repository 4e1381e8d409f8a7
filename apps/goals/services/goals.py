"""Goals: members set them, progress counts itself (or from their entries).

Rules (docs/goals.md, "Goals", says why):
- A goal is the member's own: members create, change and archive their goals; staff see
  them (member page) but never edit them. Another member's goal id is a 404.
- Tier limit: `entitlements(...).active_goals` goals not archived and not over (None:
  unlimited), checked under the member's row lock so parallel creates cannot pass it.
- Targets are > 0, at most two decimals, and plausible: visits at most 7 a week / 31 a
  month (a day counts once), classes 14 / 62, a body weight 20-400 kg, a lift at most
  600 kg, volume 200,000 kg a week (x5 a month), endurance 3,000 min or 1,500 km a week
  (x5 a month), a custom number at most 1,000,000. The unit must be one the type allows
  (units.py). Deadline not before the start nor in the past; start within a year back.
- Status from progress: 0 % not_started, < 25 just_started, < 75 on_track, < 100
  almost_there, >= 100 completed; failed when the deadline passed before 100 %. A
  one-off goal that reached 100 % stays completed (like a challenge, a later lower value
  does not take it back); a period goal's status is its current week's/month's.
- Milestones 25/50/75/100 % fire once per goal (the `Milestone` row is the "once"): a
  badge `goal_milestone` (`goal:<id>:<pct>`) and the notification `goal_milestone`
  (dedupe `goal-milestone:<id>:<pct>`).
- Week streaks (period goals): consecutive periods that met the requirement. A period's
  requirement for visits and classes is min(target, the period's days the member did not
  plan as rest, counted from the goal's start): planning Sat/Sun as rest makes a
  "6 a week" goal need 5, so resting as planned never costs the streak. A period counts
  as met as soon as it is met, as failed once it is over unmet (streak back to 0).
- Everything is recomputed from the sources (progress.py) under the goal's row lock:
  idempotent, so a replayed task or a double refresh changes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.billing.entitlements import entitlements
from apps.common.errors import ApplicationError
from apps.goals import activity, progress, units
from apps.goals.dates import local_today
from apps.goals.models import (
    Badge,
    BodyWeight,
    EntrySource,
    Goal,
    GoalEntry,
    GoalSettings,
    GoalStatus,
    GoalType,
    Milestone,
    Period,
)
from apps.goals.services.inputs import refuse as _refuse
from apps.goals.services.inputs import text as _text
from apps.members.models import Member
from apps.notifications.services import notify

MILESTONES = (25, 50, 75, 100)
BADGE_KEY = "goal_milestone"
MAX_CUSTOM = Decimal("1000000")
BODY_WEIGHT_KG = (Decimal(20), Decimal(400))  # at least 20, below 400
MAX_STRENGTH_KG = Decimal(600)
# Most per week (a month allows MONTH_FACTOR times as much, visits/classes their own).
MAX_PER_WEEK = {
    GoalType.VISITS: Decimal(7),
    GoalType.CLASSES: Decimal(14),
    GoalType.VOLUME: Decimal(200000),
}
MAX_PER_MONTH = {GoalType.VISITS: Decimal(31), GoalType.CLASSES: Decimal(62)}
MAX_ENDURANCE_WEEK = {units.MIN: Decimal(3000), units.KM: Decimal(1500)}
MONTH_FACTOR = 5
WHOLE_TYPES = (GoalType.VISITS, GoalType.CLASSES)
FIELDS = ("title", "type", "period", "target", "unit", "start_value", "exercise")
EDITABLE = ("title", "target", "unit", "start_value", "exercise", "deadline", "period")


def _decimal(value, field: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise _refuse(_("Enter a number."), field) from None
    if not number.is_finite():
        raise _refuse(_("Enter a number."), field)
    if number.as_tuple().exponent < -2:
        raise _refuse(_("At most two decimal places."), field)
    return number


def _settings(member) -> GoalSettings:
    """The member's settings, unsaved defaults when they never changed any."""
    return GoalSettings.objects.filter(member=member).first() or GoalSettings(member=member)


def _not_found() -> ApplicationError:
    return ApplicationError(_("No such goal."), code="not_found", status_code=404)


def _most(kind: str, period: str, unit: str) -> Decimal:
    """The largest plausible target (see the module's rules), in `unit`."""
    if kind == GoalType.BODY_WEIGHT:
        return units.from_kg(BODY_WEIGHT_KG[1], unit) if unit else BODY_WEIGHT_KG[1]
    if kind == GoalType.STRENGTH:
        return units.from_kg(MAX_STRENGTH_KG, unit)
    if kind == GoalType.CUSTOM:
        return MAX_CUSTOM
    if period == Period.MONTH and kind in MAX_PER_MONTH:
        return MAX_PER_MONTH[kind]
    if kind == GoalType.ENDURANCE:
        week = MAX_ENDURANCE_WEEK[unit]
    else:
        week = MAX_PER_WEEK[kind]
        if kind == GoalType.VOLUME:
            week = units.from_kg(week, unit)
    return week * MONTH_FACTOR if period == Period.MONTH else week


def _body_weight_in_range(value: Decimal, unit: str, field: str) -> None:
    kg = units.to_kg(value, unit)
    if not BODY_WEIGHT_KG[0] <= kg < BODY_WEIGHT_KG[1]:
        raise _refuse(
            _("Enter a body weight from 20 kg to under 400 kg."), field, "target_implausible"
        )


def _checked(
    data: dict, *, member, today: date, creating: bool, kept_deadline: date | None = None
) -> dict:
    """The fields cleaned and checked against each other (see the module's rules)."""
    kind = data.get("type")
    if kind not in GoalType.values:
        raise _refuse(_("Choose a type."), "type")
    clean = {
        "type": kind,
        "title": _text(data.get("title"), "title", 120, required=True),
        "exercise": _text(data.get("exercise"), "exercise", 80),
    }
    unit = _text(data.get("unit"), "unit", 16) or units.default_unit(
        kind, _settings(member).weight_unit
    )
    if not units.unit_allowed(kind, unit):
        allowed = units.allowed_units(kind)
        raise _refuse(
            _("This goal counts in %(units)s.") % {"units": " / ".join(allowed)}
            if allowed
            else _("Say what is counted (km, minutes, push-ups...)."),
            "unit",
            "unit_not_allowed",
        )
    clean["unit"] = unit
    period = data.get("period") or ""
    if kind in progress.PERIOD_TYPES:
        if period not in Period.values:
            raise _refuse(_("Choose per week or per month."), "period")
    elif period:
        raise _refuse(_("Only counted goals have a period."), "period")
    clean["period"] = period
    if kind == GoalType.STRENGTH and not clean["exercise"]:
        raise _refuse(_("Name the exercise (squat, bench press...)."), "exercise")
    if kind != GoalType.STRENGTH:
        clean["exercise"] = ""

    target = _decimal(data.get("target"), "target")
    if target <= 0:
        raise _refuse(_("The target must be more than zero."), "target", "target_not_positive")
    if kind in WHOLE_TYPES and target != target.to_integral_value():
        raise _refuse(_("Enter a whole number."), "target")
    if kind == GoalType.BODY_WEIGHT:
        _body_weight_in_range(target, unit, "target")
    most = _most(kind, period, unit)
    if target > most:
        raise _refuse(
            _("That target is not plausible (at most %(n)s).") % {"n": f"{most.normalize():f}"},
            "target",
            "target_implausible",
        )
    clean["target"] = target

    start_value = data.get("start_value")
    if start_value in (None, ""):
        start_value = None
        if kind == GoalType.BODY_WEIGHT:
            latest = BodyWeight.objects.filter(member=member).order_by("-on").first()
            if latest is None:
                raise _refuse(
                    _("Log your weight first, or enter your start weight."),
                    "start_value",
                    "start_value_required",
                )
            start_value = units.from_kg(latest.weight_kg, unit)
    else:
        start_value = _decimal(start_value, "start_value")
        if kind in progress.PERIOD_TYPES:
            start_value = None  # a period starts from zero each time
        elif kind == GoalType.BODY_WEIGHT:
            _body_weight_in_range(start_value, unit, "start_value")
        elif start_value < 0 or start_value >= target:
            raise _refuse(
                _("The start value must be below the target."),
                "start_value",
                "start_value_not_below_target",
            )
    if kind == GoalType.BODY_WEIGHT and start_value == target:
        raise _refuse(_("You are already at this weight."), "target", "already_there")
    clean["start_value"] = start_value

    start = data.get("start_date") or today
    deadline = data.get("deadline") or None
    if not isinstance(start, date) or (deadline is not None and not isinstance(deadline, date)):
        raise _refuse(_("Enter a valid date."), "start_date")
    if creating and not today - timedelta(days=366) <= start <= today + timedelta(days=366):
        raise _refuse(_("Start within a year from today."), "start_date", "start_implausible")
    if deadline is not None:
        if deadline < start:
            raise _refuse(
                _("The deadline cannot be before the start."), "deadline", "deadline_before_start"
            )
        # A deadline already passed may stay when other fields change (a failed goal's
        # title); a new one may not be in the past.
        if deadline < today and deadline != kept_deadline:
            raise _refuse(_("The deadline cannot be in the past."), "deadline", "in_the_past")
        if deadline > start + timedelta(days=5 * 366):
            raise _refuse(_("Set a deadline within five years."), "deadline", "too_far")
    clean["start_date"], clean["deadline"] = start, deadline
    return clean


def active_goal_count(member) -> int:
    """Goals that take a place under the tier limit: not archived, not failed, and not a
    finished one-off goal (a period goal carries on until archived)."""
    return (
        Goal.objects.filter(member=member, archived_at__isnull=True)
        .exclude(status=GoalStatus.FAILED)
        .exclude(Q(period="") & Q(completed_at__isnull=False))
        .count()
    )


def goal_create(*, member, data: dict) -> Goal:
    with transaction.atomic():
        # The member's row lock serialises their creates: two at once cannot both pass
        # the limit.
        member = Member.objects.select_for_update().get(pk=member.pk)
        clean = _checked(data, member=member, today=local_today(member), creating=True)
        limit = entitlements(member=member, gym=connection.tenant).active_goals
        if limit is not None and active_goal_count(member) >= limit:
            raise ApplicationError(
                _("Your plan allows %(n)s active goals. Archive one or upgrade to add another.")
                % {"n": limit},
                code="goal_limit_reached",
                status_code=403,
            )
        goal = Goal.objects.create(member=member, **clean)
        return goal_refresh(goal=goal)


def _own(goal_id: int, member, *, lock: bool = True) -> Goal:
    rows = Goal.objects.filter(pk=goal_id, member_id=member.pk)
    goal = (rows.select_for_update() if lock else rows).select_related("member").first()
    if goal is None:
        raise _not_found()
    return goal


def _archived() -> ApplicationError:
    return ApplicationError(_("This goal is archived."), code="archived", status_code=409)


@transaction.atomic
def goal_update(*, goal: Goal, member, data: dict) -> Goal:
    """Change title, target, unit, start value, exercise, deadline or period. The type is
    fixed (a visits goal does not become a weight goal: create another). Progress and
    status are recomputed; milestones already reached stay reached."""
    goal = _own(goal.pk, member)
    if goal.archived_at:
        raise _archived()
    if "type" in data and data["type"] != goal.type:
        raise _refuse(_("The type of a goal cannot change."), "type", "type_fixed")
    merged = {name: getattr(goal, name) for name in (*FIELDS, "start_date", "deadline")}
    merged.update({name: data[name] for name in EDITABLE if name in data})
    clean = _checked(
        merged,
        member=goal.member,
        today=local_today(goal.member),
        creating=False,
        kept_deadline=goal.deadline,
    )
    for name in EDITABLE:
        setattr(goal, name, clean[name])
    goal.save()
    return goal_refresh(goal=goal)


def goal_archive(*, goal: Goal, member) -> Goal:
    """Archived goals leave the lists and the limit; archiving twice changes nothing."""
    with transaction.atomic():
        goal = _own(goal.pk, member)
        if goal.archived_at is None:
            goal.archived_at = timezone.now()
            goal.save(update_fields=["archived_at", "updated_at"])
        return goal


def goal_entry_add(
    *, goal: Goal, member, value, unit: str = "", on: date | None = None, note: str = ""
) -> GoalEntry:
    """A manual value for a strength, volume, endurance or custom goal (a lift, a week's
    minutes, a number), for a day from the goal's start up to today (deadline at most)."""
    with transaction.atomic():
        goal = _own(goal.pk, member)
        if goal.archived_at:
            raise _archived()
        if goal.type not in progress.MANUAL_TYPES:
            raise ApplicationError(
                _("This goal counts itself: there is nothing to enter."),
                code="entry_not_allowed",
                status_code=409,
            )
        unit = _text(unit, "unit", 16) or goal.unit
        if not units.convertible(unit, goal.unit):
            raise _refuse(
                _("Enter this goal's values in %(unit)s.") % {"unit": goal.unit},
                "unit",
                "unit_mismatch",
            )
        amount = _decimal(value, "value")
        if amount <= 0:
            raise _refuse(_("Enter more than zero."), "value", "value_not_positive")
        most = _most(goal.type, goal.period or Period.WEEK, unit)
        if goal.type == GoalType.CUSTOM:
            most = MAX_CUSTOM
        if amount > most:
            raise _refuse(
                _("That value is not plausible (at most %(n)s).") % {"n": f"{most.normalize():f}"},
                "value",
                "value_implausible",
            )
        today = local_today(goal.member)
        day = on or today
        if day > today:
            raise _refuse(_("That day has not come yet."), "on", "future_date")
        if day < goal.start_date or (goal.deadline and day > goal.deadline):
            raise _refuse(_("That day is outside the goal's dates."), "on", "outside_dates")
        entry = GoalEntry.objects.create(
            goal=goal,
            value=amount,
            unit=unit,
            on=day,
            source=EntrySource.MANUAL,
            note=_text(note, "note", 200),
        )
        _refresh_locked(goal, today)
        return entry


def body_weight_record(*, member, weight, unit: str = "", on: date | None = None) -> BodyWeight:
    """The member's weight for a day (default today; not a future day nor over a year
    back). A second weight for the same day replaces the first. Body-weight goals move."""
    unit = unit or _settings(member).weight_unit
    if unit not in units.WEIGHT_UNITS:
        raise _refuse(_("Enter the weight in kg or lb."), "unit", "unit_not_allowed")
    amount = _decimal(weight, "weight")
    if amount <= 0:
        raise _refuse(_("Enter more than zero."), "weight", "value_not_positive")
    kg = units.to_kg(amount, unit)
    if not BODY_WEIGHT_KG[0] <= kg < BODY_WEIGHT_KG[1]:
        raise _refuse(
            _("Enter a body weight from 20 kg to under 400 kg."), "weight", "value_implausible"
        )
    today = local_today(member)
    day = on or today
    if day > today:
        raise _refuse(_("That day has not come yet."), "on", "future_date")
    if day < today - timedelta(days=366):
        raise _refuse(_("Enter a day within the last year."), "on", "too_old")
    with transaction.atomic():
        # The member's lock serialises two weighings of one day (one row, the last wins).
        Member.objects.select_for_update().filter(pk=member.pk).first()
        row, _created = BodyWeight.objects.update_or_create(
            member_id=member.pk, on=day, defaults={"weight_kg": kg, "source": EntrySource.MANUAL}
        )
        goals_refresh_for_member(member=member, types=[GoalType.BODY_WEIGHT])
        return row


# --- Progress ----------------------------------------------------------------------------


def status_for(percent: Decimal) -> str:
    if percent >= 100:
        return GoalStatus.COMPLETED
    if percent >= 75:
        return GoalStatus.ALMOST_THERE
    if percent >= 25:
        return GoalStatus.ON_TRACK
    if percent > 0:
        return GoalStatus.JUST_STARTED
    return GoalStatus.NOT_STARTED


def percent_of(goal: Goal, value: Decimal | None, target: Decimal | None = None) -> Decimal:
    """0-100 toward the target: from the start value when there is one (a body weight
    lost or gained, a lift from where the member was), else from zero."""
    target = goal.target if target is None else target
    if value is None or not target:
        return Decimal(0)
    start = goal.start_value if goal.type not in progress.PERIOD_TYPES else None
    if start is not None and start != target:
        ratio = (value - start) / (target - start)
    else:
        ratio = value / target
    return max(Decimal(0), min(Decimal(100), ratio * 100)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def requirement(goal: Goal, start: date, end: date, rest_weekdays) -> Decimal:
    """What period [start, end] must reach to count for the streak: the target, but for
    visits and classes no more than the days in it not planned as rest (from the goal's
    start: a goal begun on Thursday needs at most Thu-Sun of its first week)."""
    if goal.type not in WHOLE_TYPES:
        return goal.target
    first = max(start, goal.start_date)
    last = min(end, goal.deadline) if goal.deadline else end
    rest = set(rest_weekdays or [])
    days = sum(
        1
        for n in range((last - first).days + 1)
        if (first + timedelta(days=n)).isoweekday() not in rest
    )
    return min(goal.target, Decimal(max(days, 1)))


def _settle_periods(goal: Goal, today: date, rest_weekdays) -> None:
    """Count the periods since the last one counted: each over or already met adds to the
    streak (met) or ends it (over, unmet). Stops at the current period if unmet."""
    period_start = (
        progress.period_bounds(goal.period, goal.streak_period_start)[1] + timedelta(days=1)
        if goal.streak_period_start
        else progress.period_bounds(goal.period, goal.start_date)[0]
    )
    last_day = min(today, goal.deadline) if goal.deadline else today
    while period_start <= last_day:
        first, end = progress.period_bounds(goal.period, period_start)
        counted_from = max(first, goal.start_date)
        value = progress.measure(goal, counted_from, min(end, last_day)) or Decimal(0)
        met = value >= requirement(goal, first, end, rest_weekdays)
        over = end < today or (goal.deadline is not None and goal.deadline < today)
        if not met and not over:
            break
        goal.week_streak = goal.week_streak + 1 if met else 0
        goal.longest_week_streak = max(goal.longest_week_streak, goal.week_streak)
        goal.streak_period_start = first
        period_start = end + timedelta(days=1)


def _refresh_locked(goal: Goal, today: date) -> Goal:
    """Recompute `goal` (locked by the caller): current value, progress, status, streak;
    fire milestones reached for the first time."""
    settings_ = _settings(goal.member)
    over = goal.deadline is not None and goal.deadline < today
    last_day = goal.deadline if over else today
    if goal.type in progress.PERIOD_TYPES:
        first, end = progress.period_bounds(goal.period, last_day)
        value = progress.measure(goal, max(first, goal.start_date), last_day)
        goal_percent = percent_of(
            goal, value, requirement(goal, first, end, settings_.rest_weekdays)
        )
        _settle_periods(goal, today, settings_.rest_weekdays)
    else:
        value = progress.measure(goal, goal.start_date, last_day)
        if value is None and goal.type == GoalType.BODY_WEIGHT:
            value = goal.start_value
        goal_percent = percent_of(goal, value)
    goal.current_value = None if value is None else units.quantize(value)
    goal.progress = goal_percent
    status = status_for(goal_percent)
    if goal.completed_at and goal.type not in progress.PERIOD_TYPES:
        status = GoalStatus.COMPLETED
    elif over and status != GoalStatus.COMPLETED:
        status = GoalStatus.FAILED
    goal.status = status
    if status == GoalStatus.COMPLETED and goal.completed_at is None:
        goal.completed_at = timezone.now()
    goal.save()
    for pct in MILESTONES:
        if goal_percent >= pct:
            _milestone(goal, pct)
    return goal


def _milestone(goal: Goal, pct: int) -> None:
    """Fire `pct` once: the Milestone row is unique per goal and percent."""
    try:
        with transaction.atomic():
            _row, created = Milestone.objects.get_or_create(goal=goal, percent=pct)
    except IntegrityError:
        return  # a concurrent refresh fired it (the goal lock makes this a safety net)
    if not created:
        return
    member = goal.member
    gym = connection.tenant
    with translation.override(member.language or getattr(gym, "default_language", None)):
        title = _("%(pct)s %% of your goal: %(title)s") % {"pct": pct, "title": goal.title}
    Badge.objects.get_or_create(
        member=member,
        key=BADGE_KEY,
        ref=f"goal:{goal.pk}:{pct}",
        defaults={"title": title[:160]},
    )
    notify(
        member,
        "goal_milestone",
        {
            "goal": goal,
            "title": goal.title,
            "percent": pct,
            "url": reverse("member-goal", kwargs={"pk": goal.pk}),
            "data": {"goal": goal.pk, "percent": pct},
        },
        dedupe_key=f"goal-milestone:{goal.pk}:{pct}",
    )


def goal_refresh(*, goal: Goal, today: date | None = None) -> Goal:
    """Recompute one goal from its sources (idempotent). Archived goals do not move."""
    with transaction.atomic():
        goal = Goal.objects.select_for_update().select_related("member").get(pk=goal.pk)
        if goal.archived_at:
            return goal
        return _refresh_locked(goal, today or local_today(goal.member))


def goals_refresh_for_member(*, member, types=None) -> int:
    """Recompute the member's active goals (of `types`, default all). The workouts issue
    calls it after it logs sets; body weights and the activity listener call it here."""
    rows = Goal.objects.filter(member_id=member.pk, archived_at__isnull=True)
    if types is not None:
        rows = rows.filter(type__in=list(types))
    ids = list(rows.exclude(status=GoalStatus.FAILED).values_list("pk", flat=True))
    for goal_id in ids:
        goal_refresh(goal=Goal(pk=goal_id))
    return len(ids)


_KIND_TYPES = {activity.VISIT: GoalType.VISITS, activity.CLASS: GoalType.CLASSES}


def goals_from_activity(*, member, kind: str, at: datetime) -> None:
    """The activity listener: a door visit or an attended class moves the member's goals
    of that type."""
    goal_type = _KIND_TYPES.get(kind)
    if goal_type is not None:
        goals_refresh_for_member(member=member, types=[goal_type])


def goals_roll_periods() -> int:
    """Hourly per gym: settle periods that ended (a week met or missed) and fail goals
    whose deadline passed. Counts only goals that can still move: period goals and
    one-off goals with a deadline, not archived, not over. Returns how many."""
    ids = list(
        Goal.objects.filter(archived_at__isnull=True)
        .exclude(status=GoalStatus.FAILED)
        .filter(Q(period__gt="") | Q(deadline__isnull=False, completed_at__isnull=True))
        .values_list("pk", flat=True)
    )
    for goal_id in ids:
        goal_refresh(goal=Goal(pk=goal_id))
    return len(ids)
