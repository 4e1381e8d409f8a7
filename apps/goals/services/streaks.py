"""Day streaks, kept incrementally (see docs/goals.md, "Check-ins and streaks").

A day is **final** once it can no longer be answered: yesterday after noon (member-local),
any day before. The `Streak` row holds the state settled up to `last_day` (a final day);
the days after it (today, and yesterday until noon: at most two check-ins) are folded in
on read without being stored, because their answers can still change. So neither a
write nor a read ever walks years of history: a write settles the final days since
`last_day` (normally none or one), a read folds at most a couple of rows.

A day's outcome: `went` counts (+1, the streak grows); `rest`, or a planned rest weekday
left unanswered, is neutral (neither counts nor breaks); `missed`, or a final day left
unanswered, breaks the streak unless a freeze covers it. Habit strength is Loop Habit
Tracker's exponential smoothing for a daily habit: `score = score * M + done * (1 - M)`
with `M = 0.5 ** (sqrt(1) / 13)`, skipping neutral days; a frozen day still counts 0 for
it (the score is the honest habit, the streak is the game)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from apps.attendance.hours import gym_tz
from apps.goals.dates import local_now
from apps.goals.models import CheckIn, CheckInSource, CheckInStatus, GoalSettings, Streak
from apps.notifications.services.hub import notify

M = 0.5 ** (math.sqrt(1) / 13)
FREEZE_EVERY = 7  # one freeze earned per 7 days of streak
MAX_FREEZES = 2
# Yesterday can be answered until this local time.
YESTERDAY_UNTIL = time(12, 0)


@dataclass
class StreakState:
    current: int = 0
    longest: int = 0
    habit: float = 0.0
    freezes: int = 0
    broken_on: date | None = None
    broken_length: int = 0
    frozen_days: list[date] = field(default_factory=list)


def final_day(member, now: datetime | None = None) -> date:
    """The last day that can no longer be answered."""
    local = local_now(member, now)
    days_back = 1 if local.time() >= YESTERDAY_UNTIL else 2
    return local.date() - timedelta(days=days_back)


def answerable_days(member, now: datetime | None = None) -> list[date]:
    """The days a member may answer now: today, and yesterday until noon."""
    local = local_now(member, now)
    days = [local.date()]
    if local.time() < YESTERDAY_UNTIL:
        days.append(local.date() - timedelta(days=1))
    return days


def _rest_weekdays(member) -> set[int]:
    settings = GoalSettings.objects.filter(member=member).only("rest_weekdays").first()
    return set(settings.rest_weekdays) if settings else set()


def fold(
    state: StreakState, *, start: date, end: date, answers: dict, rest: set[int], final_to: date
) -> StreakState:
    """The state after the days start..end (inclusive). `answers` maps a day to its
    check-in status; days up to `final_to` are final."""
    state = replace(state, frozen_days=list(state.frozen_days))
    day = start
    while day <= end:
        status = answers.get(day)
        final = day <= final_to
        if status == CheckInStatus.WENT:
            state.current += 1
            state.longest = max(state.longest, state.current)
            state.habit = state.habit * M + (1 - M)
            if final and state.current % FREEZE_EVERY == 0:
                state.freezes = min(MAX_FREEZES, state.freezes + 1)
        elif status == CheckInStatus.REST or (status is None and day.isoweekday() in rest):
            pass  # neutral
        elif status == CheckInStatus.MISSED or final:
            state.habit *= M
            if state.current and state.freezes:
                if final:
                    state.freezes -= 1
                    state.frozen_days.append(day)
                # Not final yet: a freeze will cover it, so the streak shows unbroken.
            elif final:
                if state.current:
                    state.broken_on, state.broken_length = day, state.current
                state.current = 0
            else:
                state.current = 0  # answered missed today, no freeze: it is broken
        day += timedelta(days=1)
    return state


def _state(row: Streak) -> StreakState:
    return StreakState(
        current=row.current,
        longest=row.longest,
        habit=row.habit_score,
        freezes=row.freezes,
        broken_on=row.broken_on,
        broken_length=row.broken_length,
    )


def _answers(member, after: date, upto: date) -> dict:
    return dict(
        CheckIn.objects.filter(member=member, on__gt=after, on__lte=upto).values_list(
            "on", "status"
        )
    )


def streak_lock(*, member, now: datetime | None = None) -> Streak:
    """The member's streak row, locked (created on first use, counting from now on: days
    before the first check-in are not a broken streak)."""
    row, _created = Streak.objects.get_or_create(
        member=member, defaults={"last_day": final_day(member, now)}
    )
    return Streak.objects.select_for_update().get(pk=row.pk)


def streak_settle(*, member, now: datetime | None = None, row: Streak | None = None) -> Streak:
    """Fold the final days since `last_day` into the row (in the caller's transaction,
    or its own). A day a freeze covered gets a `missed` check-in from `freeze` if it had
    none, and the member is told once."""
    with transaction.atomic():
        row = row or streak_lock(member=member, now=now)
        upto = final_day(member, now)
        if row.last_day is not None and row.last_day >= upto:
            return row
        start = (row.last_day or upto) + timedelta(days=1)
        answers = _answers(member, start - timedelta(days=1), upto)
        state = fold(
            _state(row),
            start=start,
            end=upto,
            answers=answers,
            rest=_rest_weekdays(member),
            final_to=upto,
        )
        row.current, row.longest, row.habit_score = state.current, state.longest, state.habit
        row.freezes, row.broken_on, row.broken_length = (
            state.freezes,
            state.broken_on,
            state.broken_length,
        )
        row.last_day = upto
        row.save()
        for day in state.frozen_days:
            if day not in answers:
                CheckIn.objects.get_or_create(
                    member=member,
                    on=day,
                    defaults={"status": CheckInStatus.MISSED, "source": CheckInSource.FREEZE},
                )
            notify(
                member,
                "streak_freeze_used",
                {"day": day.isoformat(), "streak": row.current, "freezes": row.freezes},
                dedupe_key=f"streak-freeze:{member.pk}:{day.isoformat()}",
            )
    return row


@dataclass(frozen=True)
class StreakView:
    current: int
    longest: int
    habit_strength: int  # 0-100
    freezes: int
    broken_on: date | None


def streak_read(*, member, now: datetime | None = None) -> StreakView:
    """What the member sees now: the settled row plus the days after it (two queries,
    whatever the length of the history)."""
    row = Streak.objects.filter(member=member).first()
    if row is None:
        return StreakView(0, 0, 0, 0, None)
    today = local_now(member, now).date()
    upto = final_day(member, now)
    answers = _answers(member, row.last_day, today) if row.last_day else {}
    start = (row.last_day or today) + timedelta(days=1)
    state = fold(
        _state(row),
        start=start,
        end=today,
        answers=answers,
        rest=_rest_weekdays(member),
        final_to=upto,
    )
    # Today unanswered is not yet a miss: `fold` leaves it neutral unless it is final.
    return StreakView(
        current=state.current,
        longest=state.longest,
        habit_strength=round(state.habit * 100),
        freezes=state.freezes,
        broken_on=state.broken_on,
    )


def streaks_settle_all(*, now: datetime | None = None) -> int:
    """Hourly per gym: settle every streak whose final days moved on (a member who did
    not answer is settled too: a missed day breaks or uses a freeze, and they are told)."""
    now = now or timezone.now()
    # The gym's today, a day wide: members in other zones are checked one by one below.
    candidates = Streak.objects.filter(last_day__lt=now.astimezone(gym_tz()).date()).select_related(
        "member"
    )
    count = 0
    for row in candidates.iterator(chunk_size=500):
        if row.last_day < final_day(row.member, now):
            streak_settle(member=row.member, now=now)
            count += 1
    return count
