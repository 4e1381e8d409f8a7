"""A real browser on the live occupancy page: Debian's chromium (driven by Playwright)
opens the staff page served by uvicorn (the real ASGI app, on the test database), a kiosk
scans over a real WebSocket from this test, and the counter and feed change without a
reload."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context
from playwright.sync_api import expect, sync_playwright
from websockets.sync.client import connect as ws_connect

from apps.accounts.roles import Role
from apps.members.services import member_create
from tests.attendance.conftest import code_for
from tests.factories import UserFactory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server_url(door_committed):
    """uvicorn serving config.asgi on the test database; yields the port."""
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{quote(db['HOST'], safe='')}/{db['NAME']}"
    env["DJANGO_SETTINGS_MODULE"] = "tests.attendance.browser_settings"
    port = _free_port()
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1"]
        + ["--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "uvicorn exited at start"
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/healthz", headers={"Host": "gym-a.localhost"}
                )
                with urllib.request.urlopen(request, timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "uvicorn did not answer within 60 s"
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.seek(0)
        output = log.read().decode(errors="replace")
        if "Traceback" in output:
            print(output[-4000:])


def _kiosk_scan(port: int, token: str, code: str) -> dict:
    # Python here does not resolve *.localhost: connect to loopback, speak to the gym host.
    host = f"gym-a.localhost:{port}"
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    with ws_connect(f"ws://{host}/ws/kiosk/", sock=sock, origin=f"http://{host}") as ws:
        ws.send(json.dumps({"type": "hello", "token": token}))
        assert json.loads(ws.recv(timeout=10))["type"] == "config"
        ws.send(json.dumps({"type": "scan", "code": code, "idempotency_key": str(uuid.uuid4())}))
        return json.loads(ws.recv(timeout=10))


def test_occupancy_page_follows_a_kiosk_scan_live(live_server_url, door_committed, make_kiosk):
    assert Path(CHROMIUM).exists(), "chromium is missing: `make test` installs it (apt-get)"
    gym_a, _ = door_committed
    port = live_server_url
    with tenant_context(gym_a):
        member = member_create(
            data={"first_name": "Browser", "last_name": "Tested", "status": "active"}
        )
        staff = UserFactory(role=Role.FRONT_DESK)
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
            failed = []
            page.on("requestfailed", lambda r: failed.append(r.url))
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
        finally:
            browser.close()
