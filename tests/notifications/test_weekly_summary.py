"""The weekly summary: members with activity in the ISO week get one email on their local
Sunday evening, once per week, with a line per registered section."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from apps.notifications import summary
from apps.notifications.models import Delivery, Notification
from apps.notifications.services import weekly_summaries_send
from apps.notifications.services.summary import sunday_evening_somewhere, week_bounds
from apps.notifications.tasks import tick
from tests.attendance.factories import VisitFactory
from tests.bookings.factories import BookingFactory, ClassSessionFactory
from tests.factories import MemberFactory

# Sunday 13 December 2026 (ISO week 50), 18:00 in Berlin.
SUNDAY_6PM_BERLIN = datetime(2026, 12, 13, 17, 0, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def berlin(gym_a):
    gym_a.time_zone = "Europe/Berlin"  # this object only; the test's transaction rolls back
    return gym_a


def _active(member, *, visits=(), classes=()):
    for at in visits:
        VisitFactory(member=member, entered_at=at, exited_at=at + timedelta(hours=1))
    for at in classes:
        BookingFactory(member=member, status="attended", session=ClassSessionFactory(starts_at=at))


def test_members_with_activity_get_one_summary_on_their_sunday_evening(
    berlin, django_capture_on_commit_callbacks
):
    with tenant_context(berlin):
        busy = MemberFactory(first_name="Busy", email="busy@example.com")
        _active(
            busy, visits=[utc(2026, 12, 7, 8), utc(2026, 12, 9, 17)], classes=[utc(2026, 12, 8, 18)]
        )
        MemberFactory(email="idle@example.com")  # nothing this week: no summary
        last_week = MemberFactory(email="before@example.com")
        _active(last_week, visits=[utc(2026, 12, 6, 12)])  # Sunday of ISO week 49
        new_york = MemberFactory(email="ny@example.com", time_zone="America/New_York")
        _active(new_york, visits=[utc(2026, 12, 10, 15)])
        with django_capture_on_commit_callbacks(execute=True):
            assert weekly_summaries_send(now=SUNDAY_6PM_BERLIN - timedelta(minutes=1)) == 0
            assert weekly_summaries_send(now=SUNDAY_6PM_BERLIN) == 1
            assert weekly_summaries_send(now=SUNDAY_6PM_BERLIN + timedelta(minutes=1)) == 0
            # 18:00 in New York is 23:00 UTC.
            assert weekly_summaries_send(now=utc(2026, 12, 13, 22, 59)) == 0
            assert weekly_summaries_send(now=utc(2026, 12, 13, 23, 0)) == 1
            assert weekly_summaries_send(now=utc(2026, 12, 14, 1)) == 0
        keys = set(Notification.objects.values_list("dedupe_key", flat=True))
        assert keys == {"weekly-summary:2026-W50"}
        # Email only (the kind's channels); the in-app row is the record.
        assert set(Delivery.objects.values_list("channel", flat=True)) == {"email"}
    assert [m.to for m in mail.outbox] == [["busy@example.com"], ["ny@example.com"]]
    first = mail.outbox[0]
    assert first.subject == f"[{berlin.name}] Your week at the gym"
    assert "Hello Busy" in first.body
    assert "7 December to 13 December" in first.body
    assert "- 2 visits to the gym" in first.body and "- 1 class attended" in first.body
    assert "- 1 visit to the gym" in mail.outbox[1].body
    assert "class attended" not in mail.outbox[1].body


def test_a_worker_down_at_six_sends_later_that_evening_but_not_on_monday(berlin):
    with tenant_context(berlin):
        _active(MemberFactory(), visits=[utc(2026, 12, 12, 10)])
        assert weekly_summaries_send(now=utc(2026, 12, 13, 23, 30)) == 0  # Monday in Berlin
        assert weekly_summaries_send(now=utc(2026, 12, 13, 22, 45)) == 1  # 23:45 Sunday


def test_cheap_when_it_is_not_sunday_evening_anywhere(berlin, django_assert_num_queries):
    with tenant_context(berlin):
        _active(MemberFactory(), visits=[utc(2026, 12, 9, 10)])
        with django_assert_num_queries(0):
            assert weekly_summaries_send(now=utc(2026, 12, 9, 18)) == 0  # a Wednesday
            assert weekly_summaries_send(now=utc(2026, 12, 13, 3, 59)) == 0
            assert weekly_summaries_send(now=utc(2026, 12, 14, 12)) == 0


def test_sunday_evening_somewhere_covers_every_zone():
    assert sunday_evening_somewhere(utc(2026, 12, 13, 4))  # 18:00 in Kiritimati (UTC+14)
    assert sunday_evening_somewhere(utc(2026, 12, 14, 11, 59))  # 23:59 at UTC-12
    assert not sunday_evening_somewhere(utc(2026, 12, 13, 3, 59))
    assert not sunday_evening_somewhere(utc(2026, 12, 14, 12))


def test_the_iso_week_is_the_members_local_week():
    start, end = week_bounds(utc(2026, 12, 13, 17), "Europe/Berlin")
    assert start == utc(2026, 12, 6, 23) and end == utc(2026, 12, 13, 23)
    # The week of the spring-forward change is an hour shorter.
    start, end = week_bounds(utc(2026, 3, 29, 17), "Europe/Berlin")
    assert end - start == timedelta(days=7, hours=-1)


def test_a_registered_section_adds_its_line_and_can_make_a_member_active(
    berlin, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(summary, "SECTIONS", dict(summary.SECTIONS))
    with tenant_context(berlin):
        member = MemberFactory(email="goals@example.com")
        summary.register_summary_section(
            "goals",
            collect=lambda start, end: {member.pk: 3},
            line=lambda n: f"{n} goals reached",
            order=5,
        )
        with pytest.raises(ValueError, match="twice"):
            summary.register_summary_section("goals", collect=dict, line=str)
        with django_capture_on_commit_callbacks(execute=True):
            assert weekly_summaries_send(now=SUNDAY_6PM_BERLIN) == 1
    assert "- 3 goals reached" in mail.outbox[0].body


def test_a_broken_section_does_not_stop_the_others(berlin, monkeypatch):
    monkeypatch.setattr(summary, "SECTIONS", dict(summary.SECTIONS))

    def broken(start, end):
        raise RuntimeError("boom")

    summary.register_summary_section("broken", collect=broken, line=str)
    with tenant_context(berlin):
        _active(MemberFactory(), visits=[utc(2026, 12, 9, 10)])
        assert weekly_summaries_send(now=SUNDAY_6PM_BERLIN) == 1


def test_the_tick_drives_it(berlin):
    with tenant_context(berlin):
        _active(MemberFactory(), visits=[utc(2026, 12, 9, 10)])
        # Whatever day the suite runs: the tick reports the count, and never twice.
        first = tick()["weekly_summaries"]
        assert tick()["weekly_summaries"] == 0
        assert first in (0, 1)


def test_the_summary_is_in_the_members_language_else_the_gyms(
    berlin, django_capture_on_commit_callbacks
):
    berlin.default_language = "fr"
    with tenant_context(berlin):
        german = MemberFactory(first_name="Jonas", email="de@example.com", language="de")
        _active(
            german, visits=[utc(2026, 12, 7, 8), utc(2026, 12, 9, 17)], classes=[utc(2026, 12, 8)]
        )
        _active(MemberFactory(email="fr@example.com"), visits=[utc(2026, 12, 10, 8)])
        with django_capture_on_commit_callbacks(execute=True):
            assert weekly_summaries_send(now=SUNDAY_6PM_BERLIN) == 2
    by_to = {m.to[0]: m for m in mail.outbox}
    de, fr = by_to["de@example.com"], by_to["fr@example.com"]
    assert de.subject == f"[{berlin.name}] Deine Woche im Studio"
    assert "Hallo Jonas" in de.body and "Dezember" in de.body
    assert "- 2 Besuche im Studio" in de.body and "- 1 Kurs besucht" in de.body
    assert fr.subject == f"[{berlin.name}] Votre semaine à la salle"
    assert "- 1 visite à la salle" in fr.body
