"""Personal training: slots, requests (confirmed by the trainer or automatically), the same
policy engine for cancellations; trainer matching with reasons; private calendar feeds."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.bookings.models import (
    Penalty,
    PTBooking,
    PTSessionType,
    TrainerAvailability,
    TrainerProfile,
    TrainerTimeOff,
)
from apps.bookings.services.booking import booking_create
from tests.bookings.factories import ClassSessionFactory
from tests.factories import MemberWithLoginFactory, UserFactory


def _next(weekday: int, hour: int) -> datetime:
    """The next given weekday (UTC gym) at hour:00, at least a day ahead."""
    now = timezone.now()
    day = (now + timedelta(days=1)).date()
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _trainer(name="Marta", **kwargs) -> TrainerProfile:
    user = UserFactory(role=Role.TRAINER, email=f"{name.lower()}@example.test")
    trainer = TrainerProfile.objects.create(user=user, display_name=name, **kwargs)
    for weekday in range(7):
        TrainerAvailability.objects.create(
            trainer=trainer, weekday=weekday, start_time=time(9), end_time=time(12)
        )
    return trainer


@pytest.fixture
def pt(gym_a):
    with tenant_context(gym_a):
        trainer = _trainer()
        hour = PTSessionType.objects.create(trainer=trainer, name="PT hour", price=5000)
        auto = PTSessionType.objects.create(
            trainer=trainer, name="Quick check", duration_minutes=30, auto_confirm=True
        )
        member = MemberWithLoginFactory(tier="pro")
    return {"trainer": trainer, "hour": hour, "auto": auto, "member": member}


def test_slots_skip_time_off_classes_and_other_sessions(gym_a, api, pt):
    monday = _next(0, 9)
    with tenant_context(gym_a):
        TrainerTimeOff.objects.create(
            trainer=pt["trainer"], starts_at=monday, ends_at=monday + timedelta(hours=1)
        )
        ClassSessionFactory(starts_at=monday + timedelta(hours=2), instructor=pt["trainer"])
    day = monday.date().isoformat()
    response = api(gym_a, pt["member"].user).get(
        f"/api/v1/trainers/{pt['trainer'].pk}/slots/?session_type={pt['hour'].pk}"
        f"&from={day}&to={day}"
    )
    assert response.status_code == 200
    # 09-12 open, 09-10 off, 11-12 a class: only 10:00 fits an hour.
    assert response.json()["slots"] == [(monday + timedelta(hours=1)).isoformat()]


def test_request_waits_for_the_trainer_who_confirms(
    gym_a, api, pt, django_capture_on_commit_callbacks
):
    start = _next(2, 10)
    member_api = api(gym_a, pt["member"].user)
    with django_capture_on_commit_callbacks(execute=True):
        made = member_api.post(
            "/api/v1/pt-bookings/",
            {"session_type": pt["hour"].pk, "starts_at": start.isoformat(), "note": "knees"},
        )
    assert made.status_code == 201 and made.json()["status"] == "requested"
    assert mail.outbox[-1].to == [pt["trainer"].user.email]
    taken = api(gym_a, new_member_in(gym_a)).post(
        "/api/v1/pt-bookings/", {"session_type": pt["hour"].pk, "starts_at": start.isoformat()}
    )
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "slot_taken"
    trainer_api = api(gym_a, pt["trainer"].user)
    assert [b["id"] for b in trainer_api.get("/api/v1/pt-bookings/").json()["results"]] == [
        made.json()["id"]
    ]
    refused = member_api.post(f"/api/v1/pt-bookings/{made.json()['id']}/decide/", {"confirm": True})
    assert refused.status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = trainer_api.post(
            f"/api/v1/pt-bookings/{made.json()['id']}/decide/", {"confirm": True}
        )
    assert confirmed.json()["status"] == "confirmed"
    assert mail.outbox[-1].to == [pt["member"].email]


def new_member_in(gym):
    with tenant_context(gym):
        return MemberWithLoginFactory(tier="pro").user


def test_auto_confirmed_types_and_the_rules(gym_a, api, pt):
    client = api(gym_a, pt["member"].user)
    ok = client.post(
        "/api/v1/pt-bookings/",
        {"session_type": pt["auto"].pk, "starts_at": _next(3, 11).isoformat()},
    )
    assert ok.status_code == 201 and ok.json()["status"] == "confirmed"
    outside = client.post(
        "/api/v1/pt-bookings/",
        {"session_type": pt["hour"].pk, "starts_at": _next(3, 15).isoformat()},
    )
    assert outside.json()["error"]["code"] == "outside_hours"
    free_tier = api(gym_a, _free_member(gym_a)).post(
        "/api/v1/pt-bookings/",
        {"session_type": pt["hour"].pk, "starts_at": _next(4, 9).isoformat()},
    )
    assert free_tier.json()["error"]["code"] == "tier_required"
    naive = client.post(
        "/api/v1/pt-bookings/", {"session_type": pt["hour"].pk, "starts_at": "2030-01-01"}
    )
    assert naive.status_code in (400, 409)


def _free_member(gym):
    with tenant_context(gym):
        return MemberWithLoginFactory(tier="free").user


def test_late_pt_cancel_follows_the_class_policy(gym_a, api, pt, policy):
    policy(gym_a, late_cancel_minutes_before=48 * 60, late_cancel_strike=True)
    client = api(gym_a, pt["member"].user)
    made = client.post(
        "/api/v1/pt-bookings/",
        {"session_type": pt["auto"].pk, "starts_at": _next(5, 9).isoformat()},
    ).json()
    cancelled = client.post(f"/api/v1/pt-bookings/{made['id']}/cancel/")
    assert cancelled.status_code == 200
    with tenant_context(gym_a):
        booking = PTBooking.objects.get(pk=made["id"])
        late = booking.starts_at - timezone.now() < timedelta(hours=48)
        assert booking.status == ("late_cancelled" if late else "cancelled")
        assert Penalty.objects.filter(pt_booking=booking).exists() is late


def test_match_ranks_trainers_with_reasons(gym_a, api, pt):
    with tenant_context(gym_a):
        pt["trainer"].specialties = ["mobility", "strength"]
        pt["trainer"].languages = ["es", "en"]
        pt["trainer"].hourly_price = 4000
        pt["trainer"].rating = 4.5
        pt["trainer"].save()
        other = _trainer("Otto", specialties=["yoga"], languages=["de"], hourly_price=9000)
        other.availability.all().delete()
    body = {
        "goals": ["Strength", "weight loss"],
        "language": "es",
        # 09-13 Madrid is 08-12 UTC in winter, 07-11 in summer: partly in Marta's 09-12 UTC.
        "availability": [{"weekday": 1, "start": "09:00", "end": "13:00"}],
        "time_zone": "Europe/Madrid",
        "budget": 5000,
    }
    response = api(gym_a, pt["member"].user).post("/api/v1/trainers/match/", body, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["trainer"]["display_name"] for r in results] == ["Marta", "Otto"]
    best = results[0]
    assert best["parts"]["goals"] == 0.5 and best["parts"]["language"] == 1.0
    assert best["parts"]["availability"] in (0.5, 0.75)
    assert any("strength" in r.lower() for r in best["reasons"])
    assert any("budget" in r for r in results[1]["reasons"])
    bad = api(gym_a, pt["member"].user).post(
        "/api/v1/trainers/match/", {"time_zone": "Mars/Olympus"}, format="json"
    )
    assert bad.status_code == 400


def test_calendar_feed_lists_bookings_and_rotating_revokes_the_url(gym_a, api, web, pt):
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(days=1))
        session.class_type.name = "Yoga, flow; calm"
        session.class_type.save()
        booking_create(member=pt["member"], session=session)
    client = api(gym_a, pt["member"].user)
    url = client.get("/api/v1/calendar-feed/").json()["url"]
    path = url.split("localhost", 1)[1]
    feed = web(gym_a).get(path)  # no login: the token is the key
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    text = feed.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and "SUMMARY:Yoga\\, flow\\; calm" in text
    assert "DTSTART:" in text and text.count("BEGIN:VEVENT") == 1
    new_url = client.post("/api/v1/calendar-feed/").json()["url"]
    assert new_url != url
    assert web(gym_a).get(path).status_code == 404
    trainer_feed = api(gym_a, pt["trainer"].user).get("/api/v1/calendar-feed/").json()["url"]
    assert web(gym_a).get(trainer_feed.split("localhost", 1)[1]).status_code == 200
