"""Two walks through the product in a real browser (Debian's chromium driven by Playwright,
as in tests/attendance/test_browser.py), against uvicorn serving the real ASGI app on the
test database, everyone signing in through the real login form:

1. The owner adds a class type and a weekly schedule (today and tomorrow) in the
   dashboard and sees its classes on the week view; a member, in a second browser context,
   books the next one in the member web app and opens the pass; the test reads the QR code
   off the page and scans it over the kiosk WebSocket; the owner's check-ins page, open
   all along, shows the member inside without a reload, and the booking counts as attended.
2. A member uploads a real squat clip on /app/assessments/; the pose pipeline runs (Celery
   eager, as in tests/assessments/test_pipeline.py and in the test settings the server
   runs with) and the member reads the result in words, with no raw metric codes.
"""

import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context
from playwright.sync_api import expect, sync_playwright

from apps.accounts.roles import Role
from apps.assessments.models import Attempt
from apps.attendance.models import DeniedAttempt, DoorSettings, Kiosk
from apps.billing.tiers import Tier
from apps.bookings.cache import timetable_changed
from apps.bookings.models import Booking, BookingStatus, ClassSession, ClassType, Room
from apps.bookings.policy import gym_zone
from tests.assessments.conftest import clip
from tests.attendance.factories import ALWAYS_OPEN, KioskFactory, set_hours
from tests.attendance.qr import decode_qr
from tests.attendance.test_browser import _kiosk_scan
from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_server, watch_csp
from tests.factories import PASSWORD, MemberFactory, MemberWithLoginFactory, UserFactory

CLASS_NAME = "Walk-in HIIT"


@pytest.fixture
def walk_gym(committed_gym_a):
    """Gym A, committed and open around the clock; what the walks made is removed after
    (members and users go with the `committed` fixture)."""
    gym = committed_gym_a
    hours = gym.opening_hours
    set_hours(gym, ALWAYS_OPEN)
    yield gym
    with tenant_context(gym):
        for attempt in Attempt.objects.all():
            attempt.video.delete(save=False)
        Attempt.objects.all().delete()
        Booking.objects.all().delete()
        ClassSession.objects.all().delete()
        ClassType.objects.all().delete()  # and their schedules
        Room.objects.all().delete()
        timetable_changed()
        Kiosk.objects.all().delete()
        DeniedAttempt.objects.all().delete()
        DoorSettings.objects.all().delete()
    set_hours(gym, hours)


@pytest.fixture
def walk_server(walk_gym):
    with running_server() as server:
        yield server


@contextmanager
def _chromium():
    assert Path(CHROMIUM).exists(), "chromium is missing: `make test` installs it (apt-get)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _page(context, problems: list):
    """A new page; its CSP violations and script errors are added to `problems`."""
    page = context.new_page()
    page.set_default_timeout(15_000)
    # The 404 for the automatic /favicon.ico under ASGI drops the session cookie (see
    # tests/attendance/test_browser.py).
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    problems.append(watch_csp(page))  # a list that fills as violations come
    return page


def _reported(problems: list) -> list[str]:
    return [p for item in problems for p in (item if isinstance(item, list) else [item])]


def _log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _in_thread(fn, *args):
    """The ORM off Playwright's thread (its sync API runs an event loop in this one)."""

    def run():
        try:
            return fn(*args)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def _booking_status(gym, member_id: int) -> str:
    with tenant_context(gym):
        return Booking.objects.get(member_id=member_id).status


