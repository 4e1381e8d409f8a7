"""Staff pages for classes: week view, roster with attendance, cancel and change a class,
the policy settings page, penalties with waivers; who may do what."""

from datetime import time, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.bookings.models import (
    Booking,
    BookingPolicy,
    Penalty,
    PTSessionType,
    Room,
    TrainerAvailability,
    TrainerProfile,
)
from apps.bookings.services.booking import booking_create
from tests.bookings.factories import ClassSessionFactory, PTBookingFactory
from tests.factories import MemberWithLoginFactory


def test_week_view_shows_the_classes_of_the_week_and_the_nav_link(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(hours=1), capacity=4)
        booking_create(member=MemberWithLoginFactory(), session=session)
        week = session.starts_at.date() - timedelta(days=session.starts_at.weekday())
    response = web(gym_a, owner).get(f"/dashboard/classes/?week={week.isoformat()}")
    assert response.status_code == 200
    page = response.content.decode()
    assert session.class_type.name in page and "1/4" in page
    assert f'href="/dashboard/classes/sessions/{session.pk}/"' in page
    assert 'href="/dashboard/classes/"' in page  # the nav link replaced the placeholder
    assert web(gym_a, owner).get("/dashboard/classes/?week=garbage").status_code == 200
    assert web(gym_a, owner).get("/dashboard/classes/?week=9999-12-31").status_code == 200


def test_member_logins_cannot_open_the_class_pages(gym_a, make_user, web):
    member_user = make_user(gym_a, Role.MEMBER)
    assert web(gym_a, member_user).get("/dashboard/classes/").status_code == 403


def test_trainer_marks_attendance_on_the_roster(gym_a, make_user, web):
    trainer = make_user(gym_a, Role.TRAINER)
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(minutes=10))
        there = booking_create(member=MemberWithLoginFactory(first_name="Present"), session=session)
        away = booking_create(member=MemberWithLoginFactory(first_name="Absent"), session=session)
    client = web(gym_a, trainer)
    roster = client.get(f"/dashboard/classes/sessions/{session.pk}/")
    assert roster.status_code == 200 and b"Present" in roster.content
    url = f"/dashboard/classes/sessions/{session.pk}/"
    assert client.post(url, {"action": "attended", "booking": there.pk}).status_code == 302
    assert client.post(url, {"action": "no_show", "booking": away.pk}).status_code == 302
    with tenant_context(gym_a):
        assert Booking.objects.get(pk=there.pk).status == "attended"
        assert Booking.objects.get(pk=away.pk).status == "no_show"
        assert Penalty.objects.filter(booking=away).exists()
    # Trainers take attendance but do not cancel classes.
    assert client.post(url, {"action": "cancel", "reason": "nope"}).status_code == 403


def test_manager_cancels_a_class_with_a_reason(
    gym_a, make_user, web, django_capture_on_commit_callbacks
):
    manager = make_user(gym_a, Role.MANAGER)
    with tenant_context(gym_a):
        session = ClassSessionFactory()
        member = MemberWithLoginFactory()
        booking_create(member=member, session=session)
    client = web(gym_a, manager)
    url = f"/dashboard/classes/sessions/{session.pk}/"
    assert client.post(url, {"action": "cancel", "reason": ""}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "cancel", "reason": "Storm"}).status_code == 302
    assert [m.to for m in mail.outbox] == [[member.email]]
    with tenant_context(gym_a):
        session.refresh_from_db()
        assert session.status == "cancelled" and session.cancelled_reason == "Storm"


def test_manager_changes_instructor_room_and_capacity(gym_a, make_user, web):
    manager = make_user(gym_a, Role.MANAGER)
    trainer_user = make_user(gym_a, Role.TRAINER)
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=2)
        trainer = TrainerProfile.objects.create(user=trainer_user, display_name="Rafa")
        room = Room.objects.create(name="Blue room", capacity=30)
    url = f"/dashboard/classes/sessions/{session.pk}/"
    response = web(gym_a, manager).post(
        url, {"action": "change", "instructor": trainer.pk, "room": room.pk, "capacity": 12}
    )
    assert response.status_code == 302
    with tenant_context(gym_a):
        session.refresh_from_db()
        assert (session.instructor, session.room, session.capacity) == (trainer, room, 12)


