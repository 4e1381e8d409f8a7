"""Reads for goals: a member's goals (by status), one goal with its entries, body
weights, pace, and the staff view of a member's goals.

Pace is computed on read, not stored: it moves with the calendar (a day passing with no
entry makes a member fall behind), which no write would record. It compares the stored
progress with the straight line from start to deadline (period goals: from the start to
the end of the current week/month); within PACE_TOLERANCE percentage points of the line
is "on pace". Goals without a deadline, completed or failed ones have no pace."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from apps.goals.dates import local_today
from apps.goals.models import BodyWeight, Goal, GoalEntry, GoalStatus, Pace
from apps.goals.progress import MANUAL_TYPES, PERIOD_TYPES, period_bounds

PACE_TOLERANCE = Decimal(10)  # percentage points either side of the line
FINISHED = (GoalStatus.COMPLETED, GoalStatus.FAILED)


def goal_expected_percent(goal: Goal, today: date) -> Decimal | None:
    """Where the straight line from start to deadline is today (0-100), None without one."""
    if goal.type in PERIOD_TYPES:
        first, end = period_bounds(goal.period, today)
        first = max(first, goal.start_date)
        if goal.deadline:
            end = min(end, goal.deadline)
    elif goal.deadline:
        first, end = goal.start_date, goal.deadline
    else:
        return None
    span = (end - first).days + 1
    done = min(max((today - first).days + 1, 0), span)
    return Decimal(done * 100) / Decimal(span)


def goal_pace(goal: Goal, today: date | None = None) -> str:
    """ahead / on_pace / behind, or "" when the goal has no line to compare with."""
    if goal.archived_at or goal.status in FINISHED:
        return ""
    expected = goal_expected_percent(goal, today or local_today(goal.member))
    if expected is None:
        return ""
    if goal.progress > expected + PACE_TOLERANCE:
        return Pace.AHEAD
    if goal.progress < expected - PACE_TOLERANCE:
        return Pace.BEHIND
    return Pace.ON_PACE


def goal_pace_label(pace: str) -> str:
    return str(Pace(pace).label) if pace else ""


def goal_allows_entries(goal: Goal) -> bool:
    return goal.type in MANUAL_TYPES and goal.archived_at is None


def _decorate(goals, member) -> list[Goal]:
    today = local_today(member)
    rows = list(goals)
    for goal in rows:
        goal.member = member
        goal.pace = goal_pace(goal, today)
        goal.pace_label = goal_pace_label(goal.pace)
        goal.allows_entries = goal_allows_entries(goal)
    return rows


def goal_list_for_member(*, member, status: str | None = None, archived: bool = False):
    """The member's goals, newest first, each with `pace`; `status` one of GoalStatus
    (an unknown one lists nothing); archived goals only when asked."""
    rows = Goal.objects.filter(member_id=member.pk, archived_at__isnull=not archived)
    if status:
        rows = rows.filter(status=status)
    return _decorate(rows, member)


def goal_for_member(*, member, pk: int) -> Goal | None:
    """One of the member's own goals (also archived: the member may look back); another
    member's or gym's id is None (a 404)."""
    goal = Goal.objects.filter(member_id=member.pk, pk=pk).first()
    return _decorate([goal], member)[0] if goal else None


def goal_entries(*, goal: Goal) -> QuerySet[GoalEntry]:
    return GoalEntry.objects.filter(goal_id=goal.pk).order_by("-on", "-id")


def body_weights_for_member(*, member, limit: int = 100) -> QuerySet[BodyWeight]:
    return BodyWeight.objects.filter(member_id=member.pk).order_by("-on")[:limit]


def goal_most_advanced_for_member(*, member) -> Goal | None:
    """The home card: the active goal closest to done (not yet completed)."""
    goal = (
        Goal.objects.filter(member_id=member.pk, archived_at__isnull=True)
        .exclude(status__in=FINISHED)
        .order_by("-progress", "-created_at")
        .first()
    )
    return _decorate([goal], member)[0] if goal else None


def goals_for_staff(member) -> list[Goal]:
    """The member's active goals for the staff member page: progress, status, pace."""
    return _decorate(Goal.objects.filter(member_id=member.pk, archived_at__isnull=True), member)
