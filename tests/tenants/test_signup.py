"""Gym signup on the platform site: validation, all-or-nothing provisioning, cloning."""

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.test import Client
from django_tenants.utils import schema_exists, tenant_context

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.common.errors import ApplicationError
from apps.members.models import Member
from apps.tenants.models import Domain, Gym
from apps.tenants.services import gym_create

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "Iron Temple",
    "slug": "iron-temple",
    "owner_name": "Ida Iron",
    "owner_email": "ida@iron.test",
    "password": "Lift-heavy-2026!",
    "time_zone": "Europe/Madrid",
    "currency": "EUR",
    "default_language": "es",
}


def test_owner_signs_up_and_gets_a_cloned_gym_with_login(web):
    response = web(None).post("/signup/", GOOD)
    assert response.status_code == 200, response.content
    assert b"iron-temple.localhost" in response.content
    gym = Gym.objects.get(slug="iron-temple")
    assert gym.schema_name == "gym_iron_temple"
    assert Domain.objects.get(tenant=gym).domain == "iron-temple.localhost"
    assert schema_exists("gym_iron_temple")
    with tenant_context(gym):
        owner = User.objects.get(email="ida@iron.test")
        assert owner.role == Role.OWNER and owner.is_staff
        assert owner.has_perm("members.add_member")
        assert owner.has_perm("accounts.manage_gym_settings")
        assert Member.objects.count() == 0
    login = web(gym).post(
        "/accounts/login/", {"login": "ida@iron.test", "password": GOOD["password"]}
    )
    assert login.status_code == 302
    assert web(gym).get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("slug", "gym-a", "already taken"),
        ("slug", "GYM-A", "already taken"),
        ("slug", "admin", "reserved"),
        ("slug", "www", "reserved"),
        ("slug", "-bad-", "lowercase letters"),
        ("slug", "a", "lowercase letters"),
        ("slug", "has space", "lowercase letters"),
        ("slug", "x" * 31, "30 characters"),
        ("slug", "ünïcode", "lowercase letters"),
        ("slug", "", "required"),
        ("owner_email", "not-an-email", "valid email"),
        ("password", "123", "too short"),
        ("password", "password123", "too common"),
        ("name", "", "required"),
    ],
)
def test_signup_with_bad_input_explains_and_creates_nothing(web, field, value, error):
    before = set(Gym.objects.values_list("schema_name", flat=True))
    response = web(None).post("/signup/", {**GOOD, field: value})
    assert response.status_code == 400
    assert error in response.content.decode().lower()
    assert set(Gym.objects.values_list("schema_name", flat=True)) == before
    assert not schema_exists("gym_iron_temple")


def test_failed_provisioning_leaves_no_half_made_gym(monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr("apps.tenants.services.user_create", broken)
    with pytest.raises(ApplicationError) as excinfo:
        gym_create(name="Half Made", slug="half-made", owner_email="h@h.test", owner_password=None)
    assert excinfo.value.code == "provisioning_failed"
    assert not Gym.objects.filter(slug="half-made").exists()
    assert not Domain.objects.filter(domain__startswith="half-made.").exists()
    assert not schema_exists("gym_half_made")


def test_provisioning_rejects_a_taken_slug_even_without_the_form():
    with pytest.raises(ApplicationError) as excinfo:
        gym_create(name="Again", slug="gym-b", owner_email="x@x.test", owner_password=None)
    assert excinfo.value.code == "slug_taken"


def test_unknown_host_gets_a_friendly_404_page(web):
    response = Client(HTTP_HOST="no-such-gym.localhost").get("/")
    assert response.status_code == 404
    assert b"There is no gym at this address" in response.content


def test_deactivated_gym_is_not_served(gym_b, web):
    Gym.objects.filter(pk=gym_b.pk).update(is_active=False)
    assert web(gym_b).get("/").status_code == 404


def test_landing_page_links_to_signup(web):
    response = web(None).get("/")
    assert response.status_code == 200
    assert b'href="/signup/"' in response.content


def test_cached_gym_settings_are_refreshed_on_save_and_never_half_edited(
    gym_a, make_user, web, settings, django_capture_on_commit_callbacks
):
    settings.TENANT_CACHE_SECONDS = 60
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    assert b"--brand: #1f6feb" in client.get("/dashboard/").content
    form = {
        "name": "Gym A",
        "time_zone": "UTC",
        "currency": "EUR",
        "default_language": "en",
        "allow_member_signup": "on",
    }
    # A rejected edit must not leak into the cached gym of later requests.
    assert client.post("/dashboard/settings/", {**form, "primary_colour": "red"}).status_code == 400
    assert b"--brand: #1f6feb" in client.get("/dashboard/").content
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post("/dashboard/settings/", {**form, "primary_colour": "#00aa55"})
    assert saved.status_code == 302
    assert b"--brand: #00aa55" in client.get("/dashboard/").content


def test_no_gym_is_cloned_from_a_template_that_is_behind_the_code(web):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM gym_template.django_migrations WHERE app = 'members' "
            "AND name = '0001_initial'"
        )
    response = web(None).post("/signup/", GOOD)
    assert response.status_code == 400
    assert b"cannot be created right now" in response.content
    assert not Gym.objects.filter(slug="iron-temple").exists()
    assert not schema_exists("gym_iron_temple")


def test_saving_settings_from_a_cached_gym_never_undoes_other_changes(
    gym_a, make_user, web, settings, django_capture_on_commit_callbacks
):
    settings.TENANT_CACHE_SECONDS = 60
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    assert client.get("/dashboard/").status_code == 200  # gym A is now cached here
    # Meanwhile another process (the platform admin) changes columns the form lacks.
    Gym.objects.filter(pk=gym_a.pk).update(
        entitlement_overrides={"pro": {"assessment_tests_per_month": 9}}
    )
    form = {
        "name": "Renamed",
        "time_zone": "UTC",
        "currency": "EUR",
        "default_language": "en",
        "primary_colour": "#1f6feb",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/dashboard/settings/", form).status_code == 302
    gym_a.refresh_from_db()
    assert gym_a.name == "Renamed"
    assert gym_a.entitlement_overrides == {"pro": {"assessment_tests_per_month": 9}}


def test_gym_signups_are_rate_limited_per_address(web, settings):
    settings.ACCOUNT_RATE_LIMITS = {"gym_signup": "2/h/ip"}
    cache.clear()
    try:
        codes = [
            web(None)
            .post("/signup/", {**GOOD, "slug": f"rl-gym-{i}", "owner_email": f"o{i}@rl.test"})
            .status_code
            for i in range(3)
        ]
    finally:
        cache.clear()
    assert codes == [200, 200, 429]
    assert not Gym.objects.filter(slug="rl-gym-2").exists()