def test_policy_page_saves_and_states_the_rules(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    client = web(gym_a, owner)
    page = client.get("/dashboard/classes/policy/")
    assert page.status_code == 200 and b"waitlist" in page.content
    with tenant_context(gym_a):
        data = {
            k: v
            for k, v in BookingPolicy.load().__dict__.items()
            if not k.startswith("_") and k not in ("id", "updated_at")
        }
    data.update(max_per_day=3, max_active_bookings="", auto_mark_no_shows="")
    data = {k: ("on" if v is True else "" if v is False else v) for k, v in data.items()}
    assert client.post("/dashboard/classes/policy/", data).status_code == 302
    bad = client.post("/dashboard/classes/policy/", {**data, "strikes_to_block": "0"})
    assert bad.status_code == 400
    with tenant_context(gym_a):
        assert BookingPolicy.load().max_per_day == 3
    trainer = make_user(gym_a, Role.TRAINER)
    assert web(gym_a, trainer).get("/dashboard/classes/policy/").status_code == 403


@pytest.mark.parametrize(("reason", "waived"), [("", False), ("Doctor's note", True)])
def test_penalties_are_waived_with_a_reason(gym_a, make_user, web, reason, waived):
    manager = make_user(gym_a, Role.MANAGER)
    with tenant_context(gym_a):
        session = ClassSessionFactory()
        booking = booking_create(
            member=MemberWithLoginFactory(first_name="Struck"), session=session
        )
        penalty = Penalty.objects.create(
            member=booking.member,
            booking=booking,
            kind="strike",
            reason="no_show",
            created_at=session.starts_at,
        )
    client = web(gym_a, manager)
    listing = client.get("/dashboard/classes/penalties/")
    assert listing.status_code == 200 and b"Struck" in listing.content
    response = client.post(f"/dashboard/classes/penalties/{penalty.pk}/waive/", {"reason": reason})
    assert response.status_code == 302
    with tenant_context(gym_a):
        penalty.refresh_from_db()
        assert (penalty.waived_at is not None) is waived
        if waived:
            assert penalty.waived_by == manager and penalty.waiver_reason == reason
    desk = make_user(gym_a, Role.FRONT_DESK)
    assert (
        web(gym_a, desk)
        .post(f"/dashboard/classes/penalties/{penalty.pk}/waive/", {"reason": "x"})
        .status_code
        == 403
    )


def test_admin_lists_every_class_model(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)  # owners get admin access
    with tenant_context(gym_a):
        booking_create(member=MemberWithLoginFactory(), session=ClassSessionFactory())
    client = web(gym_a, owner)
    for model in (
        "room",
        "classtype",
        "trainerprofile",
        "schedule",
        "classsession",
        "closure",
        "booking",
        "penalty",
        "bookingpolicy",
        "calendarfeed",
    ):
        assert client.get(f"/admin/bookings/{model}/", follow=True).status_code == 200, model


def test_trainer_answers_personal_training_requests_on_the_dashboard(
    gym_a, make_user, web, django_capture_on_commit_callbacks
):
    trainer_user = make_user(gym_a, Role.TRAINER)
    other_user = make_user(gym_a, Role.TRAINER)
    with tenant_context(gym_a):
        trainer = TrainerProfile.objects.create(user=trainer_user, display_name="Pia")
        kind = PTSessionType.objects.create(trainer=trainer, name="Mobility hour")
        member = MemberWithLoginFactory(first_name="Requester")
        request = PTBookingFactory(
            member=member,
            session_type=kind,
            starts_at=ClassSessionFactory().starts_at,
            status="requested",
        )
    other = web(gym_a, other_user)
    assert b"Requester" not in other.get("/dashboard/classes/training/").content
    assert other.post("/dashboard/classes/training/", {"booking": request.pk}).status_code == 404
    client = web(gym_a, trainer_user)
    page = client.get("/dashboard/classes/training/")
    assert page.status_code == 200 and b"Requester" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        answered = client.post(
            "/dashboard/classes/training/", {"booking": request.pk, "action": "confirm"}
        )
    assert answered.status_code == 302
    with tenant_context(gym_a):
        request.refresh_from_db()
        assert request.status == "confirmed" and request.decided_by == trainer_user
    assert mail.outbox[-1].to == [member.email]
    manager = web(gym_a, make_user(gym_a, Role.MANAGER))
    assert b"Requester" in manager.get("/dashboard/classes/training/").content


def test_admin_refuses_a_member_login_as_trainer(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    member_user = make_user(gym_a, Role.MEMBER)
    response = web(gym_a, owner).post(
        "/admin/bookings/trainerprofile/add/",
        {
            "user": member_user.pk,
            "display_name": "Not staff",
            "hourly_price": 0,
            "is_active": "on",
            "availability-TOTAL_FORMS": 0,
            "availability-INITIAL_FORMS": 0,
            "time_off-TOTAL_FORMS": 0,
            "time_off-INITIAL_FORMS": 0,
            "session_types-TOTAL_FORMS": 0,
            "session_types-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200 and b"staff account" in response.content
    with tenant_context(gym_a):
        assert not TrainerProfile.objects.exists()


@pytest.mark.parametrize("garbled", ["abc", "12abc", "-1", "9" * 40, ""])
def test_roster_answers_404_for_a_garbled_booking_id(gym_a, make_user, web, garbled):
    trainer = make_user(gym_a, Role.TRAINER)
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(minutes=10))
    url = f"/dashboard/classes/sessions/{session.pk}/"
    response = web(gym_a, trainer).post(url, {"action": "attended", "booking": garbled})
    assert response.status_code == 404


def _hours_post(rows, extra=0):
    data = {
        "form-TOTAL_FORMS": str(len(rows) + extra),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "50",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"form-{i}-{key}"] = value
    return data


def test_trainer_edits_their_own_weekly_hours(gym_a, make_user, web):
    user = make_user(gym_a, Role.TRAINER)
    with tenant_context(gym_a):
        trainer = TrainerProfile.objects.create(user=user, display_name="Tess")
        other = TrainerProfile.objects.create(
            user=make_user(gym_a, Role.TRAINER), display_name="Otto"
        )
        TrainerAvailability.objects.create(
            trainer=trainer, weekday=0, start_time=time(9), end_time=time(12)
        )
        TrainerAvailability.objects.create(
            trainer=other, weekday=0, start_time=time(7), end_time=time(8)
        )
    client = web(gym_a, user)
    page = client.get("/dashboard/classes/my-hours/")
    assert page.status_code == 200 and b'value="09:00"' in page.content
    assert b'value="07:00"' not in page.content  # Otto's hours are not on Tess's page
    assert b"/dashboard/classes/my-hours/" in client.get("/dashboard/classes/training/").content
    saved = client.post(
        "/dashboard/classes/my-hours/",
        _hours_post(
            [
                {"weekday": "0", "start_time": "09:00", "end_time": "12:00", "DELETE": "on"},
                {"weekday": "1", "start_time": "17:00", "end_time": "20:00"},
                {"weekday": "3", "start_time": "06:30", "end_time": "08:00"},
            ],
            extra=1,  # an empty row: ignored
        ),
    )
    assert saved.status_code == 302
    with tenant_context(gym_a):
        mine = list(
            TrainerAvailability.objects.filter(trainer=trainer).values_list(
                "weekday", "start_time", "end_time"
            )
        )
        assert mine == [(1, time(17), time(20)), (3, time(6, 30), time(8))]
        assert TrainerAvailability.objects.filter(trainer=other).count() == 1


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"weekday": "2", "start_time": "10:00", "end_time": "09:00"}], b"ends before"),
        (
            [
                {"weekday": "2", "start_time": "08:00", "end_time": "10:00"},
                {"weekday": "2", "start_time": "09:30", "end_time": "11:00"},
            ],
            b"overlap",
        ),
        ([{"weekday": "2", "start_time": "08:00"}], b"Give the day, the start and the end"),
        ([{"weekday": "9", "start_time": "08:00", "end_time": "09:00"}], b"valid choice"),
        ([{"weekday": "2", "start_time": "8 o'clock", "end_time": "09:00"}], b"valid time"),
    ],
)
def test_bad_hours_are_refused_and_nothing_changes(gym_a, make_user, web, rows, message):

    user = make_user(gym_a, Role.TRAINER)
    with tenant_context(gym_a):
        trainer = TrainerProfile.objects.create(user=user, display_name="Tess")
        TrainerAvailability.objects.create(
            trainer=trainer, weekday=0, start_time=time(9), end_time=time(12)
        )
    response = web(gym_a, user).post("/dashboard/classes/my-hours/", _hours_post(rows))
    assert response.status_code == 400 and message in response.content
    with tenant_context(gym_a):
        assert list(
            TrainerAvailability.objects.filter(trainer=trainer).values_list("weekday", flat=True)
        ) == [0]


