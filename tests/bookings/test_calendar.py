"""The private calendar feed, read back with the `icalendar` parser: which events it holds
(UIDs, times, summaries, status), how text is escaped, how long lines fold."""

from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context
from icalendar import Calendar

from apps.accounts.roles import Role
from apps.bookings.models import (
    ClassSession,
    PTSessionType,
    Room,
    SessionStatus,
    TrainerProfile,
)
from apps.bookings.services import booking_create, calendar_feed_for, session_cancel
from apps.tenants.middleware import gym_cache_clear
from apps.tenants.models import Gym
from tests.bookings.factories import BookingFactory, ClassSessionFactory, PTBookingFactory
from tests.factories import MemberWithLoginFactory, UserFactory


def _feed(web, gym, user) -> tuple[bytes, Calendar]:
    with tenant_context(gym):
        token = calendar_feed_for(user=user).token
    response = web(gym).get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    return response.content, Calendar.from_ical(response.content)


def _events(calendar: Calendar) -> dict[str, dict]:
    return {
        str(e["UID"]): {
            "start": e.decoded("DTSTART"),
            "end": e.decoded("DTEND"),
            "summary": str(e["SUMMARY"]),
            "status": str(e["STATUS"]),
            "location": str(e.get("LOCATION", "")),
        }
        for e in calendar.walk("VEVENT")
    }


@pytest.fixture
def trainer(gym_a):
    with tenant_context(gym_a):
        user = UserFactory(role=Role.TRAINER, email="marta@example.test")
        return TrainerProfile.objects.create(user=user, display_name="Marta")


def test_member_feed_holds_places_waitlist_cancelled_classes_and_pt(gym_a, web, trainer):
    now = timezone.now()
    with tenant_context(gym_a):
        schema = connection.schema_name
        member = MemberWithLoginFactory(tier="pro")
        room = Room.objects.create(name="Studio 1", capacity=20)
        booked = ClassSessionFactory(starts_in=timedelta(days=1), room=room)
        booking_create(member=member, session=booked)
        full = ClassSessionFactory(starts_in=timedelta(days=2), capacity=1)
        booking_create(member=MemberWithLoginFactory(), session=full)
        waiting = booking_create(member=member, session=full, join_waitlist=True)
        called_off = ClassSessionFactory(starts_in=timedelta(days=3))
        off_booking = booking_create(member=member, session=called_off)
        ClassSession.objects.filter(pk=called_off.pk).update(status=SessionStatus.CANCELLED)
        too_late = ClassSessionFactory(starts_in=timedelta(days=200))
        BookingFactory(member=member, session=too_late)  # past the booking window
        kind = PTSessionType.objects.create(trainer=trainer, name="PT hour", price=0)
        start = (now + timedelta(days=4)).replace(microsecond=0)
        pt = PTBookingFactory(member=member, session_type=kind, starts_at=start)
        place = booked.bookings.get(member=member)
    raw, calendar = _feed(web, gym_a, member.user)
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["X-WR-CALNAME"]) == gym_a.name
    events = _events(calendar)
    assert set(events) == {
        f"booking-{place.pk}@{schema}",
        f"booking-{waiting.pk}@{schema}",
        f"booking-{off_booking.pk}@{schema}",
        f"pt-{pt.pk}@{schema}",
    }  # not the class 200 days ahead
    mine = events[f"booking-{place.pk}@{schema}"]
    assert (mine["start"], mine["end"]) == (
        booked.starts_at.replace(microsecond=0),
        booked.ends_at.replace(microsecond=0),
    )
    assert mine["status"] == "CONFIRMED" and mine["location"] == "Studio 1"
    assert mine["summary"] == booked.class_type.name
    queued = events[f"booking-{waiting.pk}@{schema}"]
    assert queued["status"] == "TENTATIVE"
    assert queued["summary"] == f"{full.class_type.name} (waitlist)"
    assert events[f"booking-{off_booking.pk}@{schema}"]["status"] == "CANCELLED"
    session = events[f"pt-{pt.pk}@{schema}"]
    assert session["summary"] == "PT hour · Marta" and session["status"] == "CONFIRMED"
    assert session["start"] == start and session["location"] == ""


def test_trainer_feed_holds_the_classes_they_teach_cancelled_ones_marked(gym_a, web, trainer):
    with tenant_context(gym_a):
        schema = connection.schema_name
        taught = ClassSessionFactory(starts_in=timedelta(days=1), instructor=trainer)
        dropped = ClassSessionFactory(starts_in=timedelta(days=2), instructor=trainer)
        session_cancel(session=dropped, reason="Coach ill")
        ClassSessionFactory(starts_in=timedelta(days=1))  # someone else's
    _raw, calendar = _feed(web, gym_a, trainer.user)
    events = _events(calendar)
    assert set(events) == {f"session-{taught.pk}@{schema}", f"session-{dropped.pk}@{schema}"}
    assert events[f"session-{taught.pk}@{schema}"]["status"] == "CONFIRMED"
    assert events[f"session-{dropped.pk}@{schema}"]["status"] == "CANCELLED"


def test_text_is_escaped_and_long_lines_fold_whole_characters(gym_a, web):
    name = "Yoga, flow; calm\\ Ω\nÉtirements " + "é" * 25 + " 🧘 fin"
    with tenant_context(gym_a):
        member = MemberWithLoginFactory()
        session = ClassSessionFactory()
        session.class_type.name = name
        session.class_type.save()
        booking_create(member=member, session=session)
    raw, calendar = _feed(web, gym_a, member.user)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == name
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode()  # no line ends in the middle of a character's bytes
    summary = [i for i, line in enumerate(lines) if line.startswith(b"SUMMARY:")][0]
    assert lines[summary + 1].startswith(b" ")  # folded onto a continuation line
    unfolded = raw.replace(b"\r\n ", b"").decode()
    assert "SUMMARY:Yoga\\, flow\\; calm\\\\ Ω\\nÉtirements " in unfolded


def test_times_are_written_in_utc_whatever_the_gyms_time_zone(gym_a, web):
    Gym.objects.filter(pk=gym_a.pk).update(time_zone="America/New_York")
    gym_cache_clear()  # the request must see the gym's new zone
    with tenant_context(gym_a):
        member = MemberWithLoginFactory()
        session = ClassSessionFactory(
            starts_at=timezone.now().replace(microsecond=0, tzinfo=UTC) + timedelta(days=1)
        )
        booking_create(member=member, session=session)
    raw, calendar = _feed(web, gym_a, member.user)
    start = session.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{start}\r\n".encode() in raw
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTSTAMP").utcoffset() == timedelta(0)
