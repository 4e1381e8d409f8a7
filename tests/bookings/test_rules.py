"""The booking rules: capacity and waitlist, promotion, cutoffs, windows, limits, tiers,
late cancels and no-shows, strikes, blocks and waivers."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.bookings.models import Booking, BookingStatus, Penalty, PenaltyKind
from apps.bookings.policy import blocked_until
from apps.bookings.selectors import waitlist_position
from apps.bookings.services.booking import (
    booking_cancel,
    booking_create,
    booking_link_visit,
    booking_mark_attendance,
    penalty_waive,
)
from apps.common.errors import ApplicationError
from tests.bookings.factories import BookingFactory, ClassSessionFactory
from tests.factories import MemberWithLoginFactory, UserFactory


def codes(exc_info) -> list[str]:
    return [p["code"] for p in exc_info.value.details.get("problems", [])] or [exc_info.value.code]


def test_full_class_puts_members_on_the_waitlist_in_order(gym_a):
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=2)
        members = [MemberWithLoginFactory() for _ in range(4)]
        bookings = [booking_create(member=m, session=session) for m in members]
        assert [b.status for b in bookings] == ["booked", "booked", "waitlisted", "waitlisted"]
        assert [waitlist_position(b) for b in bookings[2:]] == [1, 2]


def test_full_class_without_waitlist_is_refused(gym_a):
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=1)
        booking_create(member=MemberWithLoginFactory(), session=session)
        with pytest.raises(ApplicationError) as exc:
            booking_create(member=MemberWithLoginFactory(), session=session, join_waitlist=False)
        assert exc.value.code == "class_full"


def test_waitlisted_member_is_promoted_when_a_spot_frees(gym_a, django_capture_on_commit_callbacks):
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=1, starts_in=timedelta(days=2))
        first, second, third = (
            MemberWithLoginFactory(),
            MemberWithLoginFactory(),
            MemberWithLoginFactory(),
        )
        booked = booking_create(member=first, session=session)
        waiting = booking_create(member=second, session=session)
        booking_create(member=third, session=session)
        with django_capture_on_commit_callbacks(execute=True):
            booking_cancel(booking=booked)
        waiting.refresh_from_db()
        assert waiting.status == BookingStatus.BOOKED and waiting.promoted_at is not None
        assert Booking.objects.get(member=third, session=session).status == "waitlisted"
        assert waitlist_position(Booking.objects.get(member=third, session=session)) == 1
        assert [m.to for m in mail.outbox] == [[second.email]]
        assert session.class_type.name in mail.outbox[0].body


def test_promotion_skips_a_member_who_may_no_longer_book(gym_a):
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=1, required_tier="basic")
        first = MemberWithLoginFactory(tier="basic")
        lapsed = MemberWithLoginFactory(tier="basic")
        eligible = MemberWithLoginFactory(tier="pro")
        booked = booking_create(member=first, session=session)
        booking_create(member=lapsed, session=session)
        booking_create(member=eligible, session=session)
        lapsed.tier = "free"
        lapsed.save()
        booking_cancel(booking=booked)
        statuses = dict(Booking.objects.filter(session=session).values_list("member", "status"))
        assert statuses[lapsed.pk] == "waitlisted"
        assert statuses[eligible.pk] == "booked"


def test_leaving_the_waitlist_moves_the_others_up_and_costs_nothing(gym_a, policy):
    policy(gym_a, late_cancel_minutes_before=24 * 60)
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=1, starts_in=timedelta(hours=3))
        booking_create(member=MemberWithLoginFactory(), session=session)
        leaving = booking_create(member=MemberWithLoginFactory(), session=session)
        staying = booking_create(member=MemberWithLoginFactory(), session=session)
        assert waitlist_position(staying) == 2
        booking_cancel(booking=leaving)
        leaving.refresh_from_db()
        assert leaving.status == BookingStatus.CANCELLED
        assert waitlist_position(staying) == 1
        assert not Penalty.objects.exists()


def test_waitlist_closes_at_the_cutoff(gym_a, policy):
    policy(gym_a, waitlist_closes_minutes_before=60)
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=1, starts_in=timedelta(hours=2))
        booking_create(member=MemberWithLoginFactory(), session=session)
        start = session.starts_at
        ok = booking_create(
            member=MemberWithLoginFactory(), session=session, now=start - timedelta(minutes=61)
        )
        assert ok.status == "waitlisted"
        with pytest.raises(ApplicationError) as exc:
            booking_create(
                member=MemberWithLoginFactory(), session=session, now=start - timedelta(minutes=60)
            )
        assert codes(exc) == ["waitlist_closed"]


def test_no_promotion_after_the_waitlist_cutoff(gym_a, policy):
    policy(gym_a, waitlist_closes_minutes_before=60, late_cancel_minutes_before=0)
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=1, starts_in=timedelta(hours=2))
        booked = booking_create(member=MemberWithLoginFactory(), session=session)
        waiting = booking_create(member=MemberWithLoginFactory(), session=session)
        booking_cancel(booking=booked, now=session.starts_at - timedelta(minutes=30))
        waiting.refresh_from_db()
        assert waiting.status == "waitlisted"
        # The free place can still be booked directly until booking closes.
        late = booking_create(
            member=MemberWithLoginFactory(),
            session=session,
            now=session.starts_at - timedelta(minutes=5),
        )
        assert late.status == "booked"


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(days=7, seconds=1), "window_not_open"),  # a second before it opens
        (timedelta(days=7), None),  # the moment it opens
        (timedelta(minutes=15, seconds=1), None),  # a second before it closes
        (timedelta(minutes=15), "window_closed"),  # the moment it closes
    ],
)
def test_booking_window_edges(gym_a, policy, offset, expected):
    policy(gym_a, opens_days_before=7, closes_minutes_before=15)
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(days=10))
        now = session.starts_at - offset
        if expected is None:
            assert (
                booking_create(member=MemberWithLoginFactory(), session=session, now=now).status
                == "booked"
            )
        else:
            with pytest.raises(ApplicationError) as exc:
                booking_create(member=MemberWithLoginFactory(), session=session, now=now)
            assert codes(exc) == [expected]


def test_class_for_a_higher_tier_is_refused(gym_a):
    with tenant_context(gym_a):
        session = ClassSessionFactory(required_tier="pro")
        with pytest.raises(ApplicationError) as exc:
            booking_create(member=MemberWithLoginFactory(tier="basic"), session=session)
        assert codes(exc) == ["tier_required"]
        assert "Pro" in exc.value.message
        assert (
            booking_create(member=MemberWithLoginFactory(tier="pro_plus"), session=session).status
            == "booked"
        )


def test_inactive_membership_cannot_book(gym_a):
    with tenant_context(gym_a):
        with pytest.raises(ApplicationError) as exc:
            booking_create(
                member=MemberWithLoginFactory(status="frozen"), session=ClassSessionFactory()
            )
        assert codes(exc) == ["membership_inactive"]


def test_upcoming_bookings_are_limited_by_tier_and_policy(gym_a, policy):
    policy(gym_a, max_per_day=10)
    with tenant_context(gym_a):
        member = MemberWithLoginFactory(tier="free")  # the free tier holds 2 upcoming bookings
        booking_create(member=member, session=ClassSessionFactory(starts_in=timedelta(days=1)))
        booking_create(member=member, session=ClassSessionFactory(starts_in=timedelta(days=2)))
        with pytest.raises(ApplicationError) as exc:
            booking_create(member=member, session=ClassSessionFactory(starts_in=timedelta(days=3)))
        assert codes(exc) == ["too_many_bookings"]
    policy(gym_a, max_active_bookings=1)
    with tenant_context(gym_a):
        pro = MemberWithLoginFactory(tier="pro")
        booking_create(member=pro, session=ClassSessionFactory(starts_in=timedelta(days=1)))
        with pytest.raises(ApplicationError) as exc:
            booking_create(member=pro, session=ClassSessionFactory(starts_in=timedelta(days=2)))
        assert codes(exc) == ["too_many_bookings"]


def test_classes_per_day_are_limited(gym_a, policy):
    policy(gym_a, max_per_day=1)
    with tenant_context(gym_a):
        member = MemberWithLoginFactory(tier="pro")
        first = ClassSessionFactory(starts_in=timedelta(days=2))
        booking_create(member=member, session=first)
        same_day = ClassSessionFactory(starts_at=first.starts_at + timedelta(minutes=1))
        with pytest.raises(ApplicationError) as exc:
            booking_create(member=member, session=same_day)
        assert codes(exc) == ["daily_limit"]
        next_day = ClassSessionFactory(starts_at=first.starts_at + timedelta(days=1))
        assert booking_create(member=member, session=next_day).status == "booked"


def test_a_member_cannot_hold_two_places_in_one_class(gym_a):
    with tenant_context(gym_a):
        session, member = ClassSessionFactory(), MemberWithLoginFactory(tier="pro")
        booking_create(member=member, session=session)
        with pytest.raises(ApplicationError) as exc:
            booking_create(member=member, session=session)
        assert "already_booked" in codes(exc)
        # The database refuses it too, whatever the code path.
        with pytest.raises(IntegrityError), transaction.atomic():
            BookingFactory(member=member, session=session, status="waitlisted")


def test_cancelled_member_may_book_again(gym_a):
    with tenant_context(gym_a):
        session, member = ClassSessionFactory(starts_in=timedelta(days=3)), MemberWithLoginFactory()
        booking_cancel(booking=booking_create(member=member, session=session))
        assert booking_create(member=member, session=session).status == "booked"


def test_cancelling_early_is_free_and_late_costs_what_the_policy_says(gym_a, policy):
    policy(gym_a, late_cancel_minutes_before=120, late_cancel_fee=500, late_cancel_strike=True)
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(hours=5))
        early = booking_create(member=MemberWithLoginFactory(), session=session)
        late = booking_create(member=MemberWithLoginFactory(), session=session)
        booking_cancel(booking=early, now=session.starts_at - timedelta(minutes=121))
        booking_cancel(booking=late, now=session.starts_at - timedelta(minutes=120))
        early.refresh_from_db()
        late.refresh_from_db()
        assert early.status == "cancelled" and late.status == "late_cancelled"
        given = sorted(Penalty.objects.filter(member=late.member).values_list("kind", "amount"))
        assert given == [("fee", 500), ("strike", 0)]
        assert not Penalty.objects.filter(member=early.member).exists()


def test_a_started_class_cannot_be_cancelled(gym_a):
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(hours=1))
        booking = booking_create(member=MemberWithLoginFactory(), session=session)
        with pytest.raises(ApplicationError) as exc:
            booking_cancel(booking=booking, now=session.starts_at + timedelta(minutes=1))
        assert exc.value.code == "session_started"


def _late_cancel(member, when):
    session = ClassSessionFactory(starts_at=when + timedelta(minutes=30))
    booking = booking_create(member=member, session=session, now=when - timedelta(minutes=1))
    booking_cancel(booking=booking, now=when)


def test_three_strikes_in_the_window_block_booking_for_the_block_days(gym_a, policy):
    policy(
        gym_a,
        strikes_to_block=3,
        strike_window_days=30,
        block_days=7,
        max_per_day=10,
        late_cancel_minutes_before=60,
    )
    with tenant_context(gym_a):
        member = MemberWithLoginFactory(tier="pro_plus")
        start = timezone.now() - timedelta(days=20)
        # Two strikes 40 days apart never make a block...
        _late_cancel(member, start - timedelta(days=40))
        _late_cancel(member, start)
        assert blocked_until(member=member, policy=policy(gym_a), now=start) is None
        # ...a third within 30 days of the second does: blocked for 7 days from it.
        third = start + timedelta(days=10)
        _late_cancel(member, third)
        p = policy(gym_a)
        assert Penalty.objects.filter(member=member, kind="strike").count() == 3
        # Counted from the third strike: two in the window (the first is 50 days older).
        assert blocked_until(member=member, policy=p, now=third) is None
        _late_cancel(member, third + timedelta(hours=1))
        until = blocked_until(member=member, policy=p, now=third + timedelta(hours=2))
        assert until == third + timedelta(hours=1, days=7)
        session = ClassSessionFactory(starts_at=third + timedelta(days=1))
        with pytest.raises(ApplicationError) as exc:
            booking_create(member=member, session=session, now=third + timedelta(hours=2))
        assert codes(exc) == ["blocked"]
        # After the block ends booking works again.
        assert blocked_until(member=member, policy=p, now=until) is None


def test_a_waiver_lifts_the_block_and_records_who_and_why(gym_a, policy):
    policy(gym_a, strikes_to_block=1, block_days=7, late_cancel_minutes_before=24 * 60)
    with tenant_context(gym_a):
        manager = UserFactory(role=Role.MANAGER)
        member = MemberWithLoginFactory()
        session = ClassSessionFactory(starts_in=timedelta(hours=10))
        booking_cancel(booking=booking_create(member=member, session=session))
        with pytest.raises(ApplicationError) as exc:
            booking_create(member=member, session=ClassSessionFactory(starts_in=timedelta(days=1)))
        assert codes(exc) == ["blocked"]
        strike = Penalty.objects.get(member=member, kind=PenaltyKind.STRIKE)
        with pytest.raises(ApplicationError) as exc:
            penalty_waive(penalty=strike, by=manager, reason="   ")
        assert exc.value.code == "reason_required"
        penalty_waive(penalty=strike, by=manager, reason="Flat tyre, told us by phone")
        strike.refresh_from_db()
        assert strike.waived_by == manager and strike.waived_at is not None
        assert strike.waiver_reason == "Flat tyre, told us by phone"
        with pytest.raises(ApplicationError) as exc:
            penalty_waive(penalty=strike, by=manager, reason="again")
        assert exc.value.code == "already_waived"
        assert booking_create(
            member=member, session=ClassSessionFactory(starts_in=timedelta(days=1))
        )


def test_no_show_gets_penalties_and_correcting_it_waives_them(gym_a, policy):
    policy(gym_a, no_show_strike=True, no_show_fee=1000)
    with tenant_context(gym_a):
        trainer = UserFactory(role=Role.TRAINER)
        session = ClassSessionFactory(starts_in=timedelta(hours=1))
        booking = booking_create(member=MemberWithLoginFactory(), session=session)
        with pytest.raises(ApplicationError) as exc:
            booking_mark_attendance(
                booking=booking,
                attended=False,
                by=trainer,
                now=session.starts_at - timedelta(minutes=31),
            )
        assert exc.value.code == "too_early"
        after = session.ends_at
        booking_mark_attendance(booking=booking, attended=False, by=trainer, now=after)
        booking.refresh_from_db()
        assert booking.status == "no_show" and booking.attendance_marked_by == trainer
        assert Penalty.objects.filter(booking=booking, waived_at__isnull=True).count() == 2
        booking_mark_attendance(booking=booking, attended=True, by=trainer, now=after)
        booking.refresh_from_db()
        assert booking.status == "attended"
        assert not Penalty.objects.filter(booking=booking, waived_at__isnull=True).exists()
        assert set(Penalty.objects.filter(booking=booking).values_list("waived_by", flat=True)) == {
            trainer.pk
        }


def test_a_door_visit_shortly_before_class_marks_the_booking_attended(gym_a):
    with tenant_context(gym_a):
        member = MemberWithLoginFactory()
        session = ClassSessionFactory(starts_in=timedelta(minutes=10))
        booking = booking_create(member=member, session=session)
        too_early = session.starts_at - timedelta(hours=2)
        assert booking_link_visit(member=member, entered_at=too_early) is None
        linked = booking_link_visit(member=member, entered_at=timezone.now())
        assert linked.pk == booking.pk and linked.status == "attended"
        assert booking_link_visit(member=member, entered_at=timezone.now()) is None  # once


def test_taking_attendance_before_class_does_not_free_places(gym_a, policy):
    policy(gym_a, waitlist_closes_minutes_before=0)
    with tenant_context(gym_a):
        trainer = UserFactory(role=Role.TRAINER)
        session = ClassSessionFactory(capacity=1, starts_in=timedelta(minutes=20))
        member = MemberWithLoginFactory()
        booking = booking_create(member=member, session=session)
        booking_mark_attendance(booking=booking, attended=True, by=trainer)
        assert (
            booking_create(member=MemberWithLoginFactory(), session=session).status == "waitlisted"
        )
        with pytest.raises(ApplicationError) as exc:
            booking_create(member=member, session=session)
        assert "already_booked" in codes(exc)


def test_admin_capacity_change_promotes_the_waitlist_and_refuses_too_few(
    gym_a, make_user, web, django_capture_on_commit_callbacks
):
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=1, starts_in=timedelta(days=2))
        booking_create(member=MemberWithLoginFactory(), session=session)
        waiting = booking_create(member=MemberWithLoginFactory(), session=session)
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    path = f"/admin/bookings/classsession/{session.pk}/change/"
    form = client.get(path).context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    for name in ("starts_at", "ends_at"):
        moment = timezone.localtime(form.initial[name])
        data[f"{name}_0"], data[f"{name}_1"] = moment.date(), moment.time()
        data.pop(name, None)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, {**data, "capacity": 2}, follow=True)
    assert response.status_code == 200
    with tenant_context(gym_a):
        waiting.refresh_from_db()
        assert waiting.status == BookingStatus.BOOKED and waiting.promoted_at is not None
        session.refresh_from_db()
        assert session.capacity == 2
    refused = client.post(path, {**data, "capacity": 1}, follow=True)
    assert b"2 members are already booked" in refused.content
    with tenant_context(gym_a):
        session.refresh_from_db()
        assert session.capacity == 2
        assert Booking.objects.filter(session=session, status=BookingStatus.BOOKED).count() == 2
