"""Class credits (billing's ledger) through the booking rules: spent on a place, given
back on a cancellation in time, forfeited or given back per the policy on a late cancel
or a no-show, given back by a waiver, spent on promotion only, refused at zero."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.billing.models import CreditEntry
from apps.billing.selectors import credit_balance
from apps.billing.services import credit_grant
from apps.bookings.models import (
    Booking,
    BookingPolicy,
    BookingStatus,
    ClassSession,
    ClassType,
    CreditState,
    Penalty,
    PenaltyKind,
)
from apps.bookings.services.booking import (
    booking_cancel,
    booking_create,
    booking_mark_attendance,
    no_shows_mark_due,
    penalty_waive,
)
from apps.bookings.services.schedule import session_cancel
from apps.common.errors import ApplicationError
from tests.billing.factories import MembershipPlanFactory, MemberSubscriptionFactory
from tests.bookings.factories import ClassSessionFactory
from tests.factories import MemberWithLoginFactory, UserFactory

_packs = iter(range(1, 10**6))


def pack_member(credits: int):
    """A member who bought a pack of `credits` (no subscription): pays with credits."""
    member = MemberWithLoginFactory()
    if credits:
        credit_grant(member=member, credits=credits, reason="pack", source=f"t:{next(_packs)}")
    return member


def subscriber(class_credits: int, credits: int = 0):
    """A member on a monthly plan giving `class_credits` per period (0: unlimited)."""
    member = MemberWithLoginFactory()
    n = next(_packs)
    plan = MembershipPlanFactory(tier="basic", interval="month", class_credits=class_credits)
    MemberSubscriptionFactory(member=member, plan=plan, status="active")
    if credits:
        credit_grant(member=member, credits=credits, reason="plan_period", source=f"t:{n}")
    return member


def ledger(booking):
    return list(
        CreditEntry.objects.filter(source__startswith=f"booking:{booking.pk}:")
        .order_by("id")
        .values_list("delta", "reason")
    )


def test_booking_spends_a_credit_and_zero_credits_is_refused_clearly(gym_a, api):
    with tenant_context(gym_a):
        member = pack_member(1)
        first = booking_create(
            member=member, session=ClassSessionFactory(starts_in=timedelta(days=1))
        )
        assert first.credit == CreditState.SPENT and credit_balance(member) == 0
        assert ledger(first) == [(-1, "class_booking")]
        second = ClassSessionFactory(starts_in=timedelta(days=2))
        with pytest.raises(ApplicationError) as exc:
            booking_create(member=member, session=second)
        assert exc.value.code == "no_credits"
        assert not Booking.objects.filter(session=second).exists()
    # The preview says so before booking, with the balance.
    check = api(gym_a, member.user).get(f"/api/v1/classes/sessions/{second.pk}/").json()
    check = check["booking_check"]
    assert check["allowed"] is False and [p["code"] for p in check["problems"]] == ["no_credits"]
    assert check["credits"] == {"uses_credits": True, "balance": 0, "cost": 1}
    refused = api(gym_a, member.user).post(f"/api/v1/classes/sessions/{second.pk}/book/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_credits"


def test_plans_without_credits_spend_nothing(gym_a):
    with tenant_context(gym_a):
        unlimited = subscriber(class_credits=0, credits=0)
        walk_in = MemberWithLoginFactory()  # no billing at all: tier and status rules only
        for member in (unlimited, walk_in):
            booking = booking_create(member=member, session=ClassSessionFactory())
            assert booking.credit == CreditState.NONE and credit_balance(member) == 0
        counted = subscriber(class_credits=4, credits=4)
        booking = booking_create(member=counted, session=ClassSessionFactory())
        assert booking.credit == CreditState.SPENT and credit_balance(counted) == 3


def test_cancel_in_time_gives_the_credit_back_once(gym_a, policy):
    policy(gym_a, late_cancel_minutes_before=60, late_cancel_forfeits_credit=True)
    with tenant_context(gym_a):
        member = pack_member(1)
        booking = booking_create(
            member=member, session=ClassSessionFactory(starts_in=timedelta(days=1))
        )
        booking_cancel(booking=booking)
        assert credit_balance(member) == 1
        assert ledger(booking) == [(-1, "class_booking"), (1, "class_cancelled")]
        with pytest.raises(ApplicationError):
            booking_cancel(booking=booking)  # not active any more: nothing twice
        assert credit_balance(member) == 1


def test_late_cancel_forfeits_per_policy_and_a_waiver_gives_it_back(gym_a, policy):
    policy(gym_a, late_cancel_minutes_before=180, late_cancel_forfeits_credit=True)
    with tenant_context(gym_a):
        member = pack_member(1)
        staff = UserFactory(role="manager")
        booking = booking_create(
            member=member, session=ClassSessionFactory(starts_in=timedelta(hours=2))
        )
        booking_cancel(booking=booking)
        booking.refresh_from_db()
        assert booking.status == "late_cancelled" and booking.credit == CreditState.FORFEITED
        assert credit_balance(member) == 0
        forfeit = Penalty.objects.get(booking=booking, kind=PenaltyKind.CREDIT_FORFEIT)
        penalty_waive(penalty=forfeit, by=staff, reason="Train strike")
        booking.refresh_from_db()
        assert booking.credit == CreditState.RETURNED and credit_balance(member) == 1
        assert ledger(booking) == [(-1, "class_booking"), (1, "penalty_waived")]
        # Waiving the strike gives nothing more.
        strike = Penalty.objects.get(booking=booking, kind=PenaltyKind.STRIKE)
        penalty_waive(penalty=strike, by=staff, reason="Train strike")
        assert credit_balance(member) == 1


def test_late_cancel_without_forfeit_gives_it_back(gym_a, policy):
    policy(gym_a, late_cancel_minutes_before=180, late_cancel_forfeits_credit=False)
    with tenant_context(gym_a):
        member = pack_member(1)
        booking = booking_create(
            member=member, session=ClassSessionFactory(starts_in=timedelta(hours=2))
        )
        booking_cancel(booking=booking)
        assert credit_balance(member) == 1
        assert not Penalty.objects.filter(kind=PenaltyKind.CREDIT_FORFEIT).exists()


def test_no_show_forfeits_per_policy_and_a_correction_counts_the_class(gym_a, policy):
    policy(gym_a, no_show_forfeits_credit=True)
    with tenant_context(gym_a):
        member = pack_member(2)
        soon = ClassSessionFactory(starts_in=timedelta(minutes=10))
        booking = booking_create(
            member=member, session=soon, now=timezone.now() - timedelta(hours=1)
        )
        booking_mark_attendance(booking=booking, attended=False, by=None)
        booking.refresh_from_db()
        assert booking.credit == CreditState.FORFEITED and credit_balance(member) == 1
        booking_mark_attendance(booking=booking, attended=True, by=None)  # they were there
        booking.refresh_from_db()
        assert booking.credit == CreditState.SPENT and credit_balance(member) == 1
    policy(gym_a, no_show_forfeits_credit=False)
    with tenant_context(gym_a):
        booking_mark_attendance(booking=booking, attended=False, by=None)
        booking.refresh_from_db()
        assert booking.credit == CreditState.RETURNED and credit_balance(member) == 2
        booking_mark_attendance(booking=booking, attended=True, by=None)
        booking.refresh_from_db()
        assert booking.credit == CreditState.SPENT and credit_balance(member) == 1
        assert [d for d, _r in ledger(booking)] == [-1, 1, -1]


def test_automatic_no_shows_forfeit_too(gym_a, policy):
    policy(gym_a, auto_mark_no_shows=True, no_show_forfeits_credit=True)
    with tenant_context(gym_a):
        member = pack_member(1)
        session = ClassSessionFactory(starts_in=timedelta(days=1))
        booking = booking_create(member=member, session=session)
        ClassSession.objects.filter(pk=session.pk).update(
            starts_at=timezone.now() - timedelta(hours=3),
            ends_at=timezone.now() - timedelta(hours=2),
        )
        assert no_shows_mark_due() == 1
        booking.refresh_from_db()
        assert booking.credit == CreditState.FORFEITED and credit_balance(member) == 0


def test_waitlist_spends_only_on_promotion_and_skips_members_without_credits(gym_a):
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=1, starts_in=timedelta(days=2))
        holder = pack_member(1)
        broke = pack_member(1)
        booking_create(member=broke, session=ClassSessionFactory(starts_in=timedelta(days=3)))
        assert credit_balance(broke) == 0
        waiting = pack_member(1)
        first = booking_create(member=holder, session=session)
        queued_broke = booking_create(member=broke, session=session)  # free to queue
        queued = booking_create(member=waiting, session=session)
        assert queued_broke.status == queued.status == BookingStatus.WAITLISTED
        assert credit_balance(waiting) == 1 and queued.credit == CreditState.NONE
        booking_cancel(booking=first)  # in time: holder gets theirs back
        queued_broke.refresh_from_db()
        queued.refresh_from_db()
        assert queued_broke.status == BookingStatus.WAITLISTED  # skipped: no credit
        assert queued.status == BookingStatus.BOOKED and queued.credit == CreditState.SPENT
        assert credit_balance(waiting) == 0 and credit_balance(holder) == 1
        # Leaving the waitlist costs and returns nothing.
        booking_cancel(booking=queued_broke)
        assert credit_balance(broke) == 0 and ledger(queued_broke) == []


def test_the_gym_cancelling_a_class_gives_credits_back(gym_a):
    with tenant_context(gym_a):
        member = pack_member(1)
        session = ClassSessionFactory(starts_in=timedelta(days=1))
        booking_create(member=member, session=session)
        session_cancel(session=session, reason="Instructor ill")
        assert credit_balance(member) == 1


@pytest.fixture
def committed_credits(committed_gym_a):
    yield committed_gym_a
    with tenant_context(committed_gym_a):
        Booking.objects.all().delete()
        ClassSession.objects.all().delete()
        ClassType.objects.all().delete()
        BookingPolicy.objects.all().delete()
        CreditEntry.objects.all().delete()


RACERS = 10


def test_simultaneous_bookings_with_one_credit_left_book_one(committed_credits):
    """Two (here ten, to make a race likely) bookings of different classes at once with
    one credit left: one place, the others refused with no_credits. (Without the member
    lock in booking_create and credit_spend this fails: checked.)"""
    gym = committed_credits
    with tenant_context(gym):
        member = pack_member(1)
        sessions = [ClassSessionFactory(starts_in=timedelta(hours=2 + d)) for d in range(RACERS)]
        policy = BookingPolicy.load()
        policy.max_per_day = RACERS
        policy.save()
        member.tier = "pro_plus"  # room for ten upcoming bookings
        member.save()
    start = threading.Barrier(RACERS)

    def book(session):
        start.wait(timeout=60)
        try:
            with tenant_context(gym):
                return booking_create(member=member, session=session).status
        except ApplicationError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        outcomes = list(pool.map(book, sessions))
    assert sorted(outcomes) == ["booked"] + ["no_credits"] * (RACERS - 1), outcomes
    with tenant_context(gym):
        assert credit_balance(member) == 0
        assert Booking.objects.filter(member=member).count() == 1
