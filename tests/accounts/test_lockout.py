"""One lockout policy on every login surface (apps/accounts/lockout.py): five wrong
passwords lock that account *from that address*; the right password from elsewhere still
works, and a forged X-Forwarded-For picks no new address."""

import pytest
from django.test import override_settings

from apps.accounts.models import User
from apps.accounts.roles import Role
from tests.factories import PASSWORD

WRONG = "not-the-password"
ATTACKER, VICTIM = "203.0.113.7", "198.51.100.20"


def admin_login(client, email, password, ip, **extra):
    data = {"username": email, "password": password, "next": "/admin/"}
    return client.post("/admin/login/", data, REMOTE_ADDR=ip, **extra)


def web_login(client, email, password, ip, **extra):
    return client.post(
        "/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=ip, **extra
    )


def app_login(client, email, password, ip, **extra):
    body = {"email": email, "password": password}
    return client.post(
        "/_allauth/app/v1/auth/login",
        body,
        content_type="application/json",
        REMOTE_ADDR=ip,
        **extra,
    )


def signed_in(surface, response) -> bool:
    if surface is app_login:
        return response.status_code == 200
    return response.status_code == 302 and "login" not in response.get("Location", "")


@pytest.mark.parametrize("surface", [admin_login, web_login, app_login])
def test_five_wrong_passwords_lock_that_account_from_that_address_only(
    surface, gym_a, make_user, web
):
    make_user(gym_a, Role.OWNER, email="owner@a.test")
    attacker = web(gym_a)
    for _ in range(5):
        assert not signed_in(surface, surface(attacker, "owner@a.test", WRONG, ATTACKER))
    # Locked: even the right password is refused from the attacker's address ...
    refused = surface(attacker, "owner@a.test", PASSWORD, ATTACKER)
    assert refused.status_code == 429
    if surface is app_login:
        assert refused.json()["error"]["code"] == "locked_out"
        assert int(refused["Retry-After"]) > 0
    else:
        assert b"Sign-in paused" in refused.content
    # ... while the owner, from their own address, signs in as usual.
    assert signed_in(surface, surface(web(gym_a), "owner@a.test", PASSWORD, VICTIM))


def test_platform_admin_login_locks_too(db, web):
    User.objects.create_superuser("op@platform.test", PASSWORD)
    client = web(None)
    for _ in range(5):
        assert not signed_in(admin_login, admin_login(client, "op@platform.test", WRONG, ATTACKER))
    assert admin_login(client, "op@platform.test", PASSWORD, ATTACKER).status_code == 429
    assert signed_in(admin_login, admin_login(web(None), "op@platform.test", PASSWORD, VICTIM))


def test_a_forged_forwarded_for_header_picks_no_new_address(gym_a, make_user, web):
    # No proxy in front (TRUSTED_PROXY_COUNT 0, as under make run): the header is ignored.
    make_user(gym_a, Role.MEMBER, email="m@a.test")
    client = web(gym_a)
    for n in range(5):
        app_login(client, "m@a.test", WRONG, ATTACKER, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    forged = app_login(client, "m@a.test", PASSWORD, ATTACKER, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert forged.status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_the_address_it_appended_counts(gym_a, make_user, web):
    make_user(gym_a, Role.MEMBER, email="p@a.test")
    client = web(gym_a)
    for n in range(5):
        # The client's own prefix varies; the proxy's appended address does not.
        forwarded = f"10.0.0.{n}, {ATTACKER}"
        app_login(client, "p@a.test", WRONG, "172.18.0.5", HTTP_X_FORWARDED_FOR=forwarded)
    locked = app_login(
        client, "p@a.test", PASSWORD, "172.18.0.5", HTTP_X_FORWARDED_FOR=f"1.1.1.1, {ATTACKER}"
    )
    assert locked.status_code == 429
    other = app_login(client, "p@a.test", PASSWORD, "172.18.0.5", HTTP_X_FORWARDED_FOR=VICTIM)
    assert other.status_code == 200


def test_a_successful_sign_in_clears_the_failures(gym_a, make_user, web):
    make_user(gym_a, Role.MEMBER, email="r@a.test")
    client = web(gym_a)
    for _ in range(4):
        app_login(client, "r@a.test", WRONG, ATTACKER)
    assert app_login(client, "r@a.test", PASSWORD, ATTACKER).status_code == 200
    for _ in range(4):
        app_login(client, "r@a.test", WRONG, ATTACKER)
    assert app_login(client, "r@a.test", PASSWORD, ATTACKER).status_code == 200


def test_failures_in_gym_a_do_not_lock_the_same_email_in_gym_b(gym_a, gym_b, make_user, web):
    make_user(gym_a, Role.MEMBER, email="same@x.test")
    make_user(gym_b, Role.MEMBER, email="same@x.test")
    for _ in range(6):
        app_login(web(gym_a), "same@x.test", WRONG, ATTACKER)
    assert app_login(web(gym_b), "same@x.test", PASSWORD, ATTACKER).status_code == 200
