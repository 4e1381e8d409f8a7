"""The door and the class roster feed goals and challenges on their own: a granted entry
or a booking marked attended sends a signal, the goals app queues one task after commit,
and the task calls every activity listener in the gym's schema."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django_tenants.utils import tenant_context

from apps.attendance.services import check_in
from apps.bookings.models import BookingStatus
from apps.bookings.services.booking import booking_mark_attendance
from apps.goals import activity
from apps.goals.models import ChallengeType, Goal
from tests.attendance.factories import ALWAYS_OPEN, set_hours
from tests.bookings.factories import BookingFactory, ClassSessionFactory
from tests.goals.factories_challenges import ChallengeFactory, join
from tests.goals.factories_goals import goal_member, make_goal


@pytest.fixture
def gym(gym_a):
    set_hours(gym_a, ALWAYS_OPEN)  # the door refuses outside opening hours
    with tenant_context(gym_a):
        yield gym_a


def test_a_granted_door_entry_moves_visits_goals_and_challenges_after_commit(
    gym, django_capture_on_commit_callbacks
):
    member = goal_member()
    goal = make_goal(member, target=3)
    participant = join(ChallengeFactory(type=ChallengeType.VISITS, target=Decimal(5)), member)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answer = check_in(member=member)
    assert answer["granted"] is True
    assert len(callbacks) >= 1
    goal.refresh_from_db()
    participant.refresh_from_db()
    assert goal.current_value == Decimal(1)
    assert participant.progress == Decimal(1)


def test_a_refused_entry_queues_nothing(gym, django_capture_on_commit_callbacks):
    member = goal_member(status="frozen")
    goal = make_goal(member, target=3)
    with django_capture_on_commit_callbacks(execute=True):
        answer = check_in(member=member)
    assert answer["granted"] is False
    goal.refresh_from_db()
    assert not goal.current_value


def test_an_entry_rolled_back_queues_nothing(gym, django_capture_on_commit_callbacks):
    member = goal_member()
    goal = make_goal(member, target=3)

    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Boom), transaction.atomic():
            check_in(member=member)
            raise Boom
    assert callbacks == []
    goal.refresh_from_db()
    assert not goal.current_value


def test_a_class_marked_attended_moves_classes_goals_and_challenges(
    gym, django_capture_on_commit_callbacks
):
    member = goal_member()
    goal = make_goal(member, type="classes", target=2)
    participant = join(ChallengeFactory(type=ChallengeType.CLASSES, target=Decimal(3)), member)
    session = ClassSessionFactory(starts_in=-timedelta(minutes=10))
    booking = BookingFactory(member=member, session=session, status=BookingStatus.BOOKED)
    with django_capture_on_commit_callbacks(execute=True):
        booking_mark_attendance(booking=booking, attended=True, by=None)
    goal.refresh_from_db()
    participant.refresh_from_db()
    assert goal.current_value == Decimal(1)
    assert participant.progress == Decimal(1)
    # Marking it again (already attended) sends nothing more and changes nothing.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        booking_mark_attendance(booking=booking, attended=True, by=None)
    assert callbacks == []


def test_the_task_for_a_member_deleted_meanwhile_does_nothing(gym):
    member = goal_member()
    member_id = member.pk
    Goal.objects.filter(member=member).delete()
    member.delete()
    assert (
        activity.activity_run(member_id=member_id, kind="visit", at="2026-12-01T10:00:00+00:00")
        is False
    )
