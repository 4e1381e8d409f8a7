"""Staff pages: the bell with the unread count, the staff member's own inbox (mark one or
all read), and the announcements pages (list with counts, new with a preview step, detail)."""

import re

import pytest
from django.template import Context, Template
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.notifications.models import Announcement, AnnouncementStatus, Notification
from apps.notifications.services import notify
from tests.bookings.factories import ClassSessionFactory
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

NEW = "/dashboard/notifications/announcements/new/"


def _note(gym, user, title="Staff meeting", **extra):
    with tenant_context(gym):
        return Notification.objects.create(
            user=user, kind="announcement", category="announcements", title=title, **extra
        )


def _bell_count(html: str) -> str | None:
    match = re.search(r'data-unread="(\d+)"', html)
    return match.group(1) if match else None


# --- Bell -----------------------------------------------------------------------------------


def test_bell_shows_the_users_unread_count(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    other = make_user(gym_a, Role.MANAGER)
    _note(gym_a, owner)
    _note(gym_a, owner)
    _note(gym_a, owner, read_at=timezone.now())
    _note(gym_a, other)
    client = web(gym_a, owner)
    html = client.get("/dashboard/").content.decode()
    assert _bell_count(html) == "2"
    assert 'href="/dashboard/notifications/"' in html
    assert "notifications/bell.js" in html
    assert "Notifications (2 unread)" in html
    assert _bell_count(web(gym_a, other).get("/dashboard/").content.decode()) == "1"


def test_bell_count_is_one_query(gym_a, make_user, django_assert_num_queries):
    owner = make_user(gym_a, Role.OWNER)
    _note(gym_a, owner)
    template = Template("{% load notifications %}{% unread_notifications as n %}{{ n }}")

    class _Request:
        user = owner

    with tenant_context(gym_a):
        template.render(Context({"request": _Request()}))  # the schema is set by now
        with django_assert_num_queries(1):
            assert template.render(Context({"request": _Request()})) == "1"


def test_bell_is_hidden_at_zero_and_for_pages_without_login(gym_a, make_user, web):
    desk = make_user(gym_a, Role.FRONT_DESK)
    html = web(gym_a, desk).get("/dashboard/").content.decode()
    assert _bell_count(html) == "0"
    assert re.search(r"data-unread-count hidden", html)
    assert "data-notifications-bell" not in web(gym_a).get("/accounts/login/").content.decode()


# --- Inbox ----------------------------------------------------------------------------------


def test_inbox_lists_only_the_users_notifications(gym_a, make_user, web):
    trainer = make_user(gym_a, Role.TRAINER)
    other = make_user(gym_a, Role.TRAINER)
    _note(gym_a, trainer, title="Mine unread")
    _note(gym_a, trainer, title="Mine read", read_at=timezone.now())
    _note(gym_a, other, title="Someone else's")
    with tenant_context(gym_a):
        member = MemberFactory()
        notify(member, "announcement", {"title": "A member's", "body": "x"})
    response = web(gym_a, trainer).get("/dashboard/notifications/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mine unread" in html and "Mine read" in html
    assert "Someone else" not in html and "A member" not in html
    only_unread = web(gym_a, trainer).get("/dashboard/notifications/?unread=1").content.decode()
    assert "Mine unread" in only_unread and "Mine read" not in only_unread


def test_mark_one_read_then_all_read(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    first = _note(gym_a, owner)
    second = _note(gym_a, owner)
    client = web(gym_a, owner)
    response = client.post(f"/dashboard/notifications/{first.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/dashboard/notifications/"
    with tenant_context(gym_a):
        first.refresh_from_db()
        read_at = first.read_at
        assert read_at and Notification.objects.get(pk=second.pk).read_at is None
    client.post(f"/dashboard/notifications/{first.pk}/read/")  # again: keeps the first time
    with tenant_context(gym_a):
        first.refresh_from_db()
        assert first.read_at == read_at
    client.post("/dashboard/notifications/read-all/")
    with tenant_context(gym_a):
        assert not Notification.objects.filter(user=owner, read_at__isnull=True).exists()
    assert _bell_count(client.get("/dashboard/").content.decode()) == "0"


def test_open_follows_only_a_local_link(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    local = _note(gym_a, owner, url="/dashboard/classes/")
    evil = _note(gym_a, owner, url="https://evil.example/")
    client = web(gym_a, owner)
    assert client.post(f"/dashboard/notifications/{local.pk}/read/", {"open": "1"})["Location"] == (
        "/dashboard/classes/"
    )
    assert client.post(f"/dashboard/notifications/{evil.pk}/read/", {"open": "1"})["Location"] == (
        "/dashboard/notifications/"
    )


def test_someone_elses_notification_is_404_and_stays_unread(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    other = make_user(gym_a, Role.MANAGER)
    theirs = _note(gym_a, other)
    with tenant_context(gym_a):
        member = MemberFactory()
        members = notify(member, "announcement", {"title": "t", "body": "b"})
    client = web(gym_a, owner)
    assert client.post(f"/dashboard/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/dashboard/notifications/{members.pk}/read/").status_code == 404
    assert client.post("/dashboard/notifications/99999999/read/").status_code == 404
    with tenant_context(gym_a):
        assert Notification.objects.filter(read_at__isnull=True).count() == 2


def test_inbox_is_staff_only(gym_a, make_user, web):
    member_user = make_user(gym_a, Role.MEMBER)
    assert web(gym_a, member_user).get("/dashboard/notifications/").status_code == 403
    anonymous = web(gym_a).get("/dashboard/notifications/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert web(gym_a, member_user).post("/dashboard/notifications/read-all/").status_code == 403


# --- Announcements --------------------------------------------------------------------------


def _form(**extra):
    return {"title": "Closed Monday", "body": "Public holiday.", "segment": "all_active", **extra}


def test_preview_shows_the_count_then_send_sends_what_was_previewed(
    gym_a, make_user, web, django_capture_on_commit_callbacks
):
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):
        for _ in range(3):
            MemberFactory()
    client = web(gym_a, owner)
    assert client.get(NEW).status_code == 200
    preview = client.post(NEW, _form(action="preview"))
    html = preview.content.decode()
    assert preview.status_code == 200
    assert 'class="num">3<' in html and "Send to 3 members" in html
    fingerprint = re.search(r'name="previewed" value="([0-9a-f]+)"', html).group(1)
    with tenant_context(gym_a):
        assert not Announcement.objects.exists()  # a preview stores nothing
    # Edited after the preview: previewed again, not sent.
    changed = client.post(NEW, _form(title="Other", action="send", previewed=fingerprint))
    assert changed.status_code == 200 and b'name="previewed"' in changed.content
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(NEW, _form(action="send", previewed=fingerprint))
    with tenant_context(gym_a):
        announcement = Announcement.objects.get()
        assert announcement.status == AnnouncementStatus.SENT
        assert announcement.recipient_count == 3
        assert Notification.objects.filter(member__isnull=False).count() == 3
    assert sent.status_code == 302
    assert sent["Location"] == f"/dashboard/notifications/announcements/{announcement.pk}/"
    detail = client.get(sent["Location"]).content.decode()
    assert "Closed Monday" in detail and "3 delivered, 0 read" in detail
    listing = client.get("/dashboard/notifications/announcements/").content.decode()
    assert "Closed Monday" in listing and "0 / 3" in listing and "3 sent" in listing


def test_segment_options_are_the_gyms_and_a_foreign_value_is_refused(gym_a, gym_b, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):
        MemberFactory(tags=["vip"])
        own = ClassSessionFactory(class_type__name="Akrobatik")
    with tenant_context(gym_b):
        # Sequences are per schema: take a B class whose id A does not use.
        foreign = ClassSessionFactory()
        while foreign.pk == own.pk:
            foreign = ClassSessionFactory()
    client = web(gym_a, owner)
    html = client.get(NEW).content.decode()
    assert '<option value="vip">' in html and "Akrobatik" in html
    response = client.post(NEW, _form(segment="session", session=str(foreign.pk), action="preview"))
    assert response.status_code == 400
    missing = client.post(NEW, _form(segment="tag", action="preview"))
    assert missing.status_code == 400 and b"Choose one." in missing.content
    with tenant_context(gym_a):
        assert not Announcement.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"title": ""},
        {"body": ""},
        {"title": "x" * 121},
        {"body": "y" * 2001},
        {"segment": "everyone"},
        {"segment": "plan", "plan": "abc"},
    ],
)
def test_bad_form_input_is_400_and_stores_nothing(gym_a, make_user, web, data):
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):
        MemberFactory()
    response = web(gym_a, owner).post(NEW, _form(action="send", **data))
    assert response.status_code == 400
    with tenant_context(gym_a):
        assert not Announcement.objects.exists()


def test_rate_limit_shows_on_the_form(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):
        MemberFactory()
        for _ in range(10):
            Announcement.objects.create(title="t", body="b", segment="all_active")
    client = web(gym_a, owner)
    html = client.post(NEW, _form(action="preview")).content.decode()
    fingerprint = re.search(r'name="previewed" value="([0-9a-f]+)"', html).group(1)
    response = client.post(NEW, _form(action="send", previewed=fingerprint))
    assert response.status_code == 429
    assert b"last 24 hours" in response.content


@pytest.mark.parametrize("role", [Role.TRAINER, Role.FRONT_DESK])
def test_trainer_and_desk_cannot_open_announcements(gym_a, make_user, web, role):
    user = make_user(gym_a, role)
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):
        announcement = Announcement.objects.create(title="t", body="b", segment="all_active")
    client = web(gym_a, user)
    for path in (
        "/dashboard/notifications/announcements/",
        NEW,
        f"/dashboard/notifications/announcements/{announcement.pk}/",
    ):
        assert client.get(path).status_code == 403
    assert client.post(NEW, _form(action="send")).status_code == 403
    home = client.get("/dashboard/").content.decode()
    assert "/dashboard/notifications/announcements/" not in home
    assert "/dashboard/notifications/announcements/" in (
        web(gym_a, owner).get("/dashboard/").content.decode()
    )
    with tenant_context(gym_a):
        assert Announcement.objects.count() == 1


def test_unknown_announcement_is_404(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    response = web(gym_a, owner).get("/dashboard/notifications/announcements/99999999/")
    assert response.status_code == 404
