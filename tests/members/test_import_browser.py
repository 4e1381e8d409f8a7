"""The member import in a real browser on a phone-sized screen (390 px): upload, mapping
and preview, result, none wider than the screen; and the progress page following a
running import through its JSON every 2 s, then showing the result, within the
Content-Security-Policy."""

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context
from playwright.sync_api import expect, sync_playwright

from apps.accounts.roles import Role
from apps.members.models import ImportStatus, MemberImport
from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_server, watch_csp
from tests.factories import UserFactory

PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.fixture
def import_server(committed_gym_a):
    try:
        with running_server() as server:
            yield server
    finally:
        with tenant_context(committed_gym_a):
            for member_import in MemberImport.objects.all():
                member_import.file.delete(save=False)
            MemberImport.objects.all().delete()


def _in_gym(gym, func):
    """Run `func` in the gym, in another thread (Playwright's loop runs in this one, and
    Django refuses ORM calls there)."""

    def run():
        try:
            with tenant_context(gym):
                return func()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def _fits(page) -> bool:
    """Nothing wider than the screen: not the page, not a table inside its scroller."""
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth && [...document"
        ".querySelectorAll('.table-wrap')].every(w => w.scrollWidth <= w.clientWidth)"
    )


def test_import_pages_fit_a_phone_and_follow_the_progress(committed_gym_a, import_server):
    assert Path(CHROMIUM).exists(), "chromium is missing: `make test` installs it (apt-get)"
    base = f"http://gym-a.localhost:{import_server.port}"
    with tenant_context(committed_gym_a):
        owner = UserFactory(role=Role.OWNER)
    client = Client(HTTP_HOST="gym-a.localhost")
    with tenant_context(committed_gym_a):
        client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    csv_bytes = (
        "Vorname;Nachname;E-Mail-Adresse;Telefon;Geburtsdatum;Status;Mitgliedsnummer;"
        "Bemerkungen\n"
        "Jürgen;Müller-Lüdenscheidt;juergen.mueller-luedenscheidt@example.test;+49 170 1234567;"
        "1990-12-31;Aktiv;4711;Rückenprobleme, trainiert morgens\n"
        "Anna;Schmidt;anna@example.test;;1985-02-01;Pausiert;4712;\n"
        "Bad;Row;not-an-email;;;Unbekannt;4713;\n"
    ).encode("latin-1")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, viewport=PHONE
        )
        try:
            cookie = {"name": settings.SESSION_COOKIE_NAME, "value": session, "path": "/"}
            browser.add_cookies([{**cookie, "domain": "gym-a.localhost"}])
            page = browser.new_page()
            page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
            csp_violations = watch_csp(page)

            page.goto(f"{base}/dashboard/members/")
            page.get_by_role("link", name="Import members").click()
            expect(page.locator("h1")).to_have_text("Import members")
            assert _fits(page)
            page.set_input_files(
                "input[type=file]",
                {"name": "alt.csv", "mimeType": "text/csv", "buffer": csv_bytes},
            )
            page.get_by_role("button", name="Upload and preview").click()
            expect(page.locator("[data-encoding-warning]")).to_be_visible()
            expect(page.locator('tr[data-line="4"]')).to_have_attribute("data-outcome", "error")
            page.screenshot(path=str(SCREENSHOTS / "import-mapping-390.png"), full_page=True)
            assert _fits(page)
            page.get_by_role("button", name="Import", exact=True).click()
            expect(page.locator('[data-count="created"] .num')).to_have_text("2")
            expect(page.locator('[data-count="failed"] .num')).to_have_text("1")
            page.screenshot(path=str(SCREENSHOTS / "import-result-390.png"), full_page=True)
            assert _fits(page)
            page.get_by_role("link", name="Import another file").click()
            expect(page.get_by_role("link", name="alt.csv")).to_be_visible()
            page.screenshot(path=str(SCREENSHOTS / "import-list-390.png"), full_page=True)
            assert _fits(page)

            # A large import running in a worker: the page follows it without a reload.
            running = _in_gym(
                committed_gym_a,
                lambda: MemberImport.objects.create(
                    original_name="big.csv",
                    encoding="utf-8-sig",
                    delimiter=",",
                    header=["Name", "Email"],
                    mapping=["full_name", "email"],
                    status=ImportStatus.RUNNING,
                    total_rows=4000,
                    processed_rows=1000,
                    created_count=1000,
                    created_by=owner,
                ),
            )
            page.goto(f"{base}/dashboard/members/import/{running.pk}/")
            expect(page.locator("#import-text")).to_have_text("1000 of 4000 rows done")
            assert _fits(page)
            page.evaluate("window.__notReloaded = true")
            _in_gym(
                committed_gym_a,
                lambda: MemberImport.objects.filter(pk=running.pk).update(
                    processed_rows=3000, created_count=2990, failed_count=10
                ),
            )
            expect(page.locator("#import-text")).to_have_text(
                "3000 of 4000 rows done", timeout=10_000
            )
            expect(page.locator("#import-counts")).to_contain_text("2990 created")
            assert page.evaluate("window.__notReloaded") is True
            assert page.locator("#import-bar").evaluate("bar => bar.value") == 3000
            page.screenshot(path=str(SCREENSHOTS / "import-progress-390.png"), full_page=True)
            _in_gym(
                committed_gym_a,
                lambda: MemberImport.objects.filter(pk=running.pk).update(
                    status=ImportStatus.DONE, processed_rows=4000, created_count=3990
                ),
            )
            expect(page.locator('[data-count="created"] .num')).to_have_text("3990", timeout=10_000)
            assert csp_violations == []
        finally:
            browser.close()
