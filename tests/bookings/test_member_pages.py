"""Classes in the member web app (/app/classes/): the timetable in the gym's clock, one class
with the policy in words before booking, book / waitlist / cancel by POST (then a
redirect), my bookings with the calendar feed, the home card; errors in words."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.bookings.models import Booking, BookingStatus, CalendarFeed, ClassSession, Penalty
from apps.bookings.services import booking_create, booking_link_visit, session_cancel
from tests.bookings.factories import ClassSessionFactory
from tests.factories import MemberWithLoginFactory


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _post(client, url, data=None):
    """POST, check it redirects (PRG), and return the page it redirects to."""
    response = client.post(url, data or {})
    assert response.status_code == 302, response.status_code
    return _page(client, response["Location"])


@pytest.fixture
def member(gym_a):
    with tenant_context(gym_a):
        return MemberWithLoginFactory(first_name="Kiri")


@pytest.fixture
def auckland(gym_a):
    # German: 24-hour times, so a UTC clock could not hide in "9:37 p.m.".
    gym_a.time_zone, gym_a.default_language = "Pacific/Auckland", "de"
    gym_a.save(update_fields=["time_zone", "default_language"])
    return gym_a


def test_the_timetable_lists_two_weeks_day_by_day_in_the_gyms_clock(auckland, web, member):
    start = (timezone.now() + timedelta(days=1)).replace(minute=37, second=0, microsecond=0)
    local, utc = start.astimezone(ZoneInfo("Pacific/Auckland")), start.astimezone(ZoneInfo("UTC"))
    with tenant_context(auckland):
        session = ClassSessionFactory(starts_at=start, ends_at=start + timedelta(hours=1))
        session.class_type.name = "Kettlebell Flow"
        session.class_type.save()
        far = ClassSessionFactory(starts_in=timedelta(days=20))
        far.class_type.name = "Far Away Class"
        far.class_type.save()
        cancelled = ClassSessionFactory(starts_in=timedelta(days=2))
        session_cancel(session=cancelled, reason="Coach ill")
    html = _page(web(auckland, member.user), "/app/classes/")
    assert "Kettlebell Flow" in html and f"/app/classes/{session.pk}/" in html
    assert local.strftime("%H:%M") in html and utc.strftime("%H:%M") not in html
    assert "Noch 10 Plätze frei" in html  # "10 spots left", in the gym's German
    assert "Far Away Class" not in html  # beyond next week
    assert f'class="class-row cancelled" href="/app/classes/{cancelled.pk}/"' in html
    assert 'href="/app/classes/" aria-current="page"' in html  # the Classes tab


def test_the_class_page_states_the_policy_in_words_before_booking(gym_a, web, member, policy):
    policy(gym_a, late_cancel_minutes_before=90, late_cancel_strike=True, strikes_to_block=2)
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(days=2))
    html = _page(web(gym_a, member.user), f"/app/classes/{session.pk}/")
    assert "Please read before you book" in html
    assert "Cancelling less than 90 minutes before the class counts as late: a strike." in html
    assert "2 strikes within 30 days block booking for 7 days." in html
    assert html.index("counts as late") < html.index("Book my place")  # read before confirming
    assert 'name="intent" value="book"' in html


def test_a_member_books_and_cancels_through_the_pages(gym_a, web, member):
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(days=2))
    client = web(gym_a, member.user)
    html = _post(client, f"/app/classes/{session.pk}/book/", {"intent": "book"})
    assert "Booked:" in html
    with tenant_context(gym_a):
        booking = Booking.objects.get(member=member, session=session)
    assert booking.status == "booked"
    # Before cancelling, the page says until when it is free and what late costs.
    assert "Before you cancel:" in html and "Cancelling is free until" in html
    assert "counts as late: a strike" in html
    assert f"/app/classes/bookings/{booking.pk}/cancel/" in html
    html = _post(client, f"/app/classes/bookings/{booking.pk}/cancel/")
    assert "Your booking is cancelled." in html
    with tenant_context(gym_a):
        booking.refresh_from_db()
        assert booking.status == "cancelled"
        assert not Penalty.objects.filter(member=member).exists()
    assert "Book my place" in html  # can book again


def test_a_late_cancel_is_announced_before_and_gets_the_policys_strike(gym_a, web, member):
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(minutes=60))
        booking = booking_create(member=member, session=session)
    client = web(gym_a, member.user)
    html = _page(client, f"/app/classes/{session.pk}/")
    assert "starts in less than 120 minutes, so cancelling now counts as late: a strike." in html
    html = _post(client, f"/app/classes/bookings/{booking.pk}/cancel/")
    assert "late cancel" in html
    with tenant_context(gym_a):
        booking.refresh_from_db()
        assert booking.status == "late_cancelled"
        assert Penalty.objects.filter(member=member, kind="strike").count() == 1


def test_a_full_class_offers_the_waitlist_and_leaving_it_is_free(gym_a, web, member):
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=1, starts_in=timedelta(days=1))
        booking_create(member=MemberWithLoginFactory(), session=session)
    client = web(gym_a, member.user)
    html = _page(client, f"/app/classes/{session.pk}/")
    assert "This class is full" in html and "Join the waitlist" in html
    assert 'value="waitlist"' in html
    # A member who asked for a place (the page was old) is told, not queued.
    html = _post(client, f"/app/classes/{session.pk}/book/", {"intent": "book"})
    assert "This class is full." in html
    with tenant_context(gym_a):
        assert not Booking.objects.filter(member=member).exists()
    html = _post(client, f"/app/classes/{session.pk}/book/", {"intent": "waitlist"})
    assert "You are on the waitlist" in html and "(number 1)" in html
    assert "You are number 1 on the waitlist" in html
    assert "Leaving the waitlist is free." in html
    assert "Waitlist #1" in _page(client, "/app/classes/mine/")
    with tenant_context(gym_a):
        entry = Booking.objects.get(member=member)
        assert entry.status == "waitlisted"
    html = _post(client, f"/app/classes/bookings/{entry.pk}/cancel/")
    assert "You have left the waitlist." in html
    with tenant_context(gym_a):
        entry.refresh_from_db()
        assert entry.status == "cancelled"


def test_a_class_the_member_may_not_book_says_why(gym_a, web, member):
    with tenant_context(gym_a):
        pro = ClassSessionFactory(required_tier="pro", starts_in=timedelta(days=1))
    client = web(gym_a, member.user)
    html = _page(client, f"/app/classes/{pro.pk}/")
    assert "This class needs the Pro membership or higher." in html
    assert "Book my place" not in html
    html = _post(client, f"/app/classes/{pro.pk}/book/", {"intent": "book"})
    assert "This class needs the Pro membership or higher." in html
    with tenant_context(gym_a):
        assert not Booking.objects.filter(member=member).exists()


def test_a_cancelled_class_says_so_and_cannot_be_booked(gym_a, web, member):
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(days=1))
        session_cancel(session=session, reason="Coach ill")
    client = web(gym_a, member.user)
    html = _page(client, f"/app/classes/{session.pk}/")
    assert "This class has been cancelled." in html and "Coach ill" in html
    assert "Book my place" not in html
    html = _post(client, f"/app/classes/{session.pk}/book/", {"intent": "book"})
    assert html.count("This class has been cancelled.") >= 2  # the message and the page
    with tenant_context(gym_a):
        assert not Booking.objects.filter(member=member).exists()


def test_unknown_ids_and_other_peoples_bookings_are_404(gym_a, gym_b, web, member):
    with tenant_context(gym_b):
        other_gym_session = ClassSessionFactory()
    with tenant_context(gym_a):
        assert not ClassSession.objects.filter(pk=other_gym_session.pk).exists()
        session = ClassSessionFactory()
        someone_elses = booking_create(member=MemberWithLoginFactory(), session=session)
    client = web(gym_a, member.user)
    assert client.get(f"/app/classes/{other_gym_session.pk}/").status_code == 404
    assert client.post(f"/app/classes/{other_gym_session.pk}/book/").status_code == 404
    assert client.get("/app/classes/99999999999999999999/").status_code == 404  # > bigint
    assert client.post(f"/app/classes/bookings/{someone_elses.pk}/cancel/").status_code == 404
    with tenant_context(gym_a):
        someone_elses.refresh_from_db()
        assert someone_elses.status == "booked"
    assert client.get(f"/app/classes/{session.pk}/book/").status_code == 405  # POST only


@pytest.mark.parametrize("url", ["/app/classes/", "/app/classes/mine/", "/app/classes/{session}/"])
def test_anonymous_visitors_log_in_and_staff_go_to_the_dashboard(
    gym_a, web, make_user, make_session, url
):
    session = make_session(gym_a)
    url = url.format(session=session.pk)
    assert web(gym_a).get(url)["Location"].startswith(f"/accounts/login/?next={url}")
    assert web(gym_a, make_user(gym_a, Role.OWNER)).get(url)["Location"] == "/dashboard/"
    refused = web(gym_a).post(f"/app/classes/{session.pk}/book/")
    assert refused.status_code == 302 and refused["Location"].startswith("/accounts/login/")


def test_my_bookings_lists_upcoming_and_past_with_the_calendar_address(gym_a, web, member):
    with tenant_context(gym_a):
        soon = ClassSessionFactory(starts_in=timedelta(days=1))
        soon.class_type.name = "Upcoming Spin"
        soon.class_type.save()
        booking_create(member=member, session=soon)
        past = ClassSessionFactory(starts_in=timedelta(days=-3))
        past.class_type.name = "Past Pilates"
        past.class_type.save()
        Booking.objects.create(member=member, session=past, status="attended")
    client = web(gym_a, member.user)
    html = _page(client, "/app/classes/mine/")
    assert html.index("Upcoming Spin") < html.index("Recent classes") < html.index("Past Pilates")
    assert "Attended" in html
    with tenant_context(gym_a):
        token = CalendarFeed.objects.get(member=member).token
    assert f"http://gym-a.localhost/calendar/{token}.ics" in html
    assert f'href="webcal://gym-a.localhost/calendar/{token}.ics"' in html
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    html = _post(client, "/app/classes/calendar/new/")
    assert "The old one no longer works" in html
    with tenant_context(gym_a):
        new = CalendarFeed.objects.get(member=member).token
    assert new != token and new in html
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_the_home_card_shows_the_next_booked_class_or_invites_to_book(gym_a, web, member):
    client = web(gym_a, member.user)
    html = _page(client, "/app/")
    assert "Book a class" in html and 'href="/app/classes/"' in html
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(days=1))
        session.class_type.name = "Morning Yoga"
        session.class_type.save()
        booking_create(member=member, session=session)
    html = _page(client, "/app/")
    assert "Your next class" in html and "Morning Yoga" in html
    assert f'href="/app/classes/{session.pk}/"' in html


def test_a_member_checked_in_before_the_class_still_sees_their_place(gym_a, web, api, member):
    """The door marks a booking attended when the member checks in up to 30 minutes before
    the class (booking_link_visit). Until the class starts, their pages still show the
    place: on my bookings, the class page (no "book" offer, no cancel), the timetable, the
    home card and the app's timetable."""
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(minutes=20))
        session.class_type.name = "Early Bird Spin"
        session.class_type.save()
        booking = booking_create(member=member, session=session)
        assert booking_link_visit(member=member, entered_at=timezone.now()).pk == booking.pk
        booking.refresh_from_db()
        assert booking.status == BookingStatus.ATTENDED
    client = web(gym_a, member.user)
    mine = _page(client, "/app/classes/mine/")
    assert "Early Bird Spin" in mine and "Attended" in mine
    page = _page(client, f"/app/classes/{session.pk}/")
    assert "You have a place in this class" in page
    assert "Book my place" not in page and "Cancel my booking" not in page
    timetable = _page(client, "/app/classes/")
    assert 'class-row mine"' in timetable and "Attended" in timetable
    home = _page(client, "/app/")
    assert "Your next class" in home and "Early Bird Spin" in home
    rows = api(gym_a, member.user).get("/api/v1/classes/sessions/").json()["results"]
    assert [r["my_booking"] for r in rows if r["id"] == session.pk] == [
        {"id": booking.pk, "status": "attended"}
    ]
