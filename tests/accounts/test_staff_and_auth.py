"""Web login, member self-signup, email verification, password reset, staff management."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.members.models import Member
from apps.tenants.models import Gym
from tests.factories import PASSWORD


def test_staff_log_in_by_email_and_land_on_the_dashboard(gym_a, make_user, web):
    make_user(gym_a, Role.FRONT_DESK, email="desk@a.test")
    client = web(gym_a)
    response = client.post("/accounts/login/", {"login": "DESK@a.test", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/", follow=True).redirect_chain[-1][0] == "/dashboard/"


def test_wrong_password_is_refused(gym_a, make_user, web):
    make_user(gym_a, Role.OWNER, email="o2@a.test")
    response = web(gym_a).post("/accounts/login/", {"login": "o2@a.test", "password": "nope"})
    assert response.status_code == 200
    assert b"not correct" in response.content


def test_member_self_signup_creates_a_lead_and_asks_to_verify_email(gym_a, web):
    response = web(gym_a).post(
        "/accounts/signup/",
        {"email": "newbie@a.test", "password1": "Sign-me-up-2026", "password2": "Sign-me-up-2026"},
    )
    assert response.status_code == 302
    assert "confirm-email" in response["Location"] or "verification" in response["Location"]
    assert len(mail.outbox) == 1 and "newbie@a.test" in mail.outbox[0].to
    with tenant_context(gym_a):
        user = User.objects.get(email="newbie@a.test")
        assert user.role == Role.MEMBER and not user.is_gym_staff
        assert Member.objects.get(user=user).status == "lead"
        assert not EmailAddress.objects.get(user=user).verified


def test_signup_is_closed_when_the_gym_does_not_allow_it(gym_a, web):
    Gym.objects.filter(pk=gym_a.pk).update(allow_member_signup=False)
    response = web(gym_a).post(
        "/accounts/signup/",
        {"email": "closed@a.test", "password1": "Sign-me-up-2026", "password2": "Sign-me-up-2026"},
    )
    assert b"closed" in response.content.lower()
    with tenant_context(gym_a):
        assert not User.objects.filter(email="closed@a.test").exists()


def test_signup_rejects_weak_passwords_and_duplicate_emails(gym_a, make_user, web):
    make_user(gym_a, Role.MEMBER, email="dup@a.test")
    weak = web(gym_a).post(
        "/accounts/signup/", {"email": "weak@a.test", "password1": "123", "password2": "123"}
    )
    assert weak.status_code == 200 and b"too short" in weak.content
    dup = web(gym_a).post(
        "/accounts/signup/",
        {"email": "DUP@a.test", "password1": "Sign-me-up-2026", "password2": "Sign-me-up-2026"},
    )
    # Enumeration protection: the page looks like success, the owner of the address is
    # told by email, and no second account appears.
    assert dup.status_code == 302
    assert len(mail.outbox) == 1 and "already" in mail.outbox[0].body.lower()
    with tenant_context(gym_a):
        assert User.objects.filter(email__iexact="dup@a.test").count() == 1


def test_password_reset_sends_a_link_on_the_gyms_domain(gym_a, make_user, web):
    make_user(gym_a, Role.MEMBER, email="forgot@a.test")
    response = web(gym_a).post("/accounts/password/reset/", {"email": "forgot@a.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "http://gym-a.localhost/accounts/password/reset/key/" in mail.outbox[0].body


def test_owner_adds_a_trainer_who_gets_an_invitation(
    gym_a, make_user, web, django_capture_on_commit_callbacks
):
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/dashboard/staff/",
            {"full_name": "Tina Trainer", "email": "tina@a.test", "role": "trainer"},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "tina@a.test" in mail.outbox[0].to
    with tenant_context(gym_a):
        tina = User.objects.get(email="tina@a.test")
        assert tina.role == Role.TRAINER and tina.has_perm("members.view_member")
        assert not tina.has_perm("members.add_member") and not tina.is_staff


def test_manager_cannot_create_or_demote_an_owner(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    client = web(gym_a, make_user(gym_a, Role.MANAGER))
    create = client.post(
        "/dashboard/staff/", {"full_name": "X", "email": "x@a.test", "role": "owner"}
    )
    assert create.status_code == 400
    client.post(f"/dashboard/staff/{owner.pk}/", {"role": "trainer", "action": "role"})
    with tenant_context(gym_a):
        owner.refresh_from_db()
        assert owner.role == Role.OWNER


def test_role_change_and_deactivation(gym_a, make_user, web):
    desk = make_user(gym_a, Role.FRONT_DESK)
    owner = make_user(gym_a, Role.OWNER)
    client = web(gym_a, owner)
    client.post(f"/dashboard/staff/{desk.pk}/", {"role": "manager", "action": "role"})
    with tenant_context(gym_a):
        desk.refresh_from_db()
        assert desk.role == Role.MANAGER and desk.is_staff
        assert desk.has_perm("accounts.manage_staff")
    client.post(f"/dashboard/staff/{desk.pk}/", {"action": "deactivate"})
    with tenant_context(gym_a):
        desk.refresh_from_db()
        assert not desk.is_active
    own = client.post(f"/dashboard/staff/{owner.pk}/", {"action": "deactivate"}, follow=True)
    assert b"cannot deactivate your own account" in own.content


def test_gym_admins_use_django_admin_but_trainers_do_not(gym_a, make_user, make_member, web):
    make_member(gym_a, first_name="Adminseen")
    manager = web(gym_a, make_user(gym_a, Role.MANAGER))
    assert b"Adminseen" in manager.get("/admin/members/member/").content
    trainer = web(gym_a, make_user(gym_a, Role.TRAINER))
    assert trainer.get("/admin/members/member/").status_code == 302  # to the admin login


def test_owner_changes_branding(gym_a, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    data = {
        "name": "Gym A Renamed",
        "time_zone": "Europe/Paris",
        "currency": "EUR",
        "default_language": "fr",
        "primary_colour": "#aa3300",
        "allow_member_signup": "on",
    }
    assert client.post("/dashboard/settings/", data).status_code == 302
    gym_a.refresh_from_db()
    assert gym_a.name == "Gym A Renamed" and gym_a.primary_colour == "#aa3300"
    bad = client.post("/dashboard/settings/", {**data, "primary_colour": "red"})
    assert bad.status_code == 400


def test_platform_operator_manages_gyms_in_platform_admin(db, web):
    operator = User.objects.create_superuser("op@platform.test", PASSWORD)
    client = web(None, None)
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/admin/tenants/gym/")
    assert page.status_code == 200 and b"Gym A" in page.content and b"Gym B" in page.content
    assert client.get("/admin/members/member/").status_code == 404


def test_manager_cannot_edit_an_owner_in_admin(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    desk = make_user(gym_a, Role.FRONT_DESK)
    client = web(gym_a, make_user(gym_a, Role.MANAGER))
    assert client.get(f"/admin/accounts/user/{desk.pk}/change/").status_code == 200
    page = client.get(f"/admin/accounts/user/{owner.pk}/change/")
    assert page.status_code == 200 and b'name="role"' not in page.content  # read-only view
    client.post(
        f"/admin/accounts/user/{owner.pk}/change/", {"email": owner.email, "role": "member"}
    )
    with tenant_context(gym_a):
        owner.refresh_from_db()
        assert owner.role == Role.OWNER


def test_member_signs_up_in_the_app_and_verifies_with_the_emailed_code(gym_a, api):
    client = api(gym_a)
    signup = client.post(
        "/_allauth/app/v1/auth/signup",
        {"email": "appie@a.test", "password": "Sign-me-up-2026"},
        format="json",
    )
    assert signup.status_code == 401  # pending: verify the email first
    token = signup.json()["meta"]["session_token"]
    pending = [f["id"] for f in signup.json()["data"]["flows"] if f.get("is_pending")]
    assert pending == ["verify_email"]
    email = mail.outbox[-1]
    assert "Gym A" in email.subject and "Gym A" in email.body  # the gym's name, not a host
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", email.body, re.MULTILINE).group(1)
    wrong = client.post(
        "/_allauth/app/v1/auth/email/verify",
        {"key": "WRONG1"},
        format="json",
        HTTP_X_SESSION_TOKEN=token,
    )
    assert wrong.status_code == 400
    verified = client.post(
        "/_allauth/app/v1/auth/email/verify",
        {"key": code},
        format="json",
        HTTP_X_SESSION_TOKEN=token,
    )
    assert verified.status_code == 200, verified.content
    token = verified.json()["meta"]["session_token"]
    me = client.get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token)
    assert me.status_code == 200
    assert me.json()["email"] == "appie@a.test" and me.json()["status"] == "lead"


def test_owner_sets_opening_hours_with_a_midday_break(
    gym_a, make_user, web, django_capture_on_commit_callbacks
):
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    data = {
        "name": "Gym A",
        "time_zone": "Europe/Paris",
        "currency": "EUR",
        "default_language": "en",
        "primary_colour": "#1f6feb",
        "hours_mon": "15:00-21:00, 06:00-12:00",
        "hours_sat": "08:00-14:00",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/dashboard/settings/", data).status_code == 302
    gym_a.refresh_from_db()
    assert gym_a.opening_hours["mon"] == [["06:00", "12:00"], ["15:00", "21:00"]]
    assert gym_a.opening_hours["sun"] == []  # empty: closed
    page = client.get("/dashboard/settings/").content.decode()
    assert 'value="06:00-12:00, 15:00-21:00"' in page


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("6-22", "06:00-22:00"),
        ("22:00-06:00", "after opening"),
        ("06:00-12:00, 11:00-14:00", "overlap"),
        ("25:00-26:00", "06:00-22:00"),
    ],
)
def test_bad_opening_hours_are_explained_and_nothing_changes(gym_a, make_user, web, text, error):
    before = Gym.objects.get(pk=gym_a.pk).opening_hours
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    data = {
        "name": "Gym A",
        "time_zone": "UTC",
        "currency": "EUR",
        "default_language": "en",
        "primary_colour": "#1f6feb",
        "hours_tue": text,
    }
    response = client.post("/dashboard/settings/", data)
    assert response.status_code == 400 and error in response.content.decode()
    assert Gym.objects.get(pk=gym_a.pk).opening_hours == before


def _admin_user_form(user, **changes) -> dict:
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    return {**data, **changes}


def test_manager_cannot_make_anyone_an_owner_in_admin(gym_a, make_user, web):
    manager = make_user(gym_a, Role.MANAGER)
    client = web(gym_a, manager)
    response = client.post(
        f"/admin/accounts/user/{manager.pk}/change/", _admin_user_form(manager, role="owner")
    )
    assert response.status_code == 200 and b"Only an owner" in response.content
    added = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "sneaky@a.test",
            "full_name": "S",
            "role": "owner",
            "password1": "Sneaky-pass-2026",
            "password2": "Sneaky-pass-2026",
        },
    )
    assert added.status_code == 200 and b"Only an owner" in added.content
    with tenant_context(gym_a):
        manager.refresh_from_db()
        assert manager.role == Role.MANAGER
        assert not User.objects.filter(email="sneaky@a.test").exists()


def test_the_last_owner_cannot_step_down_or_be_deactivated(gym_a, web):
    with tenant_context(gym_a):
        owner = User.objects.get(email="owner@gym-a.test")  # the gym's only owner
    client = web(gym_a, owner)
    page = client.post(
        f"/dashboard/staff/{owner.pk}/", {"role": "trainer", "action": "role"}, follow=True
    )
    assert b"needs an owner" in page.content
    admin_page = client.post(
        f"/admin/accounts/user/{owner.pk}/change/", _admin_user_form(owner, role="trainer")
    )
    assert admin_page.status_code == 200 and b"needs an owner" in admin_page.content
    with tenant_context(gym_a):
        owner.refresh_from_db()
        assert owner.role == Role.OWNER and owner.is_active


def test_an_owner_hands_over_to_a_new_owner_then_steps_down(gym_a, make_user, web):
    first = make_user(gym_a, Role.OWNER)
    second = make_user(gym_a, Role.MANAGER)
    client = web(gym_a, first)
    client.post(f"/dashboard/staff/{second.pk}/", {"role": "owner", "action": "role"})
    client.post(f"/dashboard/staff/{first.pk}/", {"role": "manager", "action": "role"})
    with tenant_context(gym_a):
        first.refresh_from_db()
        second.refresh_from_db()
    assert (first.role, second.role) == (Role.MANAGER, Role.OWNER)


def test_signup_with_an_address_another_member_profile_holds_still_works(
    gym_a, make_user, make_member, web
):
    login = make_user(gym_a, Role.MEMBER, email="old@a.test")
    make_member(gym_a, user=login, email="shared@a.test")  # profile email differs from login
    response = web(gym_a).post(
        "/accounts/signup/",
        {"email": "shared@a.test", "password1": "Sign-me-up-2026", "password2": "Sign-me-up-2026"},
    )
    assert response.status_code == 302
    with tenant_context(gym_a):
        newcomer = User.objects.get(email="shared@a.test")
        assert Member.objects.get(user=newcomer).status == "lead"


def test_overlong_emails_are_a_form_error_not_a_crash(gym_a, make_user, web):
    long_email = "a" * 250 + "@x.test"
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    response = client.post(
        "/dashboard/staff/", {"full_name": "L", "email": long_email, "role": "trainer"}
    )
    assert response.status_code == 400
    signup = web(None).post(
        "/signup/",
        {
            "name": "Long",
            "slug": "long-mail",
            "owner_name": "L",
            "owner_email": long_email,
            "password": "Lift-heavy-2026!",
            "time_zone": "UTC",
            "currency": "EUR",
            "default_language": "en",
        },
    )
    assert signup.status_code == 400
    assert not Gym.objects.filter(slug="long-mail").exists()
