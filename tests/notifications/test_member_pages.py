"""Member web app: the inbox (newest first, unread marked, mark one read and open its link,
mark all read, the tab's badge), notification preferences (per category and channel, quiet
hours, bad input refused) and the server side of "push on this device" (the devices API
with the session and CSRF header the page's script sends)."""

import re
from datetime import time

import pytest
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.notifications.models import Device, Notification, Preference
from tests.factories import MemberWithLoginFactory
from tests.notifications.pushkit import push_on_fixture, standin_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

INBOX = "/app/inbox/"
PREFS = "/app/inbox/preferences/"


@pytest.fixture
def member(gym_a):
    with tenant_context(gym_a):
        return MemberWithLoginFactory(first_name="Ines")


def _note(gym, member, title, *, read=False, **extra):
    with tenant_context(gym):
        row = Notification.objects.create(
            member=member, kind="announcement", category="announcements", title=title, **extra
        )
        if read:
            Notification.objects.filter(pk=row.pk).update(read_at=row.created_at)
        return row


def _read_at(gym, row):
    with tenant_context(gym):
        row.refresh_from_db()
        return row.read_at


# --- Inbox -----------------------------------------------------------------------------------


def test_inbox_lists_the_members_notifications_newest_first_with_unread_marked(gym_a, web, member):
    _note(gym_a, member, "Old news", read=True)
    _note(gym_a, member, "Fresh news", body="Pool closed on Monday")
    with tenant_context(gym_a):
        other = MemberWithLoginFactory()
        Notification.objects.create(
            member=other, kind="announcement", category="announcements", title="Not yours"
        )
        # Sent to the member's login (as staff messages are): in the inbox too.
        Notification.objects.create(
            user=member.user, kind="announcement", category="announcements", title="To login"
        )
    response = web(gym_a, member.user).get(INBOX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("To login") < html.index("Fresh news") < html.index("Old news")
    assert "Not yours" not in html
    assert "Pool closed on Monday" in html
    assert html.count('class="unread"') == 2
    assert "2 unread" in html
    # The tab's badge shows the count on every page of the app.
    home = web(gym_a, member.user).get("/app/").content.decode()
    assert re.search(r'href="/app/inbox/".*?<span class="dot">2', home, re.S)


def test_inbox_is_paginated(gym_a, web, member):
    for i in range(25):
        _note(gym_a, member, f"Item {i:02d}")
    client = web(gym_a, member.user)
    first = client.get(INBOX).content.decode()
    assert "Item 24" in first and "Item 05" in first and "Item 04" not in first
    second = client.get(INBOX + "?page=2").content.decode()
    assert "Item 04" in second and "Item 24" not in second


def test_mark_one_read_redirects_back_and_changes_only_that_one(gym_a, web, member):
    one = _note(gym_a, member, "One")
    two = _note(gym_a, member, "Two")
    response = web(gym_a, member.user).post(f"/app/inbox/{one.pk}/read/")
    assert response.status_code == 302 and response.url == INBOX
    assert _read_at(gym_a, one) is not None
    assert _read_at(gym_a, two) is None


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("/app/assessments/", "/app/assessments/"),
        ("http://gym-a.localhost/app/more/", "http://gym-a.localhost/app/more/"),
        ("https://evil.example/phish", INBOX),
        ("//evil.example/phish", INBOX),
        ("javascript:alert(1)", INBOX),
    ],
)
def test_open_follows_only_links_on_this_host(gym_a, web, member, link, expected):
    row = _note(gym_a, member, "Linked", url=link)
    response = web(gym_a, member.user).post(f"/app/inbox/{row.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response.url == expected
    assert _read_at(gym_a, row) is not None


def test_another_members_notification_is_404_and_stays_unread(gym_a, web, member):
    with tenant_context(gym_a):
        other = MemberWithLoginFactory()
    theirs = _note(gym_a, other, "Theirs")
    client = web(gym_a, member.user)
    assert client.post(f"/app/inbox/{theirs.pk}/read/", {"open": "1"}).status_code == 404
    assert client.post("/app/inbox/999999999/read/").status_code == 404
    assert _read_at(gym_a, theirs) is None


def test_mark_all_read_marks_only_the_members_own(gym_a, web, member):
    mine = [_note(gym_a, member, f"Mine {i}") for i in range(3)]
    with tenant_context(gym_a):
        other = MemberWithLoginFactory()
    theirs = _note(gym_a, other, "Theirs")
    client = web(gym_a, member.user)
    response = client.post("/app/inbox/read-all/")
    assert response.status_code == 302 and response.url == INBOX
    assert all(_read_at(gym_a, row) for row in mine)
    assert _read_at(gym_a, theirs) is None
    page = client.get(INBOX).content.decode()
    assert "All notifications marked read." in page and "0 unread" in page
    assert 'class="dot"' not in page


def test_inbox_get_only_reads(gym_a, web, member):
    row = _note(gym_a, member, "Unread")
    web(gym_a, member.user).get(INBOX)
    assert _read_at(gym_a, row) is None
    assert web(gym_a, member.user).get(f"/app/inbox/{row.pk}/read/").status_code == 405


@pytest.mark.parametrize("path", [INBOX, PREFS])
def test_anonymous_goes_to_login_and_staff_to_the_dashboard(gym_a, web, make_user, path):
    response = web(gym_a).get(path)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    staff = web(gym_a, make_user(gym_a, Role.OWNER))
    assert staff.get(path).url == "/dashboard/"
    assert staff.post("/app/inbox/read-all/").url == "/dashboard/"


# --- Preferences -----------------------------------------------------------------------------


def _form(**changes):
    """Everything on, no quiet hours: what the page posts untouched, with `changes`."""
    categories = ["classes", "goals", "programs", "community", "billing", "announcements"]
    data = {f"{c}_{ch}": "on" for c in categories for ch in ("email", "push")}
    data.update({"quiet_start": "", "quiet_end": ""})
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_preferences_page_shows_categories_and_the_transactional_note(gym_a, web, member):
    response = web(gym_a, member.user).get(PREFS)
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Classes and bookings", "Billing", "Gym announcements", "Quiet hours"):
        assert label in html
    assert "always emailed" in html
    assert html.count('type="checkbox"') == 12
    assert html.count("checked") == 12  # defaults: everything on
    assert gym_a.time_zone in html  # quiet hours are in the gym's zone for this member
    assert 'href="/app/inbox/preferences/"' in web(gym_a, member.user).get(INBOX).content.decode()


def test_saving_preferences_switches_channels_and_sets_quiet_hours(gym_a, web, member):
    client = web(gym_a, member.user)
    data = _form(
        classes_email=None, announcements_push=None, quiet_start="22:00", quiet_end="07:00"
    )
    response = client.post(PREFS, data)
    assert response.status_code == 302 and response.url == PREFS
    with tenant_context(gym_a):
        pref = Preference.objects.get(member=member)
    assert pref.channels["classes"] == {"email": False, "push": True}
    assert pref.channels["announcements"] == {"email": True, "push": False}
    assert (pref.quiet_start, pref.quiet_end) == (time(22), time(7))
    page = client.get(PREFS).content.decode()
    assert "Notification preferences saved." in page
    assert 'value="22:00"' in page and page.count("checked") == 10
    # The API reads the same thing.
    api = client.get("/api/v1/notifications/preferences/").json()
    classes = next(c for c in api["categories"] if c["key"] == "classes")
    assert classes["channels"] == {"email": False, "push": True}
    assert (api["quiet_start"], api["quiet_end"]) == ("22:00", "07:00")
    # Clearing both removes the quiet hours.
    client.post(PREFS, _form())
    with tenant_context(gym_a):
        pref.refresh_from_db()
    assert pref.quiet_start is None and pref.quiet_end is None


def test_quiet_hours_are_shown_in_the_members_own_time_zone(gym_a, web, member):
    with tenant_context(gym_a):
        member.time_zone = "Pacific/Auckland"
        member.save(update_fields=["time_zone"])
    assert "Pacific/Auckland" in web(gym_a, member.user).get(PREFS).content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"quiet_start": "22:00"}, "need both a start and an end"),
        ({"quiet_end": "07:00"}, "need both a start and an end"),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "Enter a valid time"),
        ({"quiet_start": "22:00:00", "quiet_end": "07:00"}, "Enter a valid time"),
        ({"quiet_start": "x" * 100_000, "quiet_end": "07:00"}, "Enter a valid time"),
        ({"quiet_start": "08:00", "quiet_end": "08:00"}, "same time"),
    ],
)
def test_bad_quiet_hours_are_refused_and_nothing_is_stored(gym_a, web, member, changes, message):
    response = web(gym_a, member.user).post(PREFS, _form(classes_email=None, **changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'role="alert"' in html
    with tenant_context(gym_a):
        assert not Preference.objects.filter(member=member).exists()


def test_unknown_fields_in_the_preferences_post_are_ignored(gym_a, web, member):
    response = web(gym_a, member.user).post(PREFS, _form(hacked_email="on", category="x"))
    assert response.status_code == 302
    with tenant_context(gym_a):
        assert "hacked" not in Preference.objects.get(member=member).channels


# --- Push on this device ---------------------------------------------------------------------


def test_push_switch_is_hidden_with_a_sentence_when_push_is_off(gym_a, web, member):
    with override_settings(VAPID_PUBLIC_KEY="", VAPID_PRIVATE_KEY=""):
        html = web(gym_a, member.user).get(PREFS).content.decode()
    assert 'id="push-toggle"' not in html and "push.js" not in html
    assert "Push notifications are not available at this gym yet." in html


def test_push_switch_carries_the_vapid_key_and_the_page_csrf(gym_a, web, member, push_on):
    html = web(gym_a, member.user).get(PREFS).content.decode()
    assert f'data-vapid-key="{settings.VAPID_PUBLIC_KEY}"' in html
    assert 'data-devices-url="/api/v1/devices/"' in html
    assert "notifications/push.js" in html
    assert re.search(r'data-csrf="[A-Za-z0-9]{32,}"', html)


def test_the_pages_script_registers_and_deletes_a_device_with_session_and_csrf(
    gym_a, member, push_on
):
    """What push.js sends: the session cookie, `X-CSRFToken` from the page, the browser's
    `PushSubscription.toJSON()` to POST /api/v1/devices/, later DELETE /devices/<id>/."""
    client = Client(HTTP_HOST="gym-a.localhost", enforce_csrf_checks=True)
    with tenant_context(gym_a):
        client.force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(PREFS).content.decode()
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    body = {**push_on.subscription("browser"), "expirationTime": None, "label": "Chrome"}

    refused = client.post("/api/v1/devices/", body, content_type="application/json")
    assert refused.status_code == 403  # no CSRF header: a cross-site page cannot subscribe
    with tenant_context(gym_a):
        assert not Device.objects.exists()

    made = client.post(
        "/api/v1/devices/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert made.status_code == 201
    device_id = made.json()["id"]
    again = client.post(
        "/api/v1/devices/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert again.status_code == 200 and again.json()["id"] == device_id
    with tenant_context(gym_a):
        device = Device.objects.get()
        assert device.member_id == member.pk and device.endpoint == body["endpoint"]

    gone = client.delete(f"/api/v1/devices/{device_id}/", HTTP_X_CSRFTOKEN=token)
    assert gone.status_code == 204
    with tenant_context(gym_a):
        assert not Device.objects.exists()
