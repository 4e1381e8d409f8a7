"""Invitations: staff and members get a real invitation (gym, who invited, role, a link
to choose a password that works once for 7 days); resend replaces the link, revoke kills
it, a double click sends once, and another gym's people are out of reach."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import Invitation, User
from apps.accounts.roles import Role
from apps.members.models import Member
from apps.notifications.models import Notification
from apps.tenants.models import Gym

LINK = re.compile(r"https?://[^/\s]+(/accounts/invitation/[^/\s]+/)")
NEW_PASSWORD = "Choose-me-2026!"


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """sent(callable) -> the emails sent by it, after commit."""

    def run(action):
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            result = action()
        return result, mail.outbox[before:]

    return run


def _link(message) -> str:
    return LINK.search(message.body).group(1)


def _later(monkeypatch, delta):
    moved = timezone.now() + delta
    monkeypatch.setattr(timezone, "now", lambda: moved)


@pytest.fixture
def owner(gym_a, make_user):
    return make_user(gym_a, Role.OWNER, full_name="Olga Owner")


@pytest.fixture
def invite_tina(gym_a, owner, web, sent):
    """Olga adds Tina as a trainer; returns (owner's client, Tina's email)."""
    client = web(gym_a, owner)
    response, emails = sent(
        lambda: client.post(
            "/dashboard/staff/",
            {"full_name": "Tina Trainer", "email": "tina@a.test", "role": "trainer"},
        )
    )
    assert response.status_code == 302
    assert len(emails) == 1
    return client, emails[0]


def test_staff_invitation_names_the_gym_the_inviter_the_role_and_a_7_day_link(gym_a, invite_tina):
    _client, email = invite_tina
    assert email.to == ["tina@a.test"]
    assert email.subject == f"[{gym_a.name}] You are invited to join the {gym_a.name} team"
    assert "reset" not in email.subject.lower() + email.body.lower()
    assert f"Olga Owner invited you to the {gym_a.name} team as Trainer." in email.body
    assert "http://gym-a.localhost/accounts/invitation/" in email.body
    with tenant_context(gym_a):
        invitation = Invitation.objects.get(user__email="tina@a.test")
        assert invitation.expires_at - invitation.created_at == timedelta(days=7)
        # Only a hash is stored; the in-app copy does not carry the link either.
        token = _link(email).rstrip("/").rsplit("/", 1)[-1]
        assert token not in invitation.token_hash
        in_app = Notification.objects.get(user=invitation.user)
        assert "/accounts/invitation/" not in in_app.body


def test_the_link_sets_the_password_logs_in_and_works_once(gym_a, invite_tina, web):
    _client, email = invite_tina
    link = _link(email)
    page = web(gym_a).get(link)
    assert page.status_code == 200 and b"Choose your password" in page.content
    tina = web(gym_a)
    weak = tina.post(link, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 400
    done = tina.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/dashboard/"
    assert tina.get("/dashboard/").status_code == 200
    with tenant_context(gym_a):
        user = User.objects.get(email="tina@a.test")
        assert user.check_password(NEW_PASSWORD)
        assert user.emailaddress_set.get().verified
    again = web(gym_a).get(link)
    assert again.status_code == 410 and b"already used" in again.content
    replay = web(gym_a).post(
        link, {"new_password1": "Other-2026!x", "new_password2": "Other-2026!x"}
    )
    assert replay.status_code == 410
    with tenant_context(gym_a):
        assert User.objects.get(email="tina@a.test").check_password(NEW_PASSWORD)


def test_the_link_expires_after_7_days_and_the_page_sends_a_new_one(
    gym_a, invite_tina, web, sent, monkeypatch
):
    _client, email = invite_tina
    link = _link(email)
    _later(monkeypatch, timedelta(days=7) - timedelta(minutes=1))
    assert web(gym_a).get(link).status_code == 200
    _later(monkeypatch, timedelta(days=7, minutes=1))
    expired = web(gym_a).get(link)
    assert expired.status_code == 410 and b"expired" in expired.content
    post = web(gym_a).post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert post.status_code == 410
    renewed, emails = sent(lambda: web(gym_a).post(f"{link}renew/"))
    assert renewed.status_code == 200 and b"tina@a.test" in renewed.content
    assert len(emails) == 1 and emails[0].to == ["tina@a.test"]
    assert _link(emails[0]) != link
    assert web(gym_a).get(_link(emails[0])).status_code == 200
    # The old link renews once: it is now replaced.
    _again, more = sent(lambda: web(gym_a).post(f"{link}renew/"))
    assert more == [] and b"newer" in web(gym_a).get(link).content


def test_resend_replaces_the_link_and_a_double_click_sends_once(
    gym_a, invite_tina, sent, web, monkeypatch
):
    client, first = invite_tina
    with tenant_context(gym_a):
        tina = User.objects.get(email="tina@a.test")
    url = f"/dashboard/staff/{tina.pk}/invitation/"
    # Right after adding: the same click again sends nothing new.
    _r, none = sent(lambda: client.post(url, {"action": "resend"}))
    assert none == []
    _later(monkeypatch, timedelta(minutes=5))
    _r, emails = sent(lambda: [client.post(url, {"action": "resend"}) for _ in range(2)])
    assert len(emails) == 1
    old = web(gym_a).get(_link(first))
    assert old.status_code == 410 and b"newer" in old.content
    assert web(gym_a).get(_link(emails[0])).status_code == 200


def test_revoke_kills_the_link_and_the_account_until_invited_again(
    gym_a, invite_tina, sent, web, monkeypatch
):
    client, email = invite_tina
    with tenant_context(gym_a):
        tina = User.objects.get(email="tina@a.test")
    url = f"/dashboard/staff/{tina.pk}/invitation/"
    page = client.post(url, {"action": "revoke"}, follow=True)
    assert b"revoked" in page.content
    dead = web(gym_a).get(_link(email))
    assert dead.status_code == 410 and b"withdrawn" in dead.content
    with tenant_context(gym_a):
        tina.refresh_from_db()
        assert not tina.is_active
    nothing = client.post(url, {"action": "revoke"}, follow=True)
    assert b"no open invitation" in nothing.content
    _later(monkeypatch, timedelta(minutes=5))
    _r, emails = sent(lambda: client.post(url, {"action": "resend"}))
    assert len(emails) == 1 and web(gym_a).get(_link(emails[0])).status_code == 200


def test_team_page_shows_the_invitation_and_its_buttons(gym_a, invite_tina):
    client, _email = invite_tina
    page = client.get("/dashboard/staff/").content.decode()
    assert "Invited, link works until" in page
    assert "Resend invitation" in page and "Revoke invitation" in page


def test_invitations_need_the_staff_permission(gym_a, invite_tina, make_user, web):
    with tenant_context(gym_a):
        tina = User.objects.get(email="tina@a.test")
    desk = web(gym_a, make_user(gym_a, Role.FRONT_DESK))
    response = desk.post(f"/dashboard/staff/{tina.pk}/invitation/", {"action": "revoke"})
    assert response.status_code == 403


def test_another_gyms_colleague_and_link_are_not_found(gym_a, gym_b, invite_tina, make_user, web):
    _client, email = invite_tina
    with tenant_context(gym_a):
        tina = User.objects.get(email="tina@a.test")
    owner_b = web(gym_b, make_user(gym_b, Role.OWNER))
    for action in ("resend", "revoke"):
        response = owner_b.post(f"/dashboard/staff/{tina.pk}/invitation/", {"action": action})
        assert response.status_code == 404
    assert web(gym_b).get(_link(email)).status_code == 404
    assert web(gym_a).get("/accounts/invitation/not-a-token/").status_code == 404
    with tenant_context(gym_a):
        assert Invitation.objects.get(user=tina).state() == "open"


def test_invite_a_member_to_the_app_in_their_language_with_the_app_link(
    gym_a, make_user, make_member, web, sent
):
    member = make_member(gym_a, first_name="Ana", email="ana@a.test", language="es")
    client = web(gym_a, make_user(gym_a, Role.FRONT_DESK, full_name="Dora Desk"))
    url = f"/dashboard/members/{member.pk}/app-access/"
    # A double click: one login, one email.
    responses, emails = sent(lambda: [client.post(url, follow=True) for _ in range(2)])
    assert b"Invitation sent" in responses[0].content
    assert len(emails) == 1
    email = emails[0]
    assert email.to == ["ana@a.test"] and "Hola, Ana" in email.body
    assert "Dora Desk" in email.body and "http://gym-a.localhost/app/" in email.body
    # Rendered in Spanish (Django's own month names show it; the lead translates ours).
    expires = timezone.localtime(timezone.now() + timedelta(days=7)).date()
    months = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
              "septiembre", "octubre", "noviembre", "diciembre"]  # fmt: skip
    assert months[expires.month - 1] in email.body
    member_client = web(gym_a)
    done = member_client.post(
        _link(email), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == "/app/"
    with tenant_context(gym_a):
        member.refresh_from_db()
        assert member.user.role == Role.MEMBER and member.user.check_password(NEW_PASSWORD)
    again = client.post(url, follow=True)
    assert b"can already log in" in again.content


def test_member_without_a_language_gets_the_gyms(gym_a, make_user, make_member, web, sent):
    Gym.objects.filter(pk=gym_a.pk).update(default_language="de")
    member = make_member(gym_a, first_name="Udo", email="udo@a.test", language="")
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    _r, emails = sent(lambda: client.post(f"/dashboard/members/{member.pk}/app-access/"))
    expires = timezone.localtime(timezone.now() + timedelta(days=7)).date()
    months = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
              "September", "Oktober", "November", "Dezember"]  # fmt: skip
    assert len(emails) == 1 and months[expires.month - 1] in emails[0].body
    with tenant_context(gym_a):
        assert Member.objects.get(pk=member.pk).user is not None
