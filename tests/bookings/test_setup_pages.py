"""The classes set-up pages: class types, rooms, schedules (sessions published at once),
editing one session, substituting its trainer and booking a member in from the roster;
who may do what."""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.bookings.models import Booking, ClassSession, ClassType, Room, Schedule, TrainerProfile
from apps.bookings.services import booking_create
from tests.bookings.factories import ClassSessionFactory, ClassTypeFactory
from tests.factories import MemberWithLoginFactory, UserFactory

AUCKLAND = ZoneInfo("Pacific/Auckland")
PAGES = [
    "/dashboard/classes/types/",
    "/dashboard/classes/types/new/",
    "/dashboard/classes/rooms/",
    "/dashboard/classes/rooms/new/",
    "/dashboard/classes/schedules/",
    "/dashboard/classes/schedules/new/",
]


@pytest.fixture
def auckland(gym_a):
    gym_a.time_zone = "Pacific/Auckland"
    gym_a.save(update_fields=["time_zone"])
    return gym_a


def _trainer(gym, name="Tama"):
    with tenant_context(gym):
        user = UserFactory(role=Role.TRAINER)
        return TrainerProfile.objects.create(user=user, display_name=name)


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.OWNER, 200), (Role.MANAGER, 200), (Role.TRAINER, 403), (Role.FRONT_DESK, 403)],
)
def test_set_up_pages_are_for_owners_and_managers(url, role, status, gym_a, make_user, web):
    assert web(gym_a, make_user(gym_a, role)).get(url).status_code == status


def _schedule_body(kind, **changes):
    body = {
        "class_type": kind.pk,
        "weekdays": ["0", "2", "4"],
        "start_time": "18:00",
        "duration_minutes": "60",
        "starts_on": timezone.now().astimezone(AUCKLAND).date().isoformat(),
    }
    body.update(changes)
    return body


def test_a_schedule_made_in_the_form_shows_on_the_week_view_at_once(auckland, make_user, web):
    owner = make_user(auckland, Role.OWNER)
    with tenant_context(auckland):
        class_type = ClassTypeFactory(name="Kiwi HIIT", capacity=12)
    client = web(auckland, owner)
    response = client.post("/dashboard/classes/schedules/new/", _schedule_body(class_type))
    assert response.status_code == 302
    with tenant_context(auckland):
        schedule = Schedule.objects.get()
        assert schedule.rrule == "FREQ=WEEKLY;BYDAY=MO,WE,FR"
        sessions = list(ClassSession.objects.filter(schedule=schedule))
        assert sessions
        first = sessions[0]
        local = first.starts_at.astimezone(AUCKLAND)
        assert (local.hour, local.minute) == (18, 0)
        assert local.weekday() in (0, 2, 4)
        assert first.ends_at - first.starts_at == timedelta(minutes=60)
    week = client.get(f"/dashboard/classes/?week={local.date().isoformat()}").content.decode()
    assert "Kiwi HIIT" in week and "<strong>18:00</strong>" in week
    listing = client.get("/dashboard/classes/schedules/").content.decode()
    assert "Mon, Wed, Fri at 18:00 for 60 min" in listing


def test_a_double_submit_does_not_duplicate_sessions(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):
        class_type = ClassTypeFactory()
    client = web(gym_a, owner)
    body = _schedule_body(class_type)
    assert client.post("/dashboard/classes/schedules/new/", body).status_code == 302
    with tenant_context(gym_a):
        count = ClassSession.objects.count()
    again = client.post("/dashboard/classes/schedules/new/", body)
    assert again.status_code == 400 and b"already exists" in again.content
    with tenant_context(gym_a):
        assert Schedule.objects.count() == 1 and ClassSession.objects.count() == count


@pytest.mark.parametrize(
    "changes",
    [
        {"weekdays": []},
        {"weekdays": ["9"]},
        {"ends_on": "2000-01-01"},
        {"capacity": "0"},
        {"duration_minutes": "100000"},
        {"start_time": "25:99"},
        {"starts_on": "x" * 5000},
        {"instructor": "999999"},
        {"room": "999999"},
        {"class_type": "999999"},
    ],
)
def test_bad_schedule_input_stores_nothing(changes, gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):
        class_type = ClassTypeFactory()
    body = _schedule_body(class_type, **changes)
    response = web(gym_a, owner).post("/dashboard/classes/schedules/new/", body)
    assert response.status_code == 400
    with tenant_context(gym_a):
        assert not Schedule.objects.exists() and not ClassSession.objects.exists()


