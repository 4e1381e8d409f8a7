"""The notifications API: the inbox with cursor pages, the unread filter and count,
marking read, and preferences; for members and for staff without a member profile."""

from datetime import time

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.notifications.models import Notification, Preference
from tests.factories import MemberWithLoginFactory


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def _notes(gym, n, *, member=None, user=None, read=False, title="Note"):
    """n notifications for member or user, oldest first."""
    with tenant_context(gym):
        rows = Notification.objects.bulk_create(
            [
                Notification(
                    member=member,
                    user=user,
                    kind="announcement",
                    category="announcements",
                    title=f"{title} {i}",
                    body="Hello",
                    read_at=timezone.now() if read else None,
                )
                for i in range(n)
            ]
        )
    return [r.pk for r in rows]


@pytest.fixture
def member_a(gym_a):
    with tenant_context(gym_a):
        return MemberWithLoginFactory(first_name="Ana")


def test_inbox_is_newest_first_in_cursor_pages_with_the_unread_count(gym_a, member_a, api):
    ids = _notes(gym_a, 25, member=member_a)
    _notes(gym_a, 3, member=member_a, read=True, title="Old")
    client = api(gym_a, member_a.user)
    first = client.get("/api/v1/notifications/")
    assert first.status_code == 200
    body = first.json()
    assert body["unread_count"] == 25
    assert len(body["results"]) == 20
    assert body["results"][0]["title"] == "Old 2"  # newest first
    assert body["previous"] is None and "cursor=" in body["next"]
    second = client.get(body["next"]).json()
    assert len(second["results"]) == 8
    assert second["next"] is None
    seen = [r["id"] for r in body["results"] + second["results"]]
    assert len(set(seen)) == 28 and set(ids) <= set(seen)
    row = second["results"][-1]
    assert set(row) == {
        "id",
        "kind",
        "category",
        "title",
        "body",
        "url",
        "data",
        "created_at",
        "read_at",
        "read",
    }
    assert row["read"] is False and row["read_at"] is None


def test_unread_filter_and_page_size(gym_a, member_a, api):
    _notes(gym_a, 4, member=member_a)
    _notes(gym_a, 2, member=member_a, read=True, title="Done")
    client = api(gym_a, member_a.user)
    unread = client.get("/api/v1/notifications/?unread=true").json()
    assert [r["read"] for r in unread["results"]] == [False] * 4
    read = client.get("/api/v1/notifications/?unread=FALSE").json()
    assert [r["title"] for r in read["results"]] == ["Done 1", "Done 0"]
    assert read["unread_count"] == 4  # of the whole inbox, whatever the filter
    small = client.get("/api/v1/notifications/?page_size=2").json()
    assert len(small["results"]) == 2
    capped = client.get("/api/v1/notifications/?page_size=100000").json()
    assert len(capped["results"]) == 6


@pytest.mark.parametrize("value", ["yes", "1", "maybe", "x" * 5000])
def test_a_bad_unread_value_is_a_400_in_the_error_shape(gym_a, member_a, api, value):
    response = api(gym_a, member_a.user).get(f"/api/v1/notifications/?unread={value}")
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "invalid_filter" and "unread" in error["details"]


def test_a_forged_cursor_is_a_404_in_the_error_shape(gym_a, member_a, api):
    response = api(gym_a, member_a.user).get("/api/v1/notifications/?cursor=bz14eXo%3D")
    assert response.status_code == 404 and _error(response)["code"] == "not_found"


def test_members_see_only_their_own_notifications(gym_a, member_a, api):
    with tenant_context(gym_a):
        other = MemberWithLoginFactory()
    _notes(gym_a, 2, member=other, title="Theirs")
    mine = _notes(gym_a, 1, member=member_a, title="Mine")
    body = api(gym_a, member_a.user).get("/api/v1/notifications/").json()
    assert [r["id"] for r in body["results"]] == mine and body["unread_count"] == 1


