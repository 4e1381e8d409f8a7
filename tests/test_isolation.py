"""Tenant isolation: whatever is made in gym A is invisible from gym B, through every
page, API endpoint, admin page, login, session, cache entry and WebSocket group.

Later issues extend the parametrized lists below with their own pages and endpoints.
"""

import pytest
from django.core.cache import cache
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from tests.factories import PASSWORD

# Pages and endpoints that address one member by id: gym B's staff must get 404 for A's.
MEMBER_URLS = [
    ("web", "/dashboard/members/{id}/"),
    ("web", "/dashboard/members/{id}/edit/"),
    ("web_post", "/dashboard/members/{id}/app-access/"),
    ("admin", "/admin/members/member/{id}/change/"),
    ("api", "/api/v1/members/{id}/"),
    ("api_patch", "/api/v1/members/{id}/"),
]


@pytest.mark.parametrize(("kind", "url"), MEMBER_URLS)
def test_member_of_gym_a_is_not_found_from_gym_b(
    kind, url, gym_a, gym_b, make_user, make_member, web, api
):
    member_a = make_member(gym_a, first_name="Alice")
    owner_b = make_user(gym_b, Role.OWNER)
    path = url.format(id=member_a.pk)
    if kind in ("web", "admin"):
        response = web(gym_b, owner_b).get(path)
    elif kind == "web_post":
        response = web(gym_b, owner_b).post(path)
    elif kind == "api":
        response = api(gym_b, owner_b).get(path)
    else:
        response = api(gym_b, owner_b).patch(path, {"first_name": "Mallory"}, format="json")
    if kind == "admin":
        # Django admin answers an unknown id by redirecting to its index with a
        # "doesn't exist" message rather than a 404; either way nothing of A shows.
        assert response.status_code == 302 and response["Location"] == "/admin/"
    else:
        assert response.status_code == 404
    assert b"Alice" not in response.content
    with tenant_context(gym_a):
        member_a.refresh_from_db()
        assert member_a.first_name == "Alice"


# Staff accounts by id: gym B's owner cannot see or change gym A's people.
USER_URLS = [
    ("web_post", "/dashboard/staff/{id}/"),
    ("admin", "/admin/accounts/user/{id}/change/"),
]


@pytest.mark.parametrize(("kind", "url"), USER_URLS)
def test_staff_of_gym_a_is_not_found_from_gym_b(kind, url, gym_a, gym_b, make_user, web):
    desk_a = make_user(gym_a, Role.FRONT_DESK, email="desk@a.test")
    owner_b = make_user(gym_b, Role.OWNER)
    client = web(gym_b, owner_b)
    path = url.format(id=desk_a.pk)
    if kind == "admin":
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/admin/"
    else:
        response = client.post(path, {"action": "deactivate"})
        assert response.status_code == 404
    assert b"desk@a.test" not in response.content
    with tenant_context(gym_a):
        desk_a.refresh_from_db()
        assert desk_a.is_active and desk_a.role == Role.FRONT_DESK


# Lists and searches: gym B's staff never see gym A's rows.
LIST_URLS = [
    ("web", "/dashboard/staff/"),
    ("web", "/dashboard/members/?q=Zebediah"),
    ("web", "/dashboard/"),
    ("admin", "/admin/members/member/?q=Zebediah"),
    ("api", "/api/v1/members/?q=Zebediah"),
    ("api", "/api/v1/members/"),
]


@pytest.mark.parametrize(("kind", "url"), LIST_URLS)
def test_lists_in_gym_b_do_not_show_gym_a_members(
    kind, url, gym_a, gym_b, make_user, make_member, web, api
):
    make_member(gym_a, first_name="Zebediah", last_name="Aonly")
    make_user(gym_a, Role.TRAINER, full_name="Trainer Aonly")
    owner_b = make_user(gym_b, Role.OWNER)
    client = api(gym_b, owner_b) if kind == "api" else web(gym_b, owner_b)
    response = client.get(url)
    assert response.status_code == 200
    assert b"Aonly" not in response.content
    owner_a = make_user(gym_a, Role.OWNER)
    same_in_a = (api if kind == "api" else web)(gym_a, owner_a).get(url)
    assert b"Aonly" in same_in_a.content  # the test can fail: A does see it