def test_another_gyms_trainer_and_room_are_refused(gym_a, gym_b, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    trainer_b = _trainer(gym_b)
    with tenant_context(gym_b):
        room_b = Room.objects.create(name="B room", capacity=5)
    with tenant_context(gym_a):
        class_type = ClassTypeFactory()
        assert not TrainerProfile.objects.filter(pk=trainer_b.pk).exists()
        assert not Room.objects.filter(pk=room_b.pk).exists()
    client = web(gym_a, owner)
    for field, value in (("instructor", trainer_b.pk), ("room", room_b.pk)):
        body = _schedule_body(class_type, **{field: value})
        assert client.post("/dashboard/classes/schedules/new/", body).status_code == 400
    with tenant_context(gym_a):
        assert not Schedule.objects.exists()


def test_editing_a_schedule_moves_unbooked_sessions_and_keeps_booked_ones(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):
        class_type = ClassTypeFactory(capacity=5)
    client = web(gym_a, owner)
    body = _schedule_body(class_type, weekdays=[str(d) for d in range(7)], start_time="07:00")
    body["starts_on"] = timezone.localdate().isoformat()
    client.post("/dashboard/classes/schedules/new/", body)
    with tenant_context(gym_a):
        schedule = Schedule.objects.get()
        booked = ClassSession.objects.filter(
            schedule=schedule, starts_at__gt=timezone.now() + timedelta(days=1)
        ).first()
        booking_create(member=MemberWithLoginFactory(), session=booked)
    response = client.post(
        f"/dashboard/classes/schedules/{schedule.pk}/", {**body, "start_time": "08:30"}, follow=True
    )
    assert response.status_code == 200
    assert b"kept as it was" in response.content
    with tenant_context(gym_a):
        old_start = booked.starts_at
        booked.refresh_from_db()
        assert booked.schedule_id == schedule.pk and booked.starts_at == old_start
        future = ClassSession.objects.filter(schedule=schedule, starts_at__gt=timezone.now())
        times = {
            s.starts_at.astimezone(ZoneInfo(gym_a.time_zone or "UTC")).time()
            for s in future
            if s.pk != booked.pk
        }
        assert times == {time(8, 30)}
        assert Booking.objects.filter(session=booked, status="booked").count() == 1


def test_stopping_a_schedule_removes_its_unbooked_sessions(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):
        class_type = ClassTypeFactory()
    client = web(gym_a, owner)
    client.post("/dashboard/classes/schedules/new/", _schedule_body(class_type))
    with tenant_context(gym_a):
        schedule = Schedule.objects.get()
    assert client.post(f"/dashboard/classes/schedules/{schedule.pk}/stop/").status_code == 302
    with tenant_context(gym_a):
        schedule.refresh_from_db()
        assert not schedule.is_active
        assert not ClassSession.objects.filter(
            schedule=schedule, starts_at__gt=timezone.now()
        ).exists()


def test_class_types_and_rooms_are_made_edited_and_a_used_room_is_not_deleted(
    gym_a, make_user, web
):
    client = web(gym_a, make_user(gym_a, Role.MANAGER))
    assert (
        client.post("/dashboard/classes/rooms/new/", {"name": "Loft", "capacity": "15"}).status_code
        == 302
    )
    with tenant_context(gym_a):
        room = Room.objects.get(name="Loft")
    body = {
        "name": "Pilates",
        "description": "Core",
        "duration_minutes": "50",
        "capacity": "10",
        "level": "all",
        "room": room.pk,
        "required_tier": "free",
        "is_active": "on",
    }
    assert client.post("/dashboard/classes/types/new/", body).status_code == 302
    dup = client.post("/dashboard/classes/types/new/", {**body, "name": "pilates"})
    assert dup.status_code == 400 and b"already exists" in dup.content
    huge = client.post("/dashboard/classes/types/new/", {**body, "name": "x" * 5000})
    assert huge.status_code == 400
    with tenant_context(gym_a):
        pilates = ClassType.objects.get(name="Pilates")
    off = {**body}
    off.pop("is_active")
    assert client.post(f"/dashboard/classes/types/{pilates.pk}/", off).status_code == 302
    refused = client.post(f"/dashboard/classes/rooms/{room.pk}/delete/", follow=True)
    assert b"move them to another room first" in refused.content
    with tenant_context(gym_a):
        pilates.refresh_from_db()
        assert not pilates.is_active and Room.objects.filter(pk=room.pk).exists()
        assert ClassType.objects.count() == 1


def test_substitute_and_move_tell_booked_members_once(
    gym_a, make_user, web, django_capture_on_commit_callbacks
):
    manager = make_user(gym_a, Role.MANAGER)
    sub = _trainer(gym_a, "Substitute Sam")
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(days=2))
        member = MemberWithLoginFactory()
        booking_create(member=member, session=session)
    client = web(gym_a, manager)
    url = f"/dashboard/classes/sessions/{session.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "substitute", "instructor": sub.pk}).status_code == 302
        assert client.post(url, {"action": "substitute", "instructor": sub.pk}).status_code == 302
    assert len(mail.outbox) == 1 and "Substitute Sam" in mail.outbox[0].body
    with tenant_context(gym_a):
        session.refresh_from_db()
        assert session.instructor_id == sub.pk
    local = session.starts_at.astimezone(ZoneInfo(gym_a.time_zone or "UTC")) + timedelta(hours=1)
    move = {
        "action": "change",
        "day": local.date().isoformat(),
        "start_time": local.strftime("%H:%M"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, move).status_code == 302
        assert client.post(url, move).status_code == 302
    assert len(mail.outbox) == 2 and "now starts" in mail.outbox[1].body
    # A trainer may not substitute.
    trainer = make_user(gym_a, Role.TRAINER)
    assert (
        web(gym_a, trainer).post(url, {"action": "substitute", "instructor": sub.pk}).status_code
        == 403
    )


def test_front_desk_books_a_member_in_and_hears_when_already_booked(gym_a, make_user, web, policy):
    desk = make_user(gym_a, Role.FRONT_DESK)
    policy(gym_a, opens_days_before=1)
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(days=3))  # window not open yet
        member = MemberWithLoginFactory(first_name="Wiremu")
    client = web(gym_a, desk)
    url = f"/dashboard/classes/sessions/{session.pk}/"
    search = client.get(url + "?q=Wiremu")
    assert b"Book Wiremu" in search.content
    booked = client.post(url, {"action": "book", "member": member.pk}, follow=True)
    assert b"is booked in" in booked.content
    again = client.post(url, {"action": "book", "member": member.pk}, follow=True)
    assert b"already has a place" in again.content
    assert client.post(url, {"action": "book", "member": "abc"}).status_code == 404
    with tenant_context(gym_a):
        assert Booking.objects.filter(session=session, member=member).count() == 1
    trainer = make_user(gym_a, Role.TRAINER)
    assert web(gym_a, trainer).post(url, {"action": "book", "member": member.pk}).status_code == 403
