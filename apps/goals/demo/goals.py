"""Demo goals: a few members with a goal in each status, one of them behind pace, body
weights over 8 weeks and entries. Goals begun weeks ago are history (rows written
directly, in bulk, dated in the past); their progress, status, streak and milestones then
come from the refresh service, as they would now. Idempotent: goals are found by member
and title, weights and entries are written once per day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from apps.goals.models import BodyWeight, Goal, GoalEntry, GoalType, Period
from apps.goals.services.goals import goal_refresh

WEEKS = 8


def _goal(member, title: str, **fields) -> tuple[Goal, bool]:
    goal = Goal.objects.filter(member=member, title=title).first()
    if goal is not None:
        return goal, False
    return Goal.objects.create(member=member, title=title, **fields), True


def _entries(goal: Goal, values_by_day: dict[date, str]) -> None:
    known = set(goal.entries.values_list("on", flat=True))
    GoalEntry.objects.bulk_create(
        GoalEntry(goal=goal, value=Decimal(v), unit=goal.unit, on=on)
        for on, v in values_by_day.items()
        if on not in known
    )


def seed(*, members, today: date) -> dict:
    members = list(members)[:6]
    if len(members) < 6:
        return {"goals": 0}
    start = today - timedelta(weeks=WEEKS)
    loser, lifter, reader, runner, late, regular = members

    # Body weights over 8 weeks, 88 -> 84.5 kg (one a week), and a goal of 80 kg by four
    # weeks from now: half way with two thirds of the time gone, so behind pace.
    known = set(BodyWeight.objects.filter(member=loser).values_list("on", flat=True))
    BodyWeight.objects.bulk_create(
        BodyWeight(
            member=loser, on=start + timedelta(weeks=w), weight_kg=Decimal(88) - Decimal(w) / 2
        )
        for w in range(WEEKS + 1)
        if start + timedelta(weeks=w) not in known
    )
    made = [
        _goal(
            loser,
            "Down to 80 kg",
            type=GoalType.BODY_WEIGHT,
            target=Decimal(80),
            unit="kg",
            start_value=Decimal(88),
            start_date=start,
            deadline=today + timedelta(weeks=4),
        ),
        _goal(
            regular,
            "Three visits a week",
            type=GoalType.VISITS,
            period=Period.WEEK,
            target=Decimal(3),
            unit="visits",
            start_date=start,
        ),
    ]
    squat, _new = _goal(
        lifter,
        "Squat 100 kg",
        type=GoalType.STRENGTH,
        exercise="Back squat",
        target=Decimal(100),
        unit="kg",
        start_date=start,
    )
    _entries(squat, {start + timedelta(weeks=w): str(70 + 3 * w) for w in range(WEEKS + 1)})
    books, _new = _goal(
        reader,
        "Read 12 books",
        type=GoalType.CUSTOM,
        target=Decimal(12),
        unit="books",
        start_date=start,
    )
    _entries(books, {start + timedelta(weeks=w): str(min(12, 2 + w * 2)) for w in range(6)})
    run, _new = _goal(
        runner,
        "Run 120 minutes a week",
        type=GoalType.ENDURANCE,
        period=Period.WEEK,
        target=Decimal(120),
        unit="min",
        start_date=today,
    )
    spring, _new = _goal(
        late,
        "Row 50 km in a month",
        type=GoalType.CUSTOM,
        target=Decimal(50),
        unit="km",
        start_date=start,
        deadline=today - timedelta(days=7),
    )
    _entries(spring, {start + timedelta(days=d): str(5 * (d // 7 + 1)) for d in (3, 10, 17)})
    goals = [goal for goal, _new in made] + [squat, books, run, spring]
    for goal in goals:
        goal_refresh(goal=goal, today=today)
    return {"goals": len(goals)}
