"""A real browser on the live occupancy page: Debian's chromium (driven by Playwright)
opens the staff page served by uvicorn (the real ASGI app, on the test database), a kiosk
scans over a real WebSocket from this test, and the counter and feed change without a
reload. The same browser walks the other kinds of page (dashboard, admin, API docs) and
no page may break the Content-Security-Policy: any violation fails the test."""

import json
import socket
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context
from playwright.sync_api import expect, sync_playwright
from websockets.sync.client import connect as ws_connect

from apps.accounts.roles import Role
from apps.attendance.services import check_in
from apps.members.services import member_create
from tests.assessments.factories import AttemptFactory
from tests.attendance.factories import code_for
from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_server, watch_csp
from tests.factories import MemberFactory, UserFactory


@pytest.fixture
def asgi_server(door_committed):
    with running_server() as server:
        yield server


def _desk_check_in(gym, member) -> dict:
    try:
        with tenant_context(gym):
            return check_in(member=member)
    finally:
        connection.close()


def _kiosk_scan(port: int, token: str, code: str) -> dict:
    # Python here does not resolve *.localhost: connect to loopback, speak to the gym host.
    host = f"gym-a.localhost:{port}"
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    with ws_connect(f"ws://{host}/ws/kiosk/", sock=sock, origin=f"http://{host}") as ws:
        ws.send(json.dumps({"type": "hello", "token": token}))
        assert json.loads(ws.recv(timeout=10))["type"] == "config"
        ws.send(json.dumps({"type": "scan", "code": code, "idempotency_key": str(uuid.uuid4())}))
        return json.loads(ws.recv(timeout=10))


def test_occupancy_page_follows_a_kiosk_scan_live(asgi_server, door_committed, make_kiosk):
    assert Path(CHROMIUM).exists(), "chromium is missing: `make test` installs it (apt-get)"
    gym_a, _ = door_committed
    port = asgi_server.port
    with tenant_context(gym_a):
        member = member_create(
            data={"first_name": "Browser", "last_name": "Tested", "status": "active"}
        )
        staff = UserFactory(role=Role.FRONT_DESK)
        late = member_create(
            data={"first_name": "Missed", "last_name": "Event", "status": "active"}
        )
    _kiosk, token = make_kiosk(gym_a, name="Main door")
    code = code_for(gym_a, member)
    client = Client(HTTP_HOST="gym-a.localhost")
    with tenant_context(gym_a):
        client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    session = client.cookies[settings.SESSION_COOKIE_NAME].value

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
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
            # Under ASGI, Django renders error pages in another thread, outside the gym's
            # schema, so the 404 for the browser's automatic /favicon.ico finds no session
            # and deletes the cookie (a foundation issue, reported in issue 3's note).
            page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
            failed = []
            page.on("requestfailed", lambda r: failed.append(r.url))
            csp_violations = watch_csp(page)
            page.goto(f"http://gym-a.localhost:{port}/dashboard/check-ins/")
            count = page.locator("#occupancy-count")
            expect(count).to_have_text("0")
            status = page.locator("#occupancy-status")
            expect(status).to_have_text(status.get_attribute("data-live"), timeout=10_000)
            page.evaluate("window.__notReloaded = true")

            result = _kiosk_scan(port, token, code)
            assert result["granted"] is True, result

            expect(count).to_have_text("1", timeout=10_000)
            first = page.locator("#occupancy-feed li").first
            expect(first).to_contain_text("Browser Tested")
            expect(first).to_contain_text("Main door")
            assert page.evaluate("window.__notReloaded") is True
            assert failed == []

            # The server restarts; meanwhile the front desk checks someone in. The page
            # reconnects by itself and re-reads the REST state it missed.
            asgi_server.stop()
            expect(status).to_have_text(status.get_attribute("data-off"), timeout=10_000)
            # (Playwright's loop runs in this thread: the ORM call goes to another one.)
            with ThreadPoolExecutor(1) as pool:
                assert pool.submit(_desk_check_in, gym_a, late).result()["granted"]
            asgi_server.start()
            expect(status).to_have_text(status.get_attribute("data-live"), timeout=30_000)
            expect(count).to_have_text("2", timeout=10_000)
            expect(page.locator("#occupancy-feed li").first).to_contain_text("Missed Event")
            assert page.evaluate("window.__notReloaded") is True
            assert csp_violations == []
        finally:
            browser.close()


@contextmanager
def _browser(session: str):
    """Chromium with the staff session cookie of gym A."""
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            cookie = {"name": settings.SESSION_COOKIE_NAME, "value": session, "path": "/"}
            browser.add_cookies([{**cookie, "domain": "gym-a.localhost"}])
            yield browser
        finally:
            browser.close()