def test_mark_one_read_then_all(gym_a, member_a, api):
    ids = _notes(gym_a, 3, member=member_a)
    client = api(gym_a, member_a.user)
    response = client.post(f"/api/v1/notifications/{ids[0]}/read/")
    assert response.status_code == 200
    assert response.json()["read"] is True and response.json()["read_at"]
    first_time = response.json()["read_at"]
    again = client.post(f"/api/v1/notifications/{ids[0]}/read/")
    assert again.status_code == 200 and again.json()["read_at"] == first_time
    assert client.get("/api/v1/notifications/").json()["unread_count"] == 2
    all_read = client.post("/api/v1/notifications/read-all/")
    assert all_read.status_code == 200
    assert all_read.json() == {"marked": 2, "unread_count": 0}
    with tenant_context(gym_a):
        assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert client.post("/api/v1/notifications/read-all/").json()["marked"] == 0


def test_someone_elses_or_unknown_ids_are_404_and_change_nothing(gym_a, member_a, api):
    with tenant_context(gym_a):
        other = MemberWithLoginFactory()
    theirs = _notes(gym_a, 1, member=other)[0]
    client = api(gym_a, member_a.user)
    for path in (
        f"/api/v1/notifications/{theirs}/read/",
        "/api/v1/notifications/999999999/read/",
        "/api/v1/notifications/99999999999999999999/read/",
        "/api/v1/notifications/abc/read/",
    ):
        response = client.post(path)
        assert response.status_code == 404, path
        assert _error(response)["code"] == "not_found"
    assert client.post("/api/v1/notifications/read-all/").json()["marked"] == 0
    with tenant_context(gym_a):
        assert Notification.objects.get(pk=theirs).read_at is None


def test_staff_without_member_profile_get_their_user_notifications(gym_a, make_user, api):
    staff = make_user(gym_a, Role.MANAGER)
    other_staff = make_user(gym_a, Role.MANAGER)
    mine = _notes(gym_a, 2, user=staff, title="Staff")
    _notes(gym_a, 1, user=other_staff)
    client = api(gym_a, staff)
    body = client.get("/api/v1/notifications/").json()
    assert [r["id"] for r in body["results"]] == mine[::-1] and body["unread_count"] == 2
    assert client.post(f"/api/v1/notifications/{mine[0]}/read/").status_code == 200
    assert client.post("/api/v1/notifications/read-all/").json() == {
        "marked": 1,
        "unread_count": 0,
    }
    prefs = client.put(
        "/api/v1/notifications/preferences/",
        {"categories": [{"key": "billing", "channels": {"push": False}}]},
        format="json",
    )
    assert prefs.status_code == 200
    with tenant_context(gym_a):
        assert Preference.objects.get(user=staff).channels == {"billing": {"push": False}}


def test_members_also_see_notifications_sent_to_their_login(gym_a, member_a, api):
    _notes(gym_a, 1, member=member_a, title="Profile")
    _notes(gym_a, 1, user=member_a.user, title="Login")
    body = api(gym_a, member_a.user).get("/api/v1/notifications/").json()
    assert [r["title"] for r in body["results"]] == ["Login 0", "Profile 0"]


def test_anonymous_gets_401(gym_a, api):
    for method, path in (
        ("get", "/api/v1/notifications/"),
        ("post", "/api/v1/notifications/read-all/"),
        ("get", "/api/v1/notifications/preferences/"),
    ):
        response = getattr(api(gym_a), method)(path)
        assert response.status_code == 401, path


# --- Preferences -------------------------------------------------------------------


def test_preferences_default_to_everything_on_with_labels_in_the_request_language(
    gym_a, member_a, api
):
    client = api(gym_a, member_a.user)
    response = client.get("/api/v1/notifications/preferences/")
    assert response.status_code == 200
    body = response.json()
    keys = [c["key"] for c in body["categories"]]
    assert keys == ["classes", "goals", "programs", "community", "billing", "announcements"]
    classes = body["categories"][0]
    assert classes["label"] == "Classes and bookings"
    assert classes["channels"] == {"email": True, "push": True}
    transactional = {c["key"]: c["transactional"] for c in body["categories"]}
    assert transactional["billing"] is True and transactional["community"] is False
    assert body["quiet_start"] is None and body["quiet_end"] is None
    assert body["time_zone"] == gym_a.time_zone
    assert body["active_channels"]["in_app"] is True
    assert set(body["active_channels"]) == {"in_app", "email", "webpush", "fcm"}
    with tenant_context(gym_a):
        assert not Preference.objects.exists()  # reading creates nothing