def test_owner_schedules_a_class_a_member_books_it_and_the_door_lets_them_in(walk_gym, walk_server):
    gym = walk_gym
    base = f"http://gym-a.localhost:{walk_server.port}"
    with tenant_context(gym):
        UserFactory(role=Role.OWNER, email="walk-owner@example.test")
        member = MemberWithLoginFactory(
            first_name="Wanda", last_name="Walker", email="walk-member@example.test"
        )
        _kiosk, kiosk_token = KioskFactory(name="Walk door")
    zone = gym_zone(gym)
    now = timezone.now().astimezone(zone)
    # The class starts in about 20 minutes: today's, or after midnight tomorrow's; within
    # the half hour before a class a check-in marks the booking attended.
    starts = (now + timedelta(minutes=20)).replace(second=0, microsecond=0)
    weekdays = {now.weekday(), (now + timedelta(days=1)).weekday()}
    problems: list = []

    with _chromium() as browser:
        owner = _page(browser.new_context(), problems)
        _log_in(owner, base, "walk-owner@example.test")

        # Set-up: a class type, then a weekly schedule on today's and tomorrow's weekdays.
        owner.goto(f"{base}/dashboard/classes/types/")
        owner.get_by_role("link", name="Add a class type").click()
        owner.fill("#id_name", CLASS_NAME)
        owner.fill("#id_duration_minutes", "45")
        owner.fill("#id_capacity", "12")
        owner.get_by_role("button", name="Save").click()
        expect(owner.get_by_role("link", name=CLASS_NAME)).to_be_visible()
        owner.get_by_role("link", name="Set-up: schedules").click()
        owner.get_by_role("link", name="Add a weekly class").click()
        owner.select_option("#id_class_type", label=CLASS_NAME)
        for day in weekdays:
            owner.check(f"input[name=weekdays][value='{day}']")
        owner.fill("#id_start_time", starts.strftime("%H:%M"))
        owner.get_by_role("button", name="Save and publish").click()
        expect(owner.locator(".messages")).to_contain_text("classes published")
        expect(owner.get_by_role("row", name=CLASS_NAME)).to_contain_text(
            f"at {starts:%H:%M} for 45 min"
        )

        # The week view of the class's day shows it, with no one booked yet.
        owner.goto(f"{base}/dashboard/classes/?week={starts.date().isoformat()}")
        day = owner.locator(f"section.day[data-date='{starts.date().isoformat()}']")
        slot = day.locator("a.slot", has_text=CLASS_NAME)
        expect(slot).to_contain_text(f"{starts:%H:%M}")
        expect(slot).to_contain_text("0/12")

        # The owner keeps the live check-ins page open.
        owner.goto(f"{base}/dashboard/check-ins/")
        status = owner.locator("#occupancy-status")
        expect(status).to_have_text(status.get_attribute("data-live"))
        count = owner.locator("#occupancy-count")
        inside = int(count.inner_text())
        owner.evaluate("window.__notReloaded = true")

        # The member, in a browser of their own, books the class in the app.
        phone = browser.new_context(viewport={"width": 390, "height": 800})
        app = _page(phone, problems)
        _log_in(app, base, "walk-member@example.test")
        app.goto(f"{base}/app/")
        tabbar = app.locator("nav.tabbar")
        tabbar.get_by_role("link", name="Classes").click()
        expect(app.locator("h1")).to_have_text("Classes")
        app.locator(
            f"section[aria-labelledby='day-{starts:%Y%m%d}'] a.class-row", has_text=CLASS_NAME
        ).click()
        expect(app.locator("h1")).to_have_text(CLASS_NAME)
        expect(app.locator(".problems")).to_have_count(0)
        app.get_by_role("button", name="Book my place").click()
        expect(app.locator(".messages")).to_contain_text(f"Booked: {CLASS_NAME}")
        expect(app.get_by_role("heading", name="You have a place in this class")).to_be_visible()

        # Then shows the pass at the door: the kiosk reads the QR code off the screen.
        tabbar.get_by_role("link", name="My pass").click()
        expect(app.locator(".pass-name")).to_have_text("Wanda Walker")
        code = decode_qr(app.locator("#pass-code").inner_html())
        assert code, "the pass shows no readable QR code"
        answer = _kiosk_scan(walk_server.port, kiosk_token, code)
        assert answer["granted"] is True, answer

        # The owner's page follows without a reload.
        expect(count).to_have_text(str(inside + 1), timeout=10_000)
        first = owner.locator("#occupancy-feed li").first
        expect(first).to_contain_text("Wanda Walker")
        expect(first).to_contain_text("Walk door")
        assert owner.evaluate("window.__notReloaded") is True

        # Checked in before the class: the booking is attended, and the member still sees
        # their place in the app.
        assert _in_thread(_booking_status, gym, member.pk) == BookingStatus.ATTENDED
        tabbar.get_by_role("link", name="Classes").click()
        app.get_by_role("link", name="My bookings").click()
        mine = app.locator("a.class-row", has_text=CLASS_NAME)
        expect(mine).to_contain_text("Attended")
        mine.click()
        expect(app.get_by_role("heading", name="You have a place in this class")).to_be_visible()
        expect(app.get_by_role("button", name="Book my place")).to_have_count(0)

    assert _reported(problems) == [], _reported(problems)


RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # depth_pct, knee_valgus_deg, ...


def test_a_member_uploads_a_squat_and_reads_the_result_in_words(walk_gym, walk_server):
    gym = walk_gym
    base = f"http://gym-a.localhost:{walk_server.port}"
    with tenant_context(gym):
        user = UserFactory(role=Role.MEMBER, email="walk-squat@example.test")
        MemberFactory(user=user, first_name="Sam", tier=Tier.PRO)
    problems: list = []

    with _chromium() as browser:
        app = _page(browser.new_context(viewport={"width": 390, "height": 800}), problems)
        _log_in(app, base, "walk-squat@example.test")
        app.goto(f"{base}/app/assessments/")
        expect(app.locator("h1")).to_have_text("My assessments")
        app.select_option("#id_test", label="Overhead squat")
        app.set_input_files("#id_video", str(clip("squat_front_1.mp4")))
        # The pipeline runs within the upload (Celery eager): allow it its time (the
        # click itself waits for the navigation it starts, 15 s by default: too short on
        # a busy machine).
        with app.expect_navigation(timeout=90_000):
            app.get_by_role("button", name="Upload").click(timeout=90_000)
        # The list's status socket heard "processing" while the upload was under way; it
        # must not reload the page then (that aborted the submission and lost this message).
        expect(app.locator(".messages")).to_contain_text("Clip received")
        attempt = app.locator("#attempts li").first
        expect(attempt).to_contain_text("Scored")
        attempt.get_by_role("link").click()

        verdict = app.locator("#verdict")
        expect(verdict).to_be_visible()
        assert verdict.inner_text().strip() in {"Good", "Limited", "Needs work"}, (
            verdict.inner_text()
        )
        measures = app.locator("ul.measures")
        expect(measures).to_contain_text("Squat depth")
        expect(measures.locator("li").first.locator(".verdict")).not_to_be_empty()
        text = app.locator("main").inner_text()
        assert not RAW_CODE.findall(text), RAW_CODE.findall(text)
        assert "depth_pct" not in app.content()
    assert _reported(problems) == [], _reported(problems)
