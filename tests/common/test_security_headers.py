"""Content-Security-Policy and Permissions-Policy on every kind of page: the staff
dashboard, the member pages, allauth's pages, Django admin (gym and platform hosts), the
API docs, the platform's own pages and the error pages. Scripts and <style> blocks run only
from our origin or with the response's nonce, and no page carries inline handlers,
style="" attributes or javascript: links (the policy would block them)."""

import re
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLResolver, get_resolver
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.dashboard.views import HomeView
from tests.assessments.factories import AttemptFactory
from tests.factories import PASSWORD, MemberFactory, MemberWithLoginFactory


@pytest.fixture(autouse=True)
def _no_cached_pages_left_behind():
    # Rendering every page fills per-gym caches (typical occupancy: 15 minutes) that
    # later tests in other modules expect to fill themselves.
    yield
    cache.clear()


_SCRIPT_TYPES = {"", "text/javascript", "module", "application/javascript"}


class _Page(HTMLParser):
    """What a CSP without 'unsafe-inline' cares about in a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inline = []  # (tag, nonce) of each inline <script> and <style>
        self.problems = []  # inline handlers, style attributes, javascript: URLs

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        # A <script type="application/json"> is a data block, never run: CSP ignores it.
        is_code = attrs.get("type", "text/javascript") in _SCRIPT_TYPES
        if (tag == "script" and "src" not in attrs and is_code) or tag == "style":
            self.inline.append((tag, attrs.get("nonce")))
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            elif name == "style":
                self.problems.append(f"<{tag} style=...>")
            elif name in ("href", "src", "action", "formaction") and (value or "").strip(
                " \t\n"
            ).lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")


def _directives(header: str) -> dict[str, list[str]]:
    parts = (p.split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def assert_page_policy(response, *, our_template=True):
    """The response's headers and HTML agree with a policy without 'unsafe-inline'."""
    assert response.status_code in (200, 400, 404, 429, 500), response.status_code
    csp = _directives(response["Content-Security-Policy"])
    for directive in ("script-src", "style-src"):
        assert "'self'" in csp[directive]
        assert "'unsafe-inline'" not in csp[directive]
        assert "'unsafe-eval'" not in csp[directive]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"][0] == "'self'"
    assert "'self'" in csp["connect-src"]

    nonces = {s[len("'nonce-") : -1] for s in csp["script-src"] if s.startswith("'nonce-")}
    style_nonces = {s[len("'nonce-") : -1] for s in csp["style-src"] if s.startswith("'nonce-")}
    page = _Page()
    page.feed(response.content.decode())
    assert page.problems == []
    if our_template:
        # Every page of ours has the brand-colour <style>: its nonce is in the header.
        assert len(nonces) == 1 and nonces == style_nonces, csp
    for tag, nonce in page.inline:
        assert nonce is not None, f"inline <{tag}> without a nonce"
        assert nonce in (nonces if tag == "script" else style_nonces), (tag, nonce, csp)

    permissions = dict(
        item.strip().split("=", 1) for item in response["Permissions-Policy"].split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert permissions[feature] == "()", permissions
    return csp


def _dashboard_pages_without_arguments() -> list[str]:
    """Every dashboard page of the gym URLconf that takes no argument."""

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    paths = walk(get_resolver("config.urls_tenant").url_patterns)
    return ["/" + p for p in paths if p.startswith("dashboard/") and "<" not in p]


DASHBOARD_PAGES = _dashboard_pages_without_arguments()


def test_the_dashboard_page_list_is_not_empty():
    assert "/dashboard/" in DASHBOARD_PAGES and len(DASHBOARD_PAGES) > 10


@pytest.mark.parametrize("path", DASHBOARD_PAGES)
def test_every_dashboard_page_sends_a_nonce_policy(path, gym_a, make_user, web):
    response = web(gym_a, make_user(gym_a, Role.OWNER)).get(path)
    if response.status_code in (302, 405) or not response["Content-Type"].startswith("text/html"):
        pytest.skip("not a page (a POST-only action, a redirect or a download)")
    assert_page_policy(response)


def test_dashboard_pages_with_an_object_send_a_nonce_policy(gym_a, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):
        member = MemberFactory()
        attempt = AttemptFactory(
            member=member,
            video="attempts/clip.mp4",
            landmarks=b"\x00",
            result={"metrics": [], "worst_frames": [{"t_ms": 1200}]},
        )
    client = web(gym_a, owner)
    for path in [
        f"/dashboard/members/{member.pk}/",
        f"/dashboard/members/{member.pk}/edit/",
        f"/dashboard/check-ins/members/{member.pk}/pass/",
        f"/dashboard/assessments/attempts/{attempt.pk}/",
        f"/dashboard/assessments/members/{member.pk}/report/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_page_policy(response)


def test_the_attempt_page_runs_its_overlay_from_a_static_file(gym_a, make_user, web):
    with tenant_context(gym_a):
        attempt = AttemptFactory(
            member=MemberFactory(), video="attempts/clip.mp4", landmarks=b"\x00"
        )
    response = web(gym_a, make_user(gym_a, Role.OWNER)).get(
        f"/dashboard/assessments/attempts/{attempt.pk}/"
    )
    html = response.content.decode()
    assert 'data-overlay-url="/api/v1/assessments/attempts/' in html
    assert "assessments/overlay" in html


def test_member_pages_send_a_nonce_policy(gym_a, web):
    with tenant_context(gym_a):
        member = MemberWithLoginFactory()
    client = web(gym_a, member.user)
    for path in [
        "/app/",
        "/app/assessments/",
        "/app/more/",
        "/billing/return/",
        "/billing/return/?cancelled=1",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_page_policy(response)


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"],
)
def test_allauth_pages_send_a_nonce_policy(path, gym_a, web):
    response = web(gym_a).get(path)
    assert response.status_code == 200
    assert_page_policy(response)


def test_allauth_pages_of_a_signed_in_member_send_a_nonce_policy(gym_a, web):
    with tenant_context(gym_a):
        member = MemberWithLoginFactory()
    client = web(gym_a, member.user)
    for path in ["/accounts/email/", "/accounts/password/change/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_page_policy(response)


@pytest.mark.parametrize(
    ("path", "field"), [("/accounts/login/", "login"), ("/admin/login/", "username")]
)
def test_the_lockout_page_sends_a_nonce_policy(path, field, gym_a, make_user, web):
    make_user(gym_a, Role.OWNER, email="locked@a.test")
    client = web(gym_a)
    for _ in range(6):
        response = client.post(path, {field: "locked@a.test", "password": "wrong"})
    assert response.status_code == 429
    assert_page_policy(response)


def test_gym_admin_pages_send_the_policy(gym_a, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    with tenant_context(gym_a):
        member = MemberFactory()
    for path in [
        "/admin/",
        "/admin/members/member/",
        "/admin/members/member/add/",
        f"/admin/members/member/{member.pk}/change/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_page_policy(response, our_template=False)
    assert_page_policy(web(gym_a).get("/admin/login/"), our_template=False)


def test_platform_admin_pages_send_the_policy(gym_a, web):
    operator = User.objects.create_superuser("op@platform.test", PASSWORD)
    client = web(None)
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    for path in ["/admin/", "/admin/tenants/gym/", f"/admin/tenants/gym/{gym_a.pk}/change/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_page_policy(response, our_template=False)


@pytest.mark.parametrize("on_gym_host", [True, False])
def test_api_docs_run_swagger_with_the_nonce(on_gym_host, gym_a, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.OWNER)) if on_gym_host else web(None)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    csp = assert_page_policy(response, our_template=False)
    html = response.content.decode()
    assert "SwaggerUIBundle(" in html  # the init script is inline, with the nonce
    nonce = next(s for s in csp["script-src"] if s.startswith("'nonce-"))[len("'nonce-") : -1]
    assert re.search(rf'<script nonce="{re.escape(nonce)}">\s*"use strict"', html)


@pytest.mark.parametrize("path", ["/", "/signup/"])
def test_platform_pages_send_a_nonce_policy(path, db, web):
    assert_page_policy(web(None).get(path))


def test_error_pages_send_a_nonce_policy(gym_a, make_user, web, monkeypatch):
    assert_page_policy(web(gym_a).get("/no-such-page/"))
    assert_page_policy(web(None).get("/no-such-page/"))
    assert_page_policy(Client(HTTP_HOST="no-such-gym.localhost").get("/"))

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(HomeView, "get", broken)
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    client.raise_request_exception = False
    response = client.get("/dashboard/")
    assert response.status_code == 500
    # The 500 page stands alone (no base template) but its one <style> has the nonce.
    assert_page_policy(response, our_template=False)
    assert b"<style nonce=" in response.content


def test_api_responses_carry_both_headers_too(gym_a, make_user, api):
    response = api(gym_a, make_user(gym_a, Role.OWNER)).get("/api/v1/members/")
    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]


def test_sockets_of_the_page_host_are_allowed_by_name(gym_a, web):
    csp = _directives(web(gym_a).get("/accounts/login/")["Content-Security-Policy"])
    assert "ws://gym-a.localhost" in csp["connect-src"]
    secure = Client(HTTP_HOST="gym-a.localhost", HTTP_X_FORWARDED_PROTO="https")
    csp = _directives(secure.get("/accounts/login/", secure=True)["Content-Security-Policy"])
    assert "wss://gym-a.localhost" in csp["connect-src"]


def test_a_strange_host_header_adds_nothing_to_the_policy(gym_a, web):
    # ALLOWED_HOSTS refuses such a host first (400); the policy must not echo it either.
    response = Client(HTTP_HOST="gym-a.localhost;script-src *").get("/accounts/login/")
    assert "script-src *" not in response.get("Content-Security-Policy", "")


def test_a_new_nonce_on_every_response(gym_a, web):
    client = web(gym_a)
    first = _directives(client.get("/accounts/login/")["Content-Security-Policy"])
    second = _directives(client.get("/accounts/login/")["Content-Security-Policy"])
    assert first["script-src"] != second["script-src"]


def test_responses_without_a_nonce_share_one_policy_and_pages_still_get_theirs(
    gym_a, make_user, api, web
):
    # The policy of nonce-less responses is built once per host (apps/common/middleware.py).
    client = api(gym_a, make_user(gym_a, Role.OWNER))
    first = client.get("/api/v1/members/")["Content-Security-Policy"]
    page = web(gym_a).get("/accounts/login/")
    again = client.get("/api/v1/members/")["Content-Security-Policy"]
    assert first == again and "nonce-" not in first and "ws://gym-a.localhost" in first
    assert_page_policy(page, our_template=True)
    assert page["Content-Security-Policy"] != first  # its own nonce
