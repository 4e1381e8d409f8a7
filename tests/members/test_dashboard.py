"""Staff dashboard pages for members: list, search, detail, create, edit, roles."""

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.members.models import Member
from apps.tenants.middleware import gym_cache_clear
from apps.tenants.models import Gym


def test_staff_find_members_by_search_and_filters(gym_a, make_user, make_member, web):
    make_member(gym_a, first_name="Greta", last_name="Garbo", status="frozen", tags=["vip"])
    make_member(gym_a, first_name="Hugo", last_name="Boss", status="active")
    client = web(gym_a, make_user(gym_a, Role.TRAINER))
    page = client.get("/dashboard/members/").content.decode()
    assert "Garbo" in page and "Boss" in page
    assert "Boss" not in client.get("/dashboard/members/?q=garbo").content.decode()
    assert "Garbo" not in client.get("/dashboard/members/?status=active").content.decode()
    assert "Boss" not in client.get("/dashboard/members/?tag=vip").content.decode()
    # Unknown filter values are ignored, not a crash.
    assert client.get("/dashboard/members/?status=bogus&page=abc").status_code == 200


def test_front_desk_adds_a_member_and_sees_the_detail_page(gym_a, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.FRONT_DESK))
    response = client.post(
        "/dashboard/members/new/",
        {
            "first_name": "Ines",
            "last_name": "Iron",
            "email": "ines@i.test",
            "status": "lead",
            "tier": "basic",
            "joined_on": "2026-11-01",
            "tags": "morning, family",
        },
    )
    assert response.status_code == 302
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert b"Ines Iron" in detail.content and b"morning" in detail.content
    with tenant_context(gym_a):
        assert Member.objects.get(email="ines@i.test").tags == ["morning", "family"]


def test_member_form_errors_are_shown_and_nothing_is_saved(gym_a, make_user, make_member, web):
    make_member(gym_a, email="taken@t.test")
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    response = client.post(
        "/dashboard/members/new/",
        {
            "first_name": "",
            "email": "taken@t.test",
            "status": "lead",
            "tier": "free",
            "joined_on": "2026-11-01",
        },
    )
    assert response.status_code == 400
    assert b"This field is required" in response.content
    with tenant_context(gym_a):
        assert Member.objects.count() == 1


def test_editing_keeps_what_was_not_changed(gym_a, make_user, make_member, web):
    head = make_member(gym_a, first_name="Head")
    member = make_member(
        gym_a, first_name="Old", phone="+1 555", notes="keep me", tags=["a"], household=head
    )
    client = web(gym_a, make_user(gym_a, Role.MANAGER))
    form = client.get(f"/dashboard/members/{member.pk}/edit/")
    assert form.status_code == 200
    # Post back what the form shows, with only the first name changed (no new photo).
    data = {
        name: value
        for name, value in form.context["form"].initial.items()
        if value not in (None, "") and name != "photo"
    }
    data.update(first_name="New", household=head.pk, joined_on=member.joined_on.isoformat())
    response = client.post(f"/dashboard/members/{member.pk}/edit/", data)
    assert response.status_code == 302
    with tenant_context(gym_a):
        member.refresh_from_db()
    assert member.first_name == "New"
    assert (member.phone, member.notes, member.tags, member.household_id) == (
        "+1 555",
        "keep me",
        ["a"],
        head.pk,
    )


def test_staff_invite_a_member_to_the_app(gym_a, make_user, make_member, web):
    member = make_member(gym_a, email="app@a.test")
    client = web(gym_a, make_user(gym_a, Role.FRONT_DESK))
    response = client.post(f"/dashboard/members/{member.pk}/app-access/", follow=True)
    assert b"Invitation sent" in response.content
    with tenant_context(gym_a):
        member.refresh_from_db()
        assert member.user.role == Role.MEMBER and not member.user.has_usable_password()
    # Not yet accepted: the page offers to send it again (tests/accounts/test_invitations.py).
    assert b"Send the invitation again" in client.get(f"/dashboard/members/{member.pk}/").content


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        (Role.TRAINER, "/dashboard/members/new/", 403),
        (Role.TRAINER, "/dashboard/staff/", 403),
        (Role.FRONT_DESK, "/dashboard/settings/", 403),
        (Role.MANAGER, "/dashboard/settings/", 403),
        (Role.MANAGER, "/dashboard/staff/", 200),
        (Role.OWNER, "/dashboard/settings/", 200),
        (Role.MEMBER, "/dashboard/", 403),
        (Role.MEMBER, "/dashboard/members/", 403),
    ],
)
def test_dashboard_pages_follow_roles(gym_a, make_user, web, role, url, status):
    assert web(gym_a, make_user(gym_a, role)).get(url).status_code == status


def test_anonymous_is_sent_to_login(gym_a, web):
    response = web(gym_a).get("/dashboard/members/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_dashboard_renders_on_a_phone_sized_layout_with_branding(gym_a, make_user, web):
    page = web(gym_a, make_user(gym_a, Role.OWNER)).get("/dashboard/").content.decode()
    assert 'name="viewport"' in page
    assert f"--brand: {gym_a.primary_colour}" in page
    assert 'aria-current="page"' in page
    assert 'for="language"' in page  # the language switcher is labelled


def test_a_light_brand_colour_keeps_text_readable(gym_a, make_user, web):
    Gym.objects.filter(pk=gym_a.pk).update(primary_colour="#ffe600")  # bright yellow
    page = web(gym_a, make_user(gym_a, Role.OWNER)).get("/dashboard/").content.decode()
    assert "--brand: #ffe600; --on-brand: #1b1f24; --link: #1b1f24;" in page
    Gym.objects.filter(pk=gym_a.pk).update(primary_colour="#0b3d91")  # dark blue
    gym_cache_clear()  # a direct update bypasses the service that clears it
    page = web(gym_a, make_user(gym_a, Role.OWNER)).get("/dashboard/").content.decode()
    assert "--on-brand" not in page
