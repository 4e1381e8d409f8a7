"""The member web app's shell: who gets in, the navigation apps register into, the home
cards, the manifest and the service worker."""

import json

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.portal import nav
from tests.factories import MemberWithLoginFactory


@pytest.fixture
def member(gym_a):
    with tenant_context(gym_a):
        return MemberWithLoginFactory(first_name="Ines")


def test_a_member_lands_in_the_member_app_and_staff_in_the_dashboard(gym_a, web, member, make_user):
    assert web(gym_a, member.user).get("/").url == "/app/"
    assert web(gym_a, make_user(gym_a, Role.OWNER)).get("/").url == "/dashboard/"
    assert web(gym_a).get("/app/").url.startswith("/accounts/login/?next=/app/")
    home = web(gym_a, member.user).get("/app/")
    assert home.status_code == 200
    html = home.content.decode()
    assert "Hello, Ines" in html
    assert 'rel="manifest" href="/app/manifest.webmanifest"' in html
    assert 'aria-current="page"' in html  # Home is the current tab


def test_the_navigation_shows_registered_items_and_marks_the_current_one(gym_a, web, member):
    client = web(gym_a, member.user)
    more = client.get("/app/more/").content.decode()
    assert 'href="/app/assessments/"' in more  # registered by the assessments app
    # A page of an item that is not in the bar marks "More".
    page = client.get("/app/assessments/").content.decode()
    assert 'href="/app/more/" aria-current="page"' in page


def test_a_registered_badge_and_home_card_show_for_the_member(gym_a, web, member):
    seen = []

    def card_context(m):
        seen.append(m.pk)
        return {"title": "Card", "text": "Card for " + m.first_name}

    nav.register_item(
        nav.NavItem(
            "test-item", "Testitem", "portal-more", "bell", 1, primary=True, badge=lambda m: 7
        )
    )
    nav.register_card(nav.HomeCard("test-card", "portal/_tile.html", 1, card_context))
    nav.register_card(nav.HomeCard("test-hidden", "portal/_tile.html", 2, lambda m: None))
    try:
        html = web(gym_a, member.user).get("/app/").content.decode()
    finally:
        for key in ("test-item", "test-card", "test-hidden"):
            nav.unregister(key)
    assert "Testitem" in html and '<span class="dot">7' in html
    assert html.count("Card for Ines") == 1 and seen == [member.pk]


def test_manifest_and_service_worker(gym_a, web):
    client = web(gym_a)
    manifest = client.get("/app/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = json.loads(manifest.content)
    assert data["name"] == gym_a.name and data["start_url"] == "/app/" and data["scope"] == "/app/"
    assert {i["sizes"] for i in data["icons"]} == {"192x192", "512x512"}
    sw = client.get("/app/sw.js")
    assert sw["Content-Type"].startswith("application/javascript")
    assert "no-cache" in sw["Cache-Control"]
    body = sw.content.decode()
    assert '"/app/offline/"' in body and "showNotification" in body
    assert "&quot;" not in body  # not HTML-escaped
    shell = json.loads(body.split("const SHELL_URLS = ")[1].split(";")[0])
    assert "/app/offline/" in shell and client.get("/app/offline/").status_code == 200
    for url in shell[1:]:  # every cached file exists (a missing one fails the install)
        assert finders.find(url.removeprefix(settings.STATIC_URL)), url


def test_a_login_without_a_member_profile_gets_404(gym_a, web, make_user):
    assert web(gym_a, make_user(gym_a, Role.MEMBER)).get("/app/").status_code == 404
