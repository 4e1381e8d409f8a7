"""Goals: creating and changing them (plausible targets, units, dates, the tier limit),
progress from each source, status thresholds, pace, milestones once, week streaks with
planned rest days, body weights, the activity listener and the periodic roll."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from apps.bookings.models import BookingStatus
from apps.common.errors import ApplicationError
from apps.goals import activity, progress, tasks
from apps.goals.dates import local_today, week_start
from apps.goals.models import Badge, BodyWeight, Goal, GoalEntry, GoalStatus, Milestone
from apps.goals.selectors.goals import goal_pace, goals_for_staff
from apps.goals.services.goals import (
    body_weight_record,
    goal_archive,
    goal_create,
    goal_entry_add,
    goal_refresh,
    goal_update,
    goals_roll_periods,
    status_for,
)
from apps.notifications.models import Notification
from tests.bookings.factories import BookingFactory, ClassSessionFactory
from tests.goals.factories_goals import goal_member, make_goal, rest_days, visit_on, weights


@pytest.fixture
def gym(gym_a):
    with tenant_context(gym_a):
        yield gym_a


@pytest.fixture
def member(gym):
    return goal_member()


def _refused(code, fn, **kwargs):
    with pytest.raises(ApplicationError) as info:
        fn(**kwargs)
    assert info.value.code == code, info.value.message
    return info.value


# --- Creating ----------------------------------------------------------------------------


def test_a_visits_goal_counts_per_week_in_its_own_unit(member):
    goal = make_goal(member)
    assert goal.unit == "visits" and goal.period == "week" and goal.target == 3
    assert goal.status == GoalStatus.NOT_STARTED and goal.current_value == 0
    assert goal.start_date == local_today(member)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"target": 0}, "target_not_positive"),
        ({"target": -2}, "target_not_positive"),
        ({"target": 8}, "target_implausible"),  # a day counts once: 7 a week at most
        ({"target": 100}, "target_implausible"),
        ({"target": 32, "period": "month"}, "target_implausible"),
        ({"target": "1.5"}, "invalid"),
        ({"target": "1.555"}, "invalid"),
        ({"target": "abc"}, "invalid"),
        ({"target": "NaN"}, "invalid"),
        ({"target": "1e400"}, "target_implausible"),
        ({"type": "classes", "target": 15}, "target_implausible"),
        ({"type": "classes", "target": 63, "period": "month"}, "target_implausible"),
        ({"unit": "kg"}, "unit_not_allowed"),
        ({"period": ""}, "invalid"),
        ({"period": "year"}, "invalid"),
        ({"title": ""}, "invalid"),
        ({"title": "a\x00b"}, "invalid"),
        ({"title": "x" * 121}, "too_long"),
        ({"type": "yoga"}, "invalid"),
        ({"type": "endurance", "unit": "kg", "target": 100}, "unit_not_allowed"),
        ({"type": "custom", "period": "", "unit": "", "target": 5}, "unit_not_allowed"),
        ({"type": "custom", "period": "", "unit": "x" * 17, "target": 5}, "too_long"),
        ({"type": "custom", "period": "", "unit": "pages", "target": 10**7}, "target_implausible"),
        ({"type": "strength", "period": "", "unit": "kg", "target": 100}, "invalid"),  # exercise
        (
            {"type": "strength", "period": "", "exercise": "Squat", "target": 700},
            "target_implausible",
        ),
        ({"type": "strength", "period": "week", "exercise": "Squat", "target": 100}, "invalid"),
        ({"type": "endurance", "unit": "km", "target": 1501}, "target_implausible"),
        ({"type": "volume", "unit": "kg", "target": 200001}, "target_implausible"),
    ],
)
def test_bad_goals_are_refused_with_a_code(member, data, code):
    values = {"title": "Goal", "type": "visits", "period": "week", "target": 3, **data}
    _refused(code, goal_create, member=member, data=values)
    assert not Goal.objects.exists()


def test_body_weight_targets_must_be_plausible_in_either_unit(member):
    base = {"title": "Weight", "type": "body_weight", "start_value": 90}
    _refused("target_implausible", goal_create, member=member, data={**base, "target": 500})
    _refused("target_implausible", goal_create, member=member, data={**base, "target": 10})
    # 900 lb is 408 kg.
    _refused(
        "target_implausible",
        goal_create,
        member=member,
        data={**base, "unit": "lb", "start_value": 200, "target": 900},
    )
    _refused("already_there", goal_create, member=member, data={**base, "target": 90})
    goal = goal_create(
        member=member, data={**base, "unit": "lb", "start_value": 200, "target": 180}
    )
    assert goal.unit == "lb" and goal.target == 180


def test_a_body_weight_goal_starts_from_the_latest_weight_or_needs_one(member):
    data = {"title": "Lose 5", "type": "body_weight", "target": 80}
    _refused("start_value_required", goal_create, member=member, data=data)
    weights(member, {3: "86.00", 1: "85.00"})
    goal = goal_create(member=member, data=data)
    assert goal.start_value == Decimal("85.00") and goal.current_value == Decimal("85.00")


def test_dates_deadline_not_before_start_nor_past(member):
    today = local_today(member)
    base = {"title": "G", "type": "visits", "period": "week", "target": 3}
    _refused(
        "deadline_before_start",
        goal_create,
        member=member,
        data={**base, "start_date": today, "deadline": today - timedelta(days=1)},
    )
    _refused(
        "in_the_past",
        goal_create,
        member=member,
        data={
            **base,
            "start_date": today - timedelta(days=10),
            "deadline": today - timedelta(days=1),
        },
    )
    _refused(
        "start_implausible",
        goal_create,
        member=member,
        data={**base, "start_date": today - timedelta(days=400)},
    )
    _refused(
        "too_far", goal_create, member=member, data={**base, "deadline": today + timedelta(3000)}
    )


# --- The tier limit ----------------------------------------------------------------------


def test_the_free_plan_has_one_active_goal_archiving_frees_the_place(gym):
    member = goal_member(tier="free")
    first = make_goal(member)
    error = _refused("goal_limit_reached", make_goal, member=member)
    assert error.status_code == 403
    goal_archive(goal=first, member=member)
    make_goal(member, title="Again")
    assert Goal.objects.filter(member=member).count() == 2


def test_basic_allows_three_and_a_finished_one_off_goal_frees_its_place(gym):
    member = goal_member(tier="basic")
    lift = make_goal(member, type="strength", period="", exercise="Squat", unit="kg", target=100)
    make_goal(member)
    make_goal(member)
    _refused("goal_limit_reached", make_goal, member=member)
    goal_entry_add(goal=lift, member=member, value=100)
    make_goal(member, title="Fourth")


def test_gym_overrides_can_make_a_tier_unlimited(gym):
    gym.entitlement_overrides = {"free": {"active_goals": None}}
    gym.save(update_fields=["entitlement_overrides"])
    member = goal_member(tier="free")
    for _ in range(3):
        make_goal(member)


# --- Changing, archiving, another member -------------------------------------------------


def test_update_recomputes_and_keeps_the_type(member):
    goal = make_goal(member, type="custom", period="", unit="pages", target=100)
    goal_entry_add(goal=goal, member=member, value=50)
    goal = goal_update(goal=goal, member=member, data={"target": 200, "title": "Read"})
    assert goal.title == "Read" and goal.progress == Decimal("25.0")
    _refused("type_fixed", goal_update, goal=goal, member=member, data={"type": "visits"})
    _refused("target_not_positive", goal_update, goal=goal, member=member, data={"target": 0})
    goal_archive(goal=goal, member=member)
    goal_archive(goal=goal, member=member)  # twice: the same
    _refused("archived", goal_update, goal=goal, member=member, data={"title": "X"})
    _refused("archived", goal_entry_add, goal=goal, member=member, value=1)


def test_another_members_goal_is_not_found(member):
    goal = make_goal(member, type="custom", period="", unit="pages", target=100)
    other = goal_member()
    for fn, kwargs in [
        (goal_update, {"data": {"title": "Mine now"}}),
        (goal_archive, {}),
        (goal_entry_add, {"value": 5}),
    ]:
        error = _refused("not_found", fn, goal=goal, member=other, **kwargs)
        assert error.status_code == 404
    goal.refresh_from_db()
    assert goal.title == "Three a week" and goal.archived_at is None
    assert not GoalEntry.objects.exists()


# --- Entries -----------------------------------------------------------------------------


def test_entries_only_where_the_type_allows_them(member):
    visits = make_goal(member)
    error = _refused("entry_not_allowed", goal_entry_add, goal=visits, member=member, value=1)
    assert error.status_code == 409
    weights(member, {0: "90"})
    body = make_goal(member, type="body_weight", period="", target=80)
    _refused("entry_not_allowed", goal_entry_add, goal=body, member=member, value=85)


def test_entry_bad_input(member):
    today = local_today(member)
    run = make_goal(member, type="endurance", unit="min", target=150)
    _refused("unit_mismatch", goal_entry_add, goal=run, member=member, value=5, unit="km")
    _refused("value_not_positive", goal_entry_add, goal=run, member=member, value=0)
    _refused("invalid", goal_entry_add, goal=run, member=member, value="ten")
    _refused("value_implausible", goal_entry_add, goal=run, member=member, value=10**6)
    _refused(
        "future_date", goal_entry_add, goal=run, member=member, value=5, on=today + timedelta(1)
    )
    _refused(
        "outside_dates", goal_entry_add, goal=run, member=member, value=5, on=today - timedelta(1)
    )
    _refused("invalid", goal_entry_add, goal=run, member=member, value=5, note="\x00")
    assert not GoalEntry.objects.exists()


# --- Progress by source ------------------------------------------------------------------


def test_visits_count_one_per_day_this_week_a_desk_check_in_counts(member):
    today = local_today(member)
    goal = make_goal(member, start_date=today - timedelta(days=20))
    visit_on(member, today, hour=8)
    visit_on(member, today, hour=13)  # out and in again at lunch: the same day
    visit_on(member, week_start(today) - timedelta(days=1))  # last week's Sunday
    activity.activity_recorded(member=member, kind="visit", at=member.visits.first().entered_at)
    goal.refresh_from_db()
    assert goal.current_value == 1 and goal.status == GoalStatus.ON_TRACK  # 1 of 3: 33 %


def test_classes_count_attended_bookings_only(member):
    goal = make_goal(
        member, type="classes", target=2, start_date=local_today(member) - timedelta(7)
    )
    session = ClassSessionFactory(starts_in=-timedelta(seconds=20))
    BookingFactory(member=member, session=session, status=BookingStatus.ATTENDED)
    BookingFactory(
        member=member,
        session=ClassSessionFactory(starts_in=-timedelta(seconds=10)),
        status=BookingStatus.NO_SHOW,
    )
    activity.activity_recorded(member=member, kind="class", at=session.starts_at)
    goal.refresh_from_db()
    assert goal.current_value == 1 and goal.progress == Decimal("50.0")


def test_body_weight_losing_and_gaining_and_in_lb(member):
    lose = make_goal(member, type="body_weight", period="", start_value=90, target=80)
    gain = make_goal(member, type="body_weight", period="", start_value=60, target=70)
    pounds = make_goal(
        member, type="body_weight", period="", unit="lb", start_value=200, target=180
    )
    body_weight_record(member=member, weight="85")
    lose.refresh_from_db()
    assert lose.current_value == 85 and lose.progress == Decimal("50.0")
    gain.refresh_from_db()
    assert gain.progress == 100  # 85 is past 70: capped at 100
    pounds.refresh_from_db()
    assert pounds.current_value == Decimal("187.39") and pounds.progress == Decimal("63.1")
    body_weight_record(member=member, weight="95")  # the same day: replaces
    lose.refresh_from_db()
    assert lose.progress == 0 and lose.status == GoalStatus.NOT_STARTED
    assert BodyWeight.objects.filter(member=member).count() == 1


def test_strength_is_the_best_entry_converted_to_the_goal_unit(member):
    goal = make_goal(member, type="strength", period="", exercise="Bench", unit="kg", target=120)
    for value, unit in [("80", "kg"), ("220.46", "lb"), ("90", "kg")]:
        goal_entry_add(goal=goal, member=member, value=value, unit=unit)
    goal.refresh_from_db()
    assert goal.current_value == Decimal("100.00") and goal.progress == Decimal("83.3")
    assert goal.status == GoalStatus.ALMOST_THERE


def test_volume_sums_this_week_and_custom_is_the_latest(member):
    today = local_today(member)
    volume = make_goal(
        member, type="volume", unit="kg", target=10000, start_date=today - timedelta(20)
    )
    goal_entry_add(goal=volume, member=member, value=3000)
    goal_entry_add(goal=volume, member=member, value=2000)
    goal_entry_add(goal=volume, member=member, value=9000, on=week_start(today) - timedelta(days=1))
    volume.refresh_from_db()
    assert volume.current_value == 5000 and volume.progress == 50
    custom = make_goal(member, type="custom", period="", unit="cm", target=80)
    goal_entry_add(goal=custom, member=member, value=70)
    goal_entry_add(goal=custom, member=member, value=60)
    custom.refresh_from_db()
    assert custom.current_value == 60 and custom.progress == 75


def test_a_registered_source_feeds_a_goal(member):
    goal = make_goal(member, type="strength", period="", exercise="Deadlift", unit="kg", target=200)

    def workout_sets(*, goal, start, end):
        return [progress.Reading(end, Decimal("330.69"), "lb")]  # 150 kg

    progress.register_source("strength", workout_sets)
    try:
        goal = goal_refresh(goal=goal)
        assert goal.current_value == Decimal("150.00") and goal.progress == 75
    finally:
        progress.unregister_source("strength", workout_sets)


# --- Status, pace, milestones ------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "status"),
    [
        ("0", "not_started"),
        ("0.1", "just_started"),
        ("24.9", "just_started"),
        ("25", "on_track"),
        ("74.9", "on_track"),
        ("75", "almost_there"),
        ("99.9", "almost_there"),
        ("100", "completed"),
    ],
)
def test_status_thresholds(percent, status):
    assert status_for(Decimal(percent)) == status


def test_a_completed_one_off_goal_stays_completed(member):
    goal = make_goal(member, type="body_weight", period="", start_value=90, target=80)
    body_weight_record(member=member, weight="80")
    goal.refresh_from_db()
    assert goal.status == GoalStatus.COMPLETED and goal.completed_at
    body_weight_record(member=member, weight="84")
    goal.refresh_from_db()
    assert goal.status == GoalStatus.COMPLETED and goal.progress == 60


def test_a_goal_fails_when_its_deadline_passes_before_100(member):
    today = local_today(member)
    goal = make_goal(member, type="custom", period="", unit="pages", target=100, deadline=today)
    goal_entry_add(goal=goal, member=member, value=40)
    goal = goal_refresh(goal=goal, today=today + timedelta(days=1))
    assert goal.status == GoalStatus.FAILED and goal_pace(goal) == ""


def test_pace_against_the_straight_line_with_a_ten_point_tolerance(member):
    today = local_today(member)
    goal = make_goal(
        member,
        type="custom",
        period="",
        unit="pages",
        target=100,
        start_date=today - timedelta(days=9),
        deadline=today + timedelta(days=10),
    )
    # Day 10 of 20: the line is at 50 %.
    for value, pace in [(45, "on_pace"), (55, "on_pace"), (30, "behind"), (70, "ahead")]:
        goal.progress = Decimal(value)
        goal.status = status_for(goal.progress)
        assert goal_pace(goal, today) == pace, value
    no_deadline = make_goal(member, type="custom", period="", unit="pages", target=100)
    assert goal_pace(no_deadline, today) == ""


def test_milestones_fire_once_each_with_a_badge_and_a_notification(member):
    goal = make_goal(member, type="custom", period="", unit="pages", target=100)
    goal_entry_add(goal=goal, member=member, value=55)
    goal_refresh(goal=goal)
    goal_refresh(goal=goal)
    assert list(Milestone.objects.filter(goal=goal).values_list("percent", flat=True)) == [25, 50]
    assert set(Badge.objects.filter(member=member).values_list("ref", flat=True)) == {
        f"goal:{goal.pk}:25",
        f"goal:{goal.pk}:50",
    }
    notes = Notification.objects.filter(member=member, kind="goal_milestone")
    assert notes.count() == 2
    goal_entry_add(goal=goal, member=member, value=10)  # the latest: 10 %, nothing new
    goal_entry_add(goal=goal, member=member, value=100)
    assert Milestone.objects.filter(goal=goal).count() == 4
    assert notes.count() == 4 and Badge.objects.filter(member=member).count() == 4


# --- Week streaks and rest days ----------------------------------------------------------


def _two_weeks_ago_monday(member):
    return week_start(local_today(member)) - timedelta(days=14)


def test_planned_rest_days_do_not_cost_a_week_streak(member):
    start = _two_weeks_ago_monday(member)
    rest_days(member, 6, 7)  # weekends planned as rest
    for week in range(2):
        for day in range(5):  # Monday to Friday
            visit_on(member, start + timedelta(days=7 * week + day))
    goal = make_goal(member, target=6, start_date=start)
    assert goal.week_streak == 2 and goal.longest_week_streak == 2

    other = goal_member()  # no rest days planned: 5 of 6 is not enough
    for week in range(2):
        for day in range(5):
            visit_on(other, start + timedelta(days=7 * week + day))
    other_goal = make_goal(other, target=6, start_date=start)
    assert other_goal.week_streak == 0 and other_goal.longest_week_streak == 0


def test_a_missed_week_resets_the_streak_and_the_longest_stays(member):
    start = _two_weeks_ago_monday(member)
    visit_on(member, start)
    visit_on(member, start + timedelta(days=1))
    visit_on(member, start + timedelta(days=7))  # week two: one visit of two
    goal = make_goal(member, target=2, start_date=start)
    assert goal.week_streak == 0 and goal.longest_week_streak == 1
    goal_refresh(goal=goal)  # again: the same
    goal.refresh_from_db()
    assert goal.week_streak == 0 and goal.longest_week_streak == 1


def test_this_week_counts_as_soon_as_it_is_met(member):
    today = local_today(member)
    goal = make_goal(member, target=1, start_date=week_start(today))
    visit_on(member, today, hour=0)
    goal = goal_refresh(goal=goal)
    assert goal.week_streak == 1 and goal.status == GoalStatus.COMPLETED
    assert goal_refresh(goal=goal).week_streak == 1  # counted once


def test_the_roll_settles_periods_and_fails_past_deadlines(member):
    today = local_today(member)
    start = _two_weeks_ago_monday(member)
    weekly = make_goal(member, target=1, start_date=start)
    visit_on(member, start)
    # As if the weeks had not been counted yet (the visit came in before the roll).
    Goal.objects.filter(pk=weekly.pk).update(
        week_streak=0, longest_week_streak=0, streak_period_start=None
    )
    due = make_goal(member, type="custom", period="", unit="pages", target=10, deadline=today)
    Goal.objects.filter(pk=due.pk).update(
        start_date=today - timedelta(days=5), deadline=today - timedelta(days=1)
    )
    assert goals_roll_periods() == 2
    weekly.refresh_from_db()
    due.refresh_from_db()
    assert weekly.longest_week_streak == 1 and due.status == GoalStatus.FAILED
    assert goals_roll_periods() == 1  # the failed one is settled for good


def test_staff_see_active_goals_with_pace(member):
    make_goal(member, title="Visible")
    archived = make_goal(member, title="Gone")
    goal_archive(goal=archived, member=member)
    rows = goals_for_staff(member)
    assert [g.title for g in rows] == ["Visible"] and hasattr(rows[0], "pace")


def test_body_weight_bad_input(member):
    today = local_today(member)
    _refused("value_implausible", body_weight_record, member=member, weight=500)
    _refused("value_implausible", body_weight_record, member=member, weight=900, unit="lb")
    _refused("value_implausible", body_weight_record, member=member, weight=5)
    _refused("value_not_positive", body_weight_record, member=member, weight=0)
    _refused("invalid", body_weight_record, member=member, weight="heavy")
    _refused("unit_not_allowed", body_weight_record, member=member, weight=80, unit="st")
    _refused("future_date", body_weight_record, member=member, weight=80, on=today + timedelta(1))
    _refused("too_old", body_weight_record, member=member, weight=80, on=today - timedelta(400))
    assert not BodyWeight.objects.exists()
    row = body_weight_record(member=member, weight="176.37", unit="lb")
    assert row.weight_kg == Decimal("80.00")


def test_the_roll_task_runs_in_the_gym(member):
    make_goal(member)
    assert tasks.goals_roll_periods() == 1


def test_a_failed_goal_keeps_its_past_deadline_when_renamed(member):
    today = local_today(member)
    goal = make_goal(member, type="custom", period="", unit="pages", target=100, deadline=today)
    Goal.objects.filter(pk=goal.pk).update(
        start_date=today - timedelta(days=5), deadline=today - timedelta(days=1)
    )
    goal = goal_update(goal=goal, member=member, data={"title": "Renamed"})
    assert goal.title == "Renamed" and goal.status == GoalStatus.FAILED
    _refused(
        "in_the_past",
        goal_update,
        goal=goal,
        member=member,
        data={"deadline": today - timedelta(days=2)},
    )
