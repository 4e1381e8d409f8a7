"""A real browser on the member app's notification settings: Debian's chromium (Playwright)
with notification permission granted clicks "Turn on push". The page subscribes through the
service worker with the gym's VAPID key and registers the subscription with the devices
API (session cookie + CSRF header); "Turn off push" deletes it again.

Headless Chromium subscribes at its own push service (Google's FCM web push endpoint); on a
machine without network that fails (AbortError: push service error). The test then checks
the page's failure path instead: the error is said in words, the button offers to try
again, and nothing was stored. The server side of a successful registration is covered in
tests/notifications/test_member_pages.py."""

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context
from playwright.sync_api import expect, sync_playwright

from apps.notifications.models import Device
from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_server, watch_csp
from tests.factories import MemberWithLoginFactory
from tests.notifications.pushkit import _KEYS


@pytest.fixture
def push_server(committed_gym_a):
    with running_server(VAPID_PUBLIC_KEY=_KEYS[0], VAPID_PRIVATE_KEY=_KEYS[1]) as server:
        yield server


def _devices_now(gym) -> list[Device]:
    try:
        with tenant_context(gym):
            return list(Device.objects.all())
    finally:
        connection.close()


def _devices(gym) -> list[Device]:
    # Playwright's sync API runs an event loop in this thread: the ORM goes to another.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_devices_now, gym).result()


def test_turn_on_push_in_the_member_app(committed_gym_a, push_server):
    assert Path(CHROMIUM).exists(), "chromium is missing: `make test` installs it (apt-get)"
    gym = committed_gym_a
    with tenant_context(gym):
        member = MemberWithLoginFactory(first_name="Pushy")
    client = Client(HTTP_HOST="gym-a.localhost")
    with tenant_context(gym):
        client.force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    base = f"http://gym-a.localhost:{push_server.port}"

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            browser.grant_permissions(["notifications"], origin=base)
            browser.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": session,
                        "domain": "gym-a.localhost",
                        "path": "/",
                    }
                ]
            )
            page = browser.new_page()
            page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
            csp_violations = watch_csp(page)
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "/app/inbox/preferences/")
            status = page.locator("#push-status")
            button = page.locator("#push-toggle")
            expect(status).to_have_text("Push is off for this device.", timeout=15_000)
            expect(button).to_have_text("Turn on push")

            button.click()
            expect(page.locator("#push")).not_to_have_attribute(
                "data-state", "working", timeout=60_000
            )
            state = page.locator("#push").get_attribute("data-state")
            if state == "on":
                expect(status).to_have_text("Push is on for this device.")
                devices = _devices(gym)
                assert len(devices) == 1 and devices[0].member_id == member.pk
                button.click()
                expect(status).to_have_text("Push is off for this device.", timeout=30_000)
                assert _devices(gym) == []
            else:
                # No push service reachable (offline): said in words, nothing stored.
                assert state == "off"
                expect(status).to_have_text(
                    "That did not work. Check your connection and try again."
                )
                expect(button).to_have_text("Turn on push")
                assert _devices(gym) == []
                print("push: chromium could not subscribe (no push service offline)")
            assert csp_violations == [] and errors == []
        finally:
            browser.close()