def test_hours_page_needs_a_trainer_profile_and_a_staff_login(gym_a, make_user, web):
    front_desk = make_user(gym_a, Role.FRONT_DESK)
    assert web(gym_a, front_desk).get("/dashboard/classes/my-hours/").status_code == 404
    with tenant_context(gym_a):
        member = MemberWithLoginFactory()
    assert web(gym_a, member.user).get("/dashboard/classes/my-hours/").status_code == 403
    assert web(gym_a).get("/dashboard/classes/my-hours/").status_code == 302  # to login


def test_trainer_marks_personal_training_no_shows_with_the_policy(gym_a, make_user, web, policy):
    policy(gym_a, no_show_strike=True, no_show_fee=1500)
    trainer_user = make_user(gym_a, Role.TRAINER)
    with tenant_context(gym_a):
        trainer = TrainerProfile.objects.create(user=trainer_user, display_name="Pia")
        kind = PTSessionType.objects.create(trainer=trainer, name="Strength hour")
        member = MemberWithLoginFactory(first_name="Absent")

        def pt(starts_at, status="confirmed"):
            return PTBookingFactory(
                member=member, session_type=kind, starts_at=starts_at, price=4000, status=status
            )

        started = pt(timezone.now() - timedelta(minutes=20))
        later = pt(timezone.now() + timedelta(hours=3))
        requested = pt(timezone.now() - timedelta(hours=2), status="requested")
    client = web(gym_a, trainer_user)
    page = client.get("/dashboard/classes/training/").content
    assert page.count(b'value="no_show"') == 1  # only the confirmed session that started

    def mark(booking, action):
        return client.post(
            "/dashboard/classes/training/", {"booking": booking.pk, "action": action}
        )

    assert mark(started, "no_show").status_code == 302
    assert mark(later, "no_show").status_code == 302  # refused: not started (message)
    assert mark(requested, "no_show").status_code == 302  # refused: not confirmed
    with tenant_context(gym_a):
        started.refresh_from_db(), later.refresh_from_db(), requested.refresh_from_db()
        assert started.status == "no_show" and started.attendance_marked_by == trainer_user
        assert (later.status, requested.status) == ("confirmed", "requested")
        kinds = sorted(
            Penalty.objects.filter(pt_booking=started, waived_at__isnull=True).values_list(
                "kind", "amount"
            )
        )
        assert kinds == [("fee", 1500), ("strike", 0)]
    # Corrected: they were there after all; the penalties are waived, not deleted.
    assert mark(started, "attended").status_code == 302
    with tenant_context(gym_a):
        started.refresh_from_db()
        assert started.status == "attended"
        assert not Penalty.objects.filter(pt_booking=started, waived_at__isnull=True).exists()
        assert Penalty.objects.filter(pt_booking=started).count() == 2
    # Another trainer may not mark Pia's sessions (they do not even see them).
    other = web(gym_a, make_user(gym_a, Role.TRAINER))
    assert (
        other.post(
            "/dashboard/classes/training/", {"booking": started.pk, "action": "no_show"}
        ).status_code
        == 404
    )