def test_gym_a_user_cannot_log_into_gym_b_web(gym_a, gym_b, make_user, web):
    make_user(gym_a, Role.OWNER, email="alice@a.test")
    client_b = web(gym_b)
    response = client_b.post("/accounts/login/", {"login": "alice@a.test", "password": PASSWORD})
    assert response.status_code == 200  # the form again, with an error
    assert client_b.get("/dashboard/").status_code == 302  # still anonymous in B
    client_a = web(gym_a)
    ok = client_a.post("/accounts/login/", {"login": "alice@a.test", "password": PASSWORD})
    assert ok.status_code == 302 and client_a.get("/dashboard/").status_code == 200


def test_gym_a_user_cannot_log_into_gym_b_app(gym_a, gym_b, make_user, api):
    make_user(gym_a, Role.MEMBER, email="bob@a.test")
    body = {"email": "bob@a.test", "password": PASSWORD}
    assert api(gym_b).post("/_allauth/app/v1/auth/login", body, format="json").status_code == 400
    assert api(gym_a).post("/_allauth/app/v1/auth/login", body, format="json").status_code == 200


def test_app_session_token_of_gym_a_is_rejected_by_gym_b(gym_a, gym_b, make_user, make_member, api):
    user = make_user(gym_a, Role.MEMBER, email="carol@a.test")
    make_member(gym_a, user=user, email="carol@a.test")
    login = api(gym_a).post(
        "/_allauth/app/v1/auth/login",
        {"email": "carol@a.test", "password": PASSWORD},
        format="json",
    )
    token = login.json()["meta"]["session_token"]
    assert api(gym_a).get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token).status_code == 200
    assert api(gym_b).get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_web_session_cookie_of_gym_a_is_anonymous_in_gym_b(gym_a, gym_b, make_user, web):
    owner_a = make_user(gym_a, Role.OWNER)
    client = web(gym_a, owner_a)
    assert client.get("/dashboard/").status_code == 200
    cookie = client.cookies["sessionid"].value
    other = web(gym_b)
    other.cookies["sessionid"] = cookie
    response = other.get("/dashboard/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_cache_entries_are_per_gym(gym_a, gym_b):
    with tenant_context(gym_a):
        cache.set("greeting", "from A")
    with tenant_context(gym_b):
        assert cache.get("greeting") is None
        cache.set("greeting", "from B")
    with tenant_context(gym_a):
        assert cache.get("greeting") == "from A"
        cache.delete("greeting")
    with tenant_context(gym_b):
        cache.delete("greeting")


def test_gym_a_admin_cannot_see_platform_models_and_vice_versa(gym_a, make_user, web):
    owner_a = make_user(gym_a, Role.OWNER)
    client = web(gym_a, owner_a)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert b"/admin/members/member/" in index.content
    assert b"/admin/tenants/gym/" not in index.content
    assert client.get("/admin/tenants/gym/").status_code == 404
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 404


# Billing: gym A's plans, invoices and Stripe events never show or change in gym B.
def test_billing_of_a_gym_a_member_is_not_found_from_gym_b(
    gym_a, gym_b, make_user, make_member, api
):
    member_a = make_member(gym_a, first_name="Aonly")
    owner_b = make_user(gym_b, Role.OWNER)
    response = api(gym_b, owner_b).get(f"/api/v1/billing/members/{member_a.pk}/")
    assert response.status_code == 404 and b"Aonly" not in response.content
    plan_b = _plan(gym_b, "B plan")
    checkout = api(gym_b, owner_b).post(
        f"/api/v1/billing/members/{member_a.pk}/checkout/", {"plan": plan_b.pk}, format="json"
    )
    assert checkout.status_code == 404
    owner_a = make_user(gym_a, Role.OWNER)
    assert api(gym_a, owner_a).get(f"/api/v1/billing/members/{member_a.pk}/").status_code == 200


BILLING_PLAN_URLS = [
    ("api", "/api/v1/billing/plans/{id}/"),
    ("api_patch", "/api/v1/billing/plans/{id}/"),
    ("admin", "/admin/billing/membershipplan/{id}/change/"),
]


def _plan(gym, name):
    from apps.billing.services import plan_create

    with tenant_context(gym):
        return plan_create(
            data={"name": name, "price_minor": 4900, "interval": "month", "tier": "pro"}
        )


@pytest.mark.parametrize(("kind", "url"), BILLING_PLAN_URLS)
def test_plan_of_gym_a_is_not_found_from_gym_b(kind, url, gym_a, gym_b, make_user, web, api):
    plan_a = _plan(gym_a, "Aonly plan")
    owner_b = make_user(gym_b, Role.OWNER)
    path = url.format(id=plan_a.pk)
    if kind == "admin":
        response = web(gym_b, owner_b).get(path)
        assert response.status_code == 302 and response["Location"] == "/admin/"
    elif kind == "api":
        response = api(gym_b, owner_b).get(path)
        assert response.status_code == 404
    else:
        response = api(gym_b, owner_b).patch(path, {"price_minor": 1}, format="json")
        assert response.status_code == 404
    assert b"Aonly" not in response.content
    with tenant_context(gym_a):
        plan_a.refresh_from_db()
        assert plan_a.price_minor == 4900


BILLING_LIST_URLS = [
    ("api", "/api/v1/billing/plans/"),
    ("api", "/api/v1/billing/failed-payments/"),
    ("web", "/dashboard/billing/"),
    ("web", "/admin/billing/membershipplan/"),
]


@pytest.mark.parametrize(("kind", "url"), BILLING_LIST_URLS)
def test_billing_lists_in_gym_b_do_not_show_gym_a(kind, url, gym_a, gym_b, make_user, web, api):
    from apps.billing.models import Invoice

    _plan(gym_a, "Aonly plan")
    member_a = None
    with tenant_context(gym_a):
        from tests.factories import MemberFactory

        member_a = MemberFactory(first_name="Aonly", last_name="Debtor")
        Invoice.objects.create(
            member=member_a,
            stripe_invoice_id="in_aonly",
            status="open",
            attempt_count=1,
            amount_due_minor=4900,
            currency="eur",
        )
    owner_b = make_user(gym_b, Role.OWNER)
    client = api(gym_b, owner_b) if kind == "api" else web(gym_b, owner_b)
    response = client.get(url)
    assert response.status_code == 200
    assert b"Aonly" not in response.content
    owner_a = make_user(gym_a, Role.OWNER)
    same_in_a = (api if kind == "api" else web)(gym_a, owner_a).get(url)
    assert b"Aonly" in same_in_a.content  # the test can fail: A does see it


def test_gym_a_lapsing_on_the_platform_never_locks_gym_b(gym_a, gym_b, make_user, api, settings):
    import datetime as dt

    from django.utils import timezone

    from apps.platform_billing.models import GymSubscription

    settings.PLATFORM_STRIPE_SECRET_KEY = "sk_test_platform_isolation"
    past = timezone.now() - dt.timedelta(days=60)
    GymSubscription.objects.create(gym=gym_a, status="canceled", lapsed_since=past)
    GymSubscription.objects.create(gym=gym_b, status="active")
    body = {"first_name": "Writer"}
    owner_a, owner_b = make_user(gym_a, Role.OWNER), make_user(gym_b, Role.OWNER)
    assert api(gym_a, owner_a).post("/api/v1/members/", body, format="json").status_code == 403
    assert api(gym_b, owner_b).post("/api/v1/members/", body, format="json").status_code == 201
