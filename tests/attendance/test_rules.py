"""The one access-rules service: every grant and every deny reason, replays, codes of
another gym, anti-passback, exits, automatic checkout."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.attendance import codes
from apps.attendance.models import DeniedAttempt, DoorSettings, Visit
from apps.attendance.services import (
    check_in,
    door_settings_update,
    kiosk_revoke,
    kiosk_scan,
    pass_issue_card,
    pass_reset,
    pass_revoke_card,
    visits_auto_checkout,
)
from apps.bookings.models import Booking
from apps.bookings.services.booking import booking_create
from apps.common.errors import ApplicationError
from apps.tenants.opening_hours import DAYS
from tests.attendance.factories import VisitFactory, code_for, set_hours
from tests.bookings.factories import ClassSessionFactory

pytestmark = pytest.mark.django_db


def scan(gym, kiosk, code, key=None, **kwargs):
    with tenant_context(gym):
        return check_in(kiosk=kiosk, code=code, idempotency_key=key, **kwargs)


def test_active_member_with_current_code_is_let_in_and_counted(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    member = make_member(gym_a, first_name="Ines", status="active")
    kiosk, _token = make_kiosk(gym_a)
    result = scan(gym_a, kiosk, code_for(gym_a, member), key="k1")
    assert result["granted"] is True and result["reason"] == "granted"
    assert result["member"]["name"] == member.full_name
    assert result["visits_this_month"] == 1 and result["occupancy"] == 1
    with tenant_context(gym_a):
        visit = Visit.objects.get(member=member)
        assert visit.kiosk == kiosk and visit.method == "qr" and visit.exited_at is None


def test_code_of_the_previous_step_is_still_accepted(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    member = make_member(gym_a)
    kiosk, _ = make_kiosk(gym_a)
    earlier = timezone.now() - timedelta(seconds=codes.STEP_SECONDS)
    assert scan(gym_a, kiosk, code_for(gym_a, member, at=earlier))["granted"]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("", "unknown_code"),
        ("hello", "unknown_code"),
        ("R1.99999.0123456789abcdef01234567", "unknown_code"),
        ("R1." + "9" * 300, "unknown_code"),
    ],
)
def test_unknown_codes_are_refused_and_recorded(open_gyms, make_kiosk, code, reason):
    gym_a, _ = open_gyms
    kiosk, _ = make_kiosk(gym_a)
    result = scan(gym_a, kiosk, code)
    assert result["granted"] is False and result["reason"] == reason and result["member"] is None
    with tenant_context(gym_a):
        attempt = DeniedAttempt.objects.get()
        assert attempt.reason == reason and attempt.kiosk == kiosk
        assert len(attempt.code_presented) <= 24
        assert not Visit.objects.exists()


def test_forged_mac_for_a_real_member_is_unknown(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    member = make_member(gym_a)
    kiosk, _ = make_kiosk(gym_a)
    real = code_for(gym_a, member)
    forged = real[:-1] + ("0" if real[-1] != "0" else "1")
    assert scan(gym_a, kiosk, forged)["reason"] == "unknown_code"


def test_old_code_is_expired(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    member = make_member(gym_a)
    kiosk, _ = make_kiosk(gym_a)
    old = code_for(gym_a, member, at=timezone.now() - timedelta(minutes=5))
    result = scan(gym_a, kiosk, old)
    assert result["reason"] == "expired_code" and result["member"]["id"] == member.pk


def test_printed_card_works_until_cancelled_or_replaced(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    member = make_member(gym_a)
    kiosk, _ = make_kiosk(gym_a, mode="both")
    with tenant_context(gym_a):
        first = pass_issue_card(member=member)
        second = pass_issue_card(member=member)
    assert scan(gym_a, kiosk, first, direction="in")["reason"] == "revoked_code"
    granted = scan(gym_a, kiosk, second, direction="in")
    assert granted["granted"] and granted["reason"] == "granted"
    assert scan(gym_a, kiosk, second, direction="out")["direction"] == "out"
    with tenant_context(gym_a):
        assert Visit.objects.get(member=member).method == "card"
        pass_revoke_card(member=member)
    assert scan(gym_a, kiosk, second, direction="in")["reason"] == "revoked_code"


def test_pass_reset_voids_every_earlier_code(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    member = make_member(gym_a)
    kiosk, _ = make_kiosk(gym_a)
    code = code_for(gym_a, member)
    with tenant_context(gym_a):
        pass_reset(member=member)
    assert scan(gym_a, kiosk, code)["reason"] == "unknown_code"
    assert scan(gym_a, kiosk, code_for(gym_a, member))["granted"]


@pytest.mark.parametrize(
    ("status", "granted"),
    [("active", True), ("trial", True), ("frozen", False), ("cancelled", False), ("lead", False)],
)
def test_only_active_and_trial_members_get_in(open_gyms, make_member, make_kiosk, status, granted):
    gym_a, _ = open_gyms
    member = make_member(gym_a, status=status)
    kiosk, _ = make_kiosk(gym_a)
    result = scan(gym_a, kiosk, code_for(gym_a, member))
    assert result["granted"] is granted
    if not granted:
        assert result["reason"] == "member_not_active"


def test_overdue_payment_is_refused(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    member = make_member(gym_a, payment_overdue=True)
    kiosk, _ = make_kiosk(gym_a)
    assert scan(gym_a, kiosk, code_for(gym_a, member))["reason"] == "payment_overdue"


def test_closed_gym_refuses_entry_but_lets_people_out(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    member = make_member(gym_a)
    entry, _ = make_kiosk(gym_a)
    exit_kiosk, _ = make_kiosk(gym_a, mode="exit", name="Exit")
    assert scan(gym_a, entry, code_for(gym_a, member))["granted"]
    set_hours(gym_a, {})
    other = make_member(gym_a)
    assert scan(gym_a, entry, code_for(gym_a, other))["reason"] == "closed"
    out = scan(gym_a, exit_kiosk, code_for(gym_a, member))
    assert out["granted"] and out["direction"] == "out" and out["occupancy"] == 0


def test_opening_hours_are_read_in_the_gyms_time_zone(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    member = make_member(gym_a)
    kiosk, _ = make_kiosk(gym_a)
    # Open only during the current UTC hour, but the gym is 12 hours away: closed now.
    now = timezone.now()

    start = f"{now.hour:02d}:00"
    end = f"{now.hour + 1:02d}:00" if now.hour < 23 else "24:00"
    hours = {day: [[start, end]] for day in DAYS}
    set_hours(gym_a, hours)
    gym_a.time_zone = "Pacific/Kiritimati"  # UTC+14
    gym_a.save(update_fields=["time_zone"])
    assert scan(gym_a, kiosk, code_for(gym_a, member))["reason"] == "closed"
    gym_a.time_zone = "UTC"
    gym_a.save(update_fields=["time_zone"])
    assert scan(gym_a, kiosk, code_for(gym_a, member))["granted"]


def test_anti_passback_refuses_a_second_entry(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    member = make_member(gym_a)
    kiosk, _ = make_kiosk(gym_a)
    assert scan(gym_a, kiosk, code_for(gym_a, member), key="a")["granted"]
    assert scan(gym_a, kiosk, code_for(gym_a, member), key="b")["reason"] == "already_inside"
    with tenant_context(gym_a):
        assert Visit.objects.filter(member=member).count() == 1


def test_without_anti_passback_reentry_ends_the_earlier_visit(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    member = make_member(gym_a)
    kiosk, _ = make_kiosk(gym_a)
    with tenant_context(gym_a):
        door_settings_update(data={"anti_passback": False})
    assert scan(gym_a, kiosk, code_for(gym_a, member), key="a")["granted"]
    second = scan(gym_a, kiosk, code_for(gym_a, member), key="b")
    assert second["granted"] and second["occupancy"] == 1
    with tenant_context(gym_a):
        visits = list(Visit.objects.filter(member=member).order_by("id"))
        assert len(visits) == 2 and visits[0].exit_method == "reentry"
        assert visits[1].exited_at is None


def test_kiosk_of_an_area_refuses_other_tiers(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    free = make_member(gym_a, tier="free")
    pro = make_member(gym_a, tier="pro")
    spa, _ = make_kiosk(gym_a, name="Spa", allowed_tiers=["pro", "pro_plus"])
    assert scan(gym_a, spa, code_for(gym_a, free))["reason"] == "tier_not_allowed"
    assert scan(gym_a, spa, code_for(gym_a, pro))["granted"]


def test_tier_hours_restrict_a_tier_to_its_times(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    free = make_member(gym_a, tier="free")
    basic = make_member(gym_a, tier="basic")
    kiosk, _ = make_kiosk(gym_a)
    with tenant_context(gym_a):
        door_settings_update(data={"tier_hours": {"free": {}}})  # free: never
    assert scan(gym_a, kiosk, code_for(gym_a, free))["reason"] == "tier_not_allowed"
    assert scan(gym_a, kiosk, code_for(gym_a, basic))["granted"]


def test_bad_tier_hours_are_refused(gym_a):
    with tenant_context(gym_a), pytest.raises(ApplicationError):
        door_settings_update(data={"tier_hours": {"gold": {"mon": [["10:00", "09:00"]]}}})


def test_a_replayed_scan_counts_once_and_gets_the_same_answer(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    member = make_member(gym_a)
    kiosk, _ = make_kiosk(gym_a)
    code = code_for(gym_a, member)
    first = scan(gym_a, kiosk, code, key="offline-1")
    again = scan(gym_a, kiosk, code, key="offline-1")
    assert first["granted"] and again["granted"] and again["replayed"] is True
    assert {k: v for k, v in again.items() if k != "replayed"} == {
        k: v for k, v in first.items() if k != "replayed"
    }
    with tenant_context(gym_a):
        assert Visit.objects.count() == 1 and not DeniedAttempt.objects.exists()


def test_buffered_scan_is_judged_and_dated_at_its_own_time(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    member = make_member(gym_a)
    kiosk, _ = make_kiosk(gym_a)
    then = timezone.now() - timedelta(minutes=20)
    result = scan(
        gym_a, kiosk, code_for(gym_a, member, at=then), key="buf", client_ts=then.isoformat()
    )
    assert result["granted"]
    with tenant_context(gym_a):
        assert abs((Visit.objects.get().entered_at - then).total_seconds()) < 1
    # A timestamp in the future or far in the past counts as now.
    other = make_member(gym_a)
    future = (timezone.now() + timedelta(days=2)).isoformat()
    assert scan(gym_a, kiosk, code_for(gym_a, other), key="f", client_ts=future)["granted"]


def test_a_code_of_gym_b_is_unknown_in_gym_a(open_gyms, make_member, make_kiosk):
    gym_a, gym_b = open_gyms
    member_b = make_member(gym_b)
    # Same id in A too, so only the gym's key tells them apart.
    while True:
        member_a = make_member(gym_a)
        if member_a.pk >= member_b.pk:
            break
    kiosk_a, _ = make_kiosk(gym_a)
    result = scan(gym_a, kiosk_a, code_for(gym_b, member_b))
    assert result["reason"] == "unknown_code" and result["member"] is None
    for gym in (gym_a, gym_b):
        with tenant_context(gym):
            assert not Visit.objects.exists()


def test_exit_kiosk_ends_the_visit_and_both_kiosk_toggles(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    member = make_member(gym_a)
    door, _ = make_kiosk(gym_a, mode="both")
    assert scan(gym_a, door, code_for(gym_a, member), key="1")["direction"] == "in"
    out = scan(gym_a, door, code_for(gym_a, member), key="2")
    assert out["direction"] == "out" and out["occupancy"] == 0
    with tenant_context(gym_a):
        visit = Visit.objects.get()
        assert visit.exit_method == "kiosk" and visit.exited_at is not None


def test_front_desk_check_in_uses_the_same_rules(open_gyms, make_member, make_user):
    gym_a, _ = open_gyms
    desk = make_user(gym_a, "front_desk")
    ok = make_member(gym_a)
    frozen = make_member(gym_a, status="frozen")
    with tenant_context(gym_a):
        assert check_in(member=ok, by=desk)["granted"]
        assert check_in(member=ok, by=desk)["reason"] == "already_inside"
        assert check_in(member=frozen, by=desk)["reason"] == "member_not_active"
        assert Visit.objects.get().checked_in_by == desk
        assert Visit.objects.get().method == "desk"


def test_revoked_kiosk_cannot_scan(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    member = make_member(gym_a)
    kiosk, _ = make_kiosk(gym_a)
    with tenant_context(gym_a):
        kiosk_revoke(kiosk=kiosk)
        assert kiosk_scan(kiosk_id=kiosk.pk, code=code_for(gym_a, member)) is None
        assert not Visit.objects.exists()


def test_auto_checkout_ends_forgotten_visits_once(open_gyms, make_member):
    gym_a, _ = open_gyms
    stale, fresh = make_member(gym_a), make_member(gym_a)
    with tenant_context(gym_a):
        door_settings_update(data={"auto_checkout_hours": 3})
        long_ago = timezone.now() - timedelta(hours=5)
        VisitFactory(member=stale, entered_at=long_ago)
        VisitFactory(member=fresh, entered_at=timezone.now(), method="desk")
        assert visits_auto_checkout() == 1
        assert visits_auto_checkout() == 0
        visit = Visit.objects.get(member=stale)
        assert visit.exit_method == "auto"
        assert visit.exited_at == long_ago + timedelta(hours=3)
        assert Visit.objects.filter(exited_at__isnull=True).count() == 1
        assert DoorSettings.objects.get().auto_checkout_hours == 3


def test_entering_shortly_before_a_booked_class_marks_it_attended(
    open_gyms, make_member, make_kiosk
):
    gym_a, _ = open_gyms
    member = make_member(gym_a, status="active")
    kiosk, _ = make_kiosk(gym_a)
    with tenant_context(gym_a):
        soon = booking_create(
            member=member, session=ClassSessionFactory(starts_in=timedelta(minutes=20))
        )
        later = booking_create(
            member=member, session=ClassSessionFactory(starts_in=timedelta(hours=3))
        )
    assert scan(gym_a, kiosk, code_for(gym_a, member))["granted"]
    with tenant_context(gym_a):
        statuses = dict(Booking.objects.values_list("pk", "status"))
    assert statuses == {soon.pk: "attended", later.pk: "booked"}


def test_counts_in_the_answer_match_the_visits_table(open_gyms, make_member, make_kiosk):
    """The decision computes occupancy and visits this month inside its own statements
    (counts from the statement's snapshot, plus or minus the row it writes): pin them
    against the table with others inside, older visits and every kind of exit."""
    gym_a, _ = open_gyms
    ana, ben, eva = (make_member(gym_a, first_name=n) for n in ("Ana", "Ben", "Eva"))
    door, _ = make_kiosk(gym_a, mode="both")
    now = timezone.now()
    with tenant_context(gym_a):
        # Ana came twice earlier this month (or today, on the 1st) and once last month.
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        for moment in (start, start, start - timedelta(days=3)):
            VisitFactory(member=ana, entered_at=moment, exited_at=moment, method="qr")
        VisitFactory(member=eva, entered_at=now - timedelta(hours=1), method="desk")

    def inside():
        with tenant_context(gym_a):
            return Visit.objects.filter(exited_at__isnull=True).count()

    first = scan(gym_a, door, code_for(gym_a, ana), key="a1", direction="in")
    assert first["granted"] and first["visits_this_month"] == 3
    assert first["occupancy"] == inside() == 2
    second = scan(gym_a, door, code_for(gym_a, ben), key="b1", direction="in")
    assert second["visits_this_month"] == 1 and second["occupancy"] == inside() == 3
    out = scan(gym_a, door, code_for(gym_a, ana), key="a2")  # toggles: Ana leaves
    assert out["direction"] == "out" and out["occupancy"] == inside() == 2
    with tenant_context(gym_a):
        desk = check_in(member=ben, direction="out", kiosk=None)
    # The front desk's check-in of someone inside with anti-passback on is a refusal.
    assert desk["reason"] == "already_inside" and inside() == 2
    with tenant_context(gym_a):
        door_settings_update(data={"anti_passback": False})
        again = check_in(member=ben)
    assert again["granted"] and again["occupancy"] == inside() == 2
    assert again["visits_this_month"] == 2


def test_a_full_gym_refuses_entries_only_when_the_rule_is_on(open_gyms, make_member, make_kiosk):
    gym_a, _ = open_gyms
    ana, ben, eva = (make_member(gym_a, first_name=n) for n in ("Ana", "Ben", "Eva"))
    door, _ = make_kiosk(gym_a, mode="both")
    with tenant_context(gym_a):
        door_settings_update(data={"capacity": 2, "anti_passback": False})
    assert scan(gym_a, door, code_for(gym_a, ana), key="a", direction="in")["granted"]
    assert scan(gym_a, door, code_for(gym_a, ben), key="b", direction="in")["granted"]
    # Capacity alone only informs (busy level): a third person still gets in.
    assert scan(gym_a, door, code_for(gym_a, eva), key="e", direction="in")["granted"]
    assert scan(gym_a, door, code_for(gym_a, eva), key="e2", direction="out")["granted"]
    with tenant_context(gym_a):
        door_settings_update(data={"refuse_when_full": True})
    full = scan(gym_a, door, code_for(gym_a, eva), key="e3", direction="in")
    assert full["granted"] is False and full["reason"] == "full" and "full" in full["message"]
    # Someone already inside re-entering (anti-passback off) takes no new place.
    assert scan(gym_a, door, code_for(gym_a, ana), key="a2", direction="in")["granted"]
    # Leaving frees the place.
    assert scan(gym_a, door, code_for(gym_a, ben), key="b2", direction="out")["granted"]
    assert scan(gym_a, door, code_for(gym_a, eva), key="e4", direction="in")["granted"]
    with tenant_context(gym_a):
        assert DeniedAttempt.objects.filter(reason="full", member=eva).count() == 1
        assert Visit.objects.filter(exited_at__isnull=True).count() == 2
