"""Challenges: the rules of creating and changing them, joining and leaving, progress from
each source (door visits, attended classes, check-ins, custom entries), the completion
that fires once, and the opt-in leaderboard."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import tenant_context

from apps.bookings.models import BookingStatus
from apps.common.errors import ApplicationError
from apps.goals import activity
from apps.goals.models import (
    Badge,
    Challenge,
    ChallengeEntry,
    ChallengeParticipant,
    CheckIn,
    CheckInStatus,
)
from apps.goals.selectors.challenges import (
    challenge_leaderboard,
    gym_today,
    member_display_name,
)
from apps.goals.services.challenges import (
    challenge_archive,
    challenge_create,
    challenge_entry_add,
    challenge_join,
    challenge_leaderboard_set,
    challenge_leave,
    challenge_update,
    challenges_refresh_for_member,
)
from apps.notifications.models import Notification
from tests.attendance.factories import VisitFactory
from tests.bookings.factories import BookingFactory, ClassSessionFactory
from tests.factories import MemberFactory, UserFactory
from tests.goals.factories_challenges import ChallengeFactory, join


@pytest.fixture
def gym(gym_a):
    with tenant_context(gym_a):
        yield gym_a


def _data(**changes):
    today = gym_today()
    data = {
        "title": "Twelve in twenty",
        "description": "Come in twelve days out of twenty.",
        "type": "visits",
        "target": Decimal(12),
        "unit": "",
        "starts_on": today,
        "ends_on": today + timedelta(days=19),
        "prize": "A T-shirt",
    }
    return {**data, **changes}


def _visit(member, at):
    return VisitFactory(member=member, entered_at=at, exited_at=at + timedelta(hours=1))


def _at(day, hour=10, zone="UTC"):
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(zone))


# --- Creating and changing -------------------------------------------------------------


def test_staff_create_a_challenge_with_its_fields(gym):
    owner = UserFactory(role="owner")
    challenge = challenge_create(data=_data(), by=owner)
    assert challenge.pk and challenge.target == 12 and challenge.created_by == owner
    assert challenge.unit == ""  # counted types name their own unit


def test_a_custom_challenge_keeps_its_unit(gym):
    challenge = challenge_create(data=_data(type="custom", unit="km", target="42.5"), by=None)
    assert challenge.unit == "km" and challenge.target == Decimal("42.5")


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"target": 0}, "target", "target_not_positive"),
        ({"target": -3}, "target", "target_not_positive"),
        ({"target": "NaN"}, "target", "invalid"),
        ({"target": "lots"}, "target", "invalid"),
        ({"target": 21}, "target", "target_implausible"),  # 20 days: one visit a day at most
        ({"target": "2.5"}, "target", "invalid"),  # visits are whole
        ({"type": "classes", "target": 61}, "target", "target_implausible"),  # 3 a day
        ({"type": "custom", "unit": ""}, "unit", "invalid"),
        ({"type": "custom", "unit": "km", "target": 2_000_000}, "target", "target_implausible"),
        ({"type": "marathons"}, "type", "invalid"),
        ({"title": ""}, "title", "invalid"),
        ({"title": "x" * 121}, "title", "too_long"),
        ({"title": "Bad\x00title"}, "title", "invalid"),
        ({"description": "y" * 2001}, "description", "too_long"),
        ({"ends_on": "soon"}, "ends_on", "invalid"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_is_written(gym, changes, field, code):
    with pytest.raises(ApplicationError) as refused:
        challenge_create(data=_data(**changes), by=None)
    assert refused.value.code == code
    assert field in refused.value.details
    assert not Challenge.objects.exists()


def test_dates_must_be_in_order_within_a_year_and_not_over(gym):
    today = gym_today()
    cases = [
        ({"starts_on": today, "ends_on": today - timedelta(days=1)}, "dates_reversed"),
        ({"starts_on": today, "ends_on": today + timedelta(days=366)}, "too_long"),
        (
            {"starts_on": today - timedelta(days=10), "ends_on": today - timedelta(days=1)},
            "in_the_past",
        ),
    ]
    for changes, code in cases:
        with pytest.raises(ApplicationError) as refused:
            challenge_create(data=_data(target=1, **changes), by=None)
        assert refused.value.code == code
    # Already running is fine: it counts from its start.
    running = challenge_create(data=_data(starts_on=today - timedelta(days=3), target=3), by=None)
    assert running.starts_on == today - timedelta(days=3)


def test_type_target_and_start_are_fixed_once_started_with_members(gym):
    challenge = challenge_create(data=_data(starts_on=gym_today() - timedelta(days=1)), by=None)
    # Nobody joined yet: anything may change.
    challenge = challenge_update(challenge=challenge, data={"target": 10}, by=None)
    assert challenge.target == 10
    join(challenge, MemberFactory())
    for changes in ({"target": 8}, {"type": "classes"}, {"starts_on": gym_today()}):
        with pytest.raises(ApplicationError) as refused:
            challenge_update(challenge=challenge, data=changes, by=None)
        assert refused.value.code == "challenge_locked"
    changed = challenge_update(
        challenge=challenge,
        data={"title": "New name", "prize": "", "ends_on": challenge.ends_on + timedelta(3)},
        by=None,
    )
    assert (changed.title, changed.prize, changed.target) == ("New name", "", 10)
    short = ChallengeFactory(target=1, starts_on=gym_today() - timedelta(3))
    with pytest.raises(ApplicationError) as refused:
        challenge_update(challenge=short, data={"ends_on": gym_today() - timedelta(1)}, by=None)
    assert refused.value.code == "in_the_past"


def test_an_upcoming_challenge_with_members_may_still_change_its_target(gym):
    challenge = challenge_create(data=_data(starts_on=gym_today() + timedelta(days=2)), by=None)
    join(challenge, MemberFactory())
    assert challenge_update(challenge=challenge, data={"target": 5}, by=None).target == 5


def test_an_archived_challenge_is_gone_for_members(gym):
    challenge = ChallengeFactory()
    member = MemberFactory()
    join(challenge, member)
    challenge_archive(challenge=challenge, by=None)
    challenge_archive(challenge=challenge, by=None)  # twice: the same
    with pytest.raises(ApplicationError) as refused:
        challenge_join(challenge=challenge, member=MemberFactory())
    assert refused.value.status_code == 404
    with pytest.raises(ApplicationError):
        challenge_update(challenge=challenge, data={"title": "x"}, by=None)
    _visit(member, _at(gym_today()))
    activity.activity_recorded(member=member, kind="visit", at=_at(gym_today()))
    assert ChallengeParticipant.objects.get(member=member).progress == 0  # stopped


# --- Joining and leaving -------------------------------------------------------------


def test_joining_twice_is_one_participation(gym):
    challenge, member = ChallengeFactory(), MemberFactory()
    first, created = challenge_join(challenge=challenge, member=member)
    again, created_again = challenge_join(challenge=challenge, member=member, on_leaderboard=True)
    assert created and not created_again and first.pk == again.pk
    assert not again.on_leaderboard  # a second join changes nothing
    assert ChallengeParticipant.objects.filter(challenge=challenge).count() == 1


def test_leaving_twice_is_the_same_and_a_challenge_never_joined_is_404(gym):
    challenge, member = ChallengeFactory(), MemberFactory()
    join(challenge, member, on_leaderboard=True)
    left = challenge_leave(challenge=challenge, member=member)
    again = challenge_leave(challenge=challenge, member=member)
    assert left.left_at is not None and again.left_at == left.left_at
    assert not again.on_leaderboard
    with pytest.raises(ApplicationError) as refused:
        challenge_leave(challenge=challenge, member=MemberFactory())
    assert (refused.value.status_code, refused.value.code) == (404, "not_joined")


def test_joining_again_after_leaving_keeps_the_progress_but_not_the_leaderboard_choice(gym):
    challenge, member = ChallengeFactory(), MemberFactory()
    join(challenge, member, on_leaderboard=True)
    _visit(member, _at(gym_today() - timedelta(days=1)))
    challenges_refresh_for_member(member=member)
    challenge_leave(challenge=challenge, member=member)
    participant, created = challenge_join(challenge=challenge, member=member)
    assert created and participant.left_at is None
    assert participant.progress == 1 and not participant.on_leaderboard


def test_join_only_while_running_or_upcoming_and_with_an_active_membership(gym):
    today = gym_today()
    ended = ChallengeFactory(starts_on=today - timedelta(10), ends_on=today - timedelta(1))
    with pytest.raises(ApplicationError) as refused:
        challenge_join(challenge=ended, member=MemberFactory())
    assert refused.value.code == "challenge_ended"
    upcoming = ChallengeFactory(starts_on=today + timedelta(3), ends_on=today + timedelta(9))
    assert challenge_join(challenge=upcoming, member=MemberFactory())[1]
    with pytest.raises(ApplicationError) as refused:
        challenge_join(challenge=upcoming, member=MemberFactory(status="cancelled"))
    assert refused.value.code == "membership_inactive"
    with pytest.raises(ApplicationError) as refused:
        challenge_join(challenge=Challenge(pk=987654), member=MemberFactory())
    assert refused.value.status_code == 404


# --- Progress ----------------------------------------------------------------------------


def test_door_visits_count_one_a_day_within_the_dates(gym):
    challenge, member = ChallengeFactory(target=10), MemberFactory()
    join(challenge, member)
    today = gym_today()
    _visit(member, _at(today - timedelta(days=2), 8))
    _visit(member, _at(today - timedelta(days=2), 18))  # back in the evening: same day
    _visit(member, _at(today - timedelta(days=1)))
    _visit(member, _at(challenge.starts_on - timedelta(days=1)))  # before it started
    activity.activity_recorded(member=member, kind="visit", at=_at(today - timedelta(days=1)))
    participant = ChallengeParticipant.objects.get(challenge=challenge, member=member)
    assert participant.progress == 2
    assert participant.progress_at == _at(today - timedelta(days=1))
    # A replayed task gives the same row.
    activity.activity_recorded(member=member, kind="visit", at=_at(today - timedelta(days=1)))
    assert ChallengeParticipant.objects.get(pk=participant.pk).progress == 2


def test_a_class_attended_moves_a_classes_challenge_not_a_visits_one(gym):
    classes = ChallengeFactory(type="classes", target=10)
    visits = ChallengeFactory(type="visits", target=5)
    member = MemberFactory()
    join(classes, member)
    join(visits, member)
    session = ClassSessionFactory(starts_in=-timedelta(days=1))
    BookingFactory(member=member, session=session, status=BookingStatus.ATTENDED)
    BookingFactory(
        member=member,
        session=ClassSessionFactory(starts_in=-timedelta(days=2)),
        status=BookingStatus.NO_SHOW,
    )
    activity.activity_recorded(member=member, kind="class", at=session.starts_at)
    assert ChallengeParticipant.objects.get(challenge=classes).progress == 1
    assert ChallengeParticipant.objects.get(challenge=visits).progress == 0


def test_joining_late_counts_from_the_start_of_the_challenge(gym):
    challenge, member = ChallengeFactory(), MemberFactory()
    _visit(member, _at(challenge.starts_on + timedelta(days=1)))
    assert join(challenge, member).progress == 1


def test_days_are_the_gyms_days(gym):
    gym.time_zone = "America/New_York"  # this object only; the transaction rolls back
    today = gym_today()
    challenge = ChallengeFactory(starts_on=today - timedelta(5), ends_on=today - timedelta(1))
    member = MemberFactory()
    participant = ChallengeParticipant.objects.create(challenge=challenge, member=member)
    last = challenge.ends_on
    _visit(member, _at(last, 23, "America/New_York"))  # 04:00 the next day in UTC: counts
    _visit(member, _at(last + timedelta(days=1), 0, "America/New_York"))  # the day after
    activity.activity_recorded(member=member, kind="visit", at=_at(last, 23, "America/New_York"))
    participant.refresh_from_db()
    assert participant.progress == 1


def test_a_checkins_challenge_counts_days_answered_went(gym):
    challenge, member = ChallengeFactory(type="checkins", target=3), MemberFactory()
    join(challenge, member)
    today = gym_today()
    for offset, status in ((1, CheckInStatus.WENT), (2, CheckInStatus.REST), (3, "went")):
        CheckIn.objects.create(member=member, on=today - timedelta(offset), status=status)
    CheckIn.objects.create(member=member, on=challenge.starts_on - timedelta(1), status="went")
    assert challenges_refresh_for_member(member=member) == 1
    assert ChallengeParticipant.objects.get(challenge=challenge).progress == 2


def test_custom_entries_add_up_within_the_rules(gym):
    challenge = ChallengeFactory(type="custom", unit="km", target=Decimal(100))
    member = MemberFactory()
    join(challenge, member)
    challenge_entry_add(challenge=challenge, member=member, value="12.5")
    challenge_entry_add(
        challenge=challenge, member=member, value=Decimal(30), on=gym_today() - timedelta(1)
    )
    assert ChallengeParticipant.objects.get(challenge=challenge).progress == Decimal("42.5")
    today = gym_today()
    refusals = [
        ({"value": 0}, "value_not_positive"),
        ({"value": -5}, "value_not_positive"),
        ({"value": 101}, "value_implausible"),
        ({"value": "1.234"}, "value_implausible"),
        ({"value": "abc"}, "invalid"),
        ({"value": 1, "on": today + timedelta(days=1)}, "future_date"),
        ({"value": 1, "on": challenge.starts_on - timedelta(days=1)}, "outside_dates"),
    ]
    for kwargs, code in refusals:
        with pytest.raises(ApplicationError) as refused:
            challenge_entry_add(challenge=challenge, member=member, **kwargs)
        assert refused.value.code == code, kwargs
    assert ChallengeEntry.objects.count() == 2
    with pytest.raises(ApplicationError) as refused:
        challenge_entry_add(challenge=challenge, member=MemberFactory(), value=1)
    assert refused.value.code == "not_joined"
    visits = ChallengeFactory()
    join(visits, member)
    with pytest.raises(ApplicationError) as refused:
        challenge_entry_add(challenge=visits, member=member, value=1)
    assert refused.value.code == "not_custom"


def test_finishing_fires_once_a_badge_and_a_notification(gym):
    challenge, member = ChallengeFactory(target=2, title="Two days"), MemberFactory()
    join(challenge, member)
    today = gym_today()
    _visit(member, _at(today - timedelta(days=3)))
    activity.activity_recorded(member=member, kind="visit", at=_at(today - timedelta(days=3)))
    participant = ChallengeParticipant.objects.get(challenge=challenge)
    assert participant.completed_at is None and not Badge.objects.exists()
    _visit(member, _at(today - timedelta(days=2)))
    activity.activity_recorded(member=member, kind="visit", at=_at(today - timedelta(days=2)))
    participant.refresh_from_db()
    finished_at = participant.completed_at
    assert finished_at is not None and participant.progress == 2
    badge = Badge.objects.get(member=member)
    assert (badge.key, badge.ref) == ("challenge_finished", f"challenge:{challenge.pk}")
    assert "Two days" in badge.title
    note = Notification.objects.get(member=member)
    assert note.kind == "challenge_completed" and note.category == "goals"
    assert "Two days" in note.title and note.url == f"/app/challenges/{challenge.pk}/"
    # More visits, replays and a refresh: still one of each, the first time kept.
    _visit(member, _at(today - timedelta(days=1)))
    for _ in range(2):
        activity.activity_recorded(member=member, kind="visit", at=_at(today - timedelta(days=1)))
        challenges_refresh_for_member(member=member)
    participant.refresh_from_db()
    assert participant.progress == 3 and participant.completed_at == finished_at
    assert Badge.objects.filter(member=member).count() == 1
    assert Notification.objects.filter(member=member, kind="challenge_completed").count() == 1


def test_custom_total_finishes_on_the_entry_that_reaches_the_target(gym):
    challenge = ChallengeFactory(type="custom", unit="push-ups", target=Decimal(100))
    member = MemberFactory()
    join(challenge, member)
    challenge_entry_add(challenge=challenge, member=member, value=60)
    assert not Badge.objects.exists()
    challenge_entry_add(challenge=challenge, member=member, value=40)
    assert ChallengeParticipant.objects.get(challenge=challenge).completed_at is not None
    assert Badge.objects.count() == 1


# --- Leaderboard --------------------------------------------------------------------------


def test_the_leaderboard_shows_only_members_who_opted_in_by_display_name(gym):
    challenge = ChallengeFactory(target=10)
    today = gym_today()
    ana = MemberFactory(first_name="Ana", last_name="Zapata")
    ben = MemberFactory(first_name="Ben", last_name="Young")
    hidden = MemberFactory(first_name="Hiddenhortense", last_name="Xavier")
    cy = MemberFactory(first_name="Cy", last_name="")
    for member, days, shown in ((ana, 2, True), (ben, 2, True), (hidden, 5, False), (cy, 0, True)):
        join(challenge, member, on_leaderboard=shown)
        for offset in range(days):
            # Ben reached 2 first (his second day is earlier than Ana's).
            hour = 7 if member is ben else 9
            _visit(member, _at(today - timedelta(days=offset + 1), hour))
        challenges_refresh_for_member(member=member)
    board = challenge_leaderboard(challenge=challenge, member=ana)
    assert [(r.rank, r.name, r.progress, r.me) for r in board.rows] == [
        (1, "Ben Y.", 2, False),
        (1, "Ana Z.", 2, True),
        (3, "Cy", 0, False),
    ]
    assert (board.participants, board.shown, board.hidden) == (4, 3, 1)
    assert "Hiddenhortense" not in repr(board) and "Xavier" not in repr(board)
    # Opting out (or leaving) takes a member off at once.
    challenge_leaderboard_set(challenge=challenge, member=ben, on_leaderboard=False)
    challenge_leave(challenge=challenge, member=cy)
    board = challenge_leaderboard(challenge=challenge)
    assert [r.name for r in board.rows] == ["Ana Z."]
    assert (board.participants, board.hidden) == (3, 2)


def test_display_name_is_first_name_and_last_initial():
    assert member_display_name(SimpleNamespace(first_name="Alice", last_name="brown")) == (
        "Alice b."
    )
    assert member_display_name(SimpleNamespace(first_name=" Cy ", last_name="")) == "Cy"