def test_pages_run_their_scripts_within_the_content_security_policy(
    asgi_server, door_committed, make_kiosk
):
    """Dashboard, admin and API docs in a real browser: their scripts work (the language
    menu submits itself, a revoke asks first, the admin's and Swagger UI's scripts run, the
    moved styles apply) and the browser reports no CSP violation on any of them."""
    assert Path(CHROMIUM).exists(), "chromium is missing: `make test` installs it (apt-get)"
    gym_a, _ = door_committed
    base = f"http://gym-a.localhost:{asgi_server.port}"
    with tenant_context(gym_a):
        owner = UserFactory(role=Role.OWNER)
        attempt = AttemptFactory(member=MemberFactory(first_name="Clip", last_name="Owner"))
        attempt.video.save("clip.mp4", ContentFile(b"not really a video"))
    make_kiosk(gym_a, name="Side door")
    client = Client(HTTP_HOST="gym-a.localhost")
    with tenant_context(gym_a):
        client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")

    with _browser(client.cookies[settings.SESSION_COOKIE_NAME].value) as browser:
        page = browser.new_page()
        page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
        violations = watch_csp(page)

        # The watcher sees a violation when there is one.
        page.route(
            f"{base}/csp-probe/",
            lambda route: route.fulfill(
                status=200,
                headers={
                    "Content-Type": "text/html",
                    "Content-Security-Policy": "script-src 'self'",
                },
                body="<p>probe</p><script>document.title = 'ran'</script>",
            ),
        )
        page.goto(f"{base}/csp-probe/")
        expect(page.locator("p")).to_have_text("probe")
        deadline = time.monotonic() + 5
        while not violations and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert violations and page.title() != "ran"
        violations.clear()

        page.goto(f"{base}/dashboard/")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.select_option("#language", "fr")  # no button: static/js/forms.js submits
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        page.select_option("#language", "en")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert violations == [], violations

        page.goto(f"{base}/dashboard/check-ins/kiosks/")
        dialogs = []

        def answer(dialog):
            dialogs.append(dialog.message)
            if len(dialogs) == 1:
                dialog.dismiss()
            else:
                dialog.accept()

        page.on("dialog", answer)
        revoke = page.get_by_role("button", name="Revoke")
        revoke.click()  # dismissed: nothing sent
        assert dialogs == ["Revoke this kiosk? It disconnects at once."]
        expect(revoke).to_be_visible()
        revoke.click()  # accepted
        expect(page.get_by_role("cell", name="Revoked")).to_be_visible()
        assert len(dialogs) == 2
        assert violations == [], violations

        page.goto(f"{base}/dashboard/classes/")
        assert page.eval_on_selector(".week", "e => getComputedStyle(e).display") == "grid"
        page.goto(f"{base}/dashboard/assessments/attempts/{attempt.pk}/")
        position = page.eval_on_selector("#skeleton", "e => getComputedStyle(e).position")
        assert position == "absolute"
        assert violations == [], violations

        page.goto(f"{base}/accounts/email/")  # allauth's page, with its own scripts
        expect(page.locator("main h1")).to_be_visible()
        assert violations == [], violations

        page.goto(f"{base}/admin/members/member/")
        page.check("#action-toggle")  # the admin's actions.js counts the selection
        expect(page.locator(".action-counter")).to_contain_text("1 of 1")
        page.goto(f"{base}/admin/members/member/{attempt.member_id}/change/")
        expect(page.locator("#member_form")).to_be_visible()
        assert violations == [], violations

        for docs in (f"{base}/api/docs/", f"http://localhost:{asgi_server.port}/api/docs/"):
            page.goto(docs)
            title = page.locator(".swagger-ui .info .title")
            expect(title).to_contain_text("Gym platform API", timeout=20_000)
            expect(page.locator(".opblock").first).to_be_visible()
            assert violations == [], (docs, violations)


def test_member_app_installs_its_service_worker_and_answers_offline(asgi_server, door_committed):
    """The member web app in Chromium at phone width: the tab bar is on screen, the service
    worker installs and takes control, and without a connection a page it has no copy of
    shows the offline page; no CSP violation on the way."""
    gym_a, _ = door_committed
    base = f"http://gym-a.localhost:{asgi_server.port}"
    with tenant_context(gym_a):
        user = UserFactory(role=Role.MEMBER)
        member = MemberFactory(first_name="Pia", user=user)
    client = Client(HTTP_HOST="gym-a.localhost")
    with tenant_context(gym_a):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    with _browser(client.cookies[settings.SESSION_COOKIE_NAME].value) as browser:
        page = browser.new_page()
        page.set_viewport_size({"width": 390, "height": 800})
        page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
        violations = watch_csp(page)
        page.goto(f"{base}/app/")
        expect(page.locator("h1")).to_have_text(f"Hello, {member.first_name}")
        tabbar = page.locator("nav.tabbar")
        expect(tabbar).to_be_visible()
        box = tabbar.bounding_box()
        assert box["y"] + box["height"] <= 800 and box["width"] == 390  # fixed at the bottom
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()  # the next load is controlled by the worker
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        browser.set_offline(True)
        page.goto(f"{base}/app/more/")
        expect(page.locator("h1")).to_have_text("You are offline")
        browser.set_offline(False)
        page.goto(f"{base}/app/more/")
        expect(page.locator("h1")).to_have_text("More")
        assert violations == [], violations