def test_preference_labels_are_in_the_request_language(gym_a, member_a, api):
    client = api(gym_a, member_a.user)
    client.cookies["django_language"] = "es"
    body = client.get("/api/v1/notifications/preferences/").json()
    assert body["categories"][0]["label"] == "Clases y reservas"


def test_put_changes_channels_and_quiet_hours_and_keeps_the_rest(gym_a, member_a, api):
    client = api(gym_a, member_a.user)
    response = client.put(
        "/api/v1/notifications/preferences/",
        {
            "categories": [
                {"key": "classes", "channels": {"email": False}},
                {"key": "community", "channels": {"push": False, "email": True}},
            ],
            "quiet_start": "22:30",
            "quiet_end": "07:00",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    channels = {c["key"]: c["channels"] for c in body["categories"]}
    assert channels["classes"] == {"email": False, "push": True}
    assert channels["community"] == {"email": True, "push": False}
    assert body["quiet_start"] == "22:30" and body["quiet_end"] == "07:00"
    # Quiet hours only: the channels stay.
    client.put(
        "/api/v1/notifications/preferences/",
        {"quiet_start": "23:00", "quiet_end": "06:00"},
        format="json",
    )
    with tenant_context(gym_a):
        pref = Preference.objects.get(member=member_a)
        assert pref.channels["classes"] == {"email": False}
        assert (pref.quiet_start, pref.quiet_end) == (time(23, 0), time(6, 0))
    cleared = client.put(
        "/api/v1/notifications/preferences/",
        {"quiet_start": None, "quiet_end": None},
        format="json",
    ).json()
    assert cleared["quiet_start"] is None and cleared["quiet_end"] is None
    assert client.get("/api/v1/notifications/preferences/").json() == cleared


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"categories": [{"key": "gossip", "channels": {"email": False}}]}, "categories"),
        ({"categories": [{"key": "classes", "channels": {"sms": False}}]}, "categories"),
        ({"categories": [{"key": "classes", "channels": {"email": "no"}}]}, "categories"),
        ({"categories": [{"key": "classes", "channels": ["email"]}]}, "categories"),
        ({"categories": [{"key": "classes"}]}, "categories"),
        ({"categories": "classes"}, "categories"),
        (
            {
                "categories": [
                    {"key": "classes", "channels": {"email": False}},
                    {"key": "classes", "channels": {"email": True}},
                ]
            },
            "categories",
        ),
        ({"categories": [{"key": "classes", "channels": {}}] * 7}, "categories"),
        ({"quiet_start": "22:00"}, "quiet_end"),
        ({"quiet_start": "22:00", "quiet_end": None}, "quiet_end"),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": "22:00:00", "quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": "10pm", "quiet_end": "07:00"}, "quiet_start"),
    ],
)
def test_bad_preferences_are_a_400_and_store_nothing(gym_a, member_a, api, body, field):
    response = api(gym_a, member_a.user).put(
        "/api/v1/notifications/preferences/", body, format="json"
    )
    assert response.status_code == 400, response.content
    error = _error(response)
    assert error["code"] == "validation_error" and field in error["details"]
    with tenant_context(gym_a):
        assert not Preference.objects.exists()


def test_huge_and_malformed_preference_bodies_are_refused(gym_a, member_a, api):
    client = api(gym_a, member_a.user)
    huge = client.generic(
        "PUT",
        "/api/v1/notifications/preferences/",
        '{"categories": [' + ",".join(['{"key": "classes", "channels": {}}'] * 60_000) + "]}",
        content_type="application/json",
    )
    assert huge.status_code == 413 and _error(huge)["code"] == "request_too_large"
    broken = client.generic(
        "PUT", "/api/v1/notifications/preferences/", "{nope", content_type="application/json"
    )
    assert broken.status_code == 400 and _error(broken)["code"] == "parse_error"
    with tenant_context(gym_a):
        assert not Preference.objects.exists()


def test_the_endpoints_are_in_the_openapi_schema(gym_a, make_user, api):
    response = api(gym_a, make_user(gym_a, Role.OWNER)).get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/notifications/" in paths
    params = {p["name"] for p in paths["/api/v1/notifications/"]["get"]["parameters"]}
    assert {"unread", "cursor", "page_size"} <= params
    assert "/api/v1/notifications/{id}/read/" in paths
    assert "/api/v1/notifications/read-all/" in paths
    assert {"get", "put"} <= set(paths["/api/v1/notifications/preferences/"])
