"""Tenant isolation: whatever is made in gym A is invisible from gym B, through every
page, API endpoint, admin page, login, session, cache entry and WebSocket group.

Later issues extend the parametrized lists below with their own pages and endpoints: a
new row names a kind from `KINDS` (how it is sent) and a URL.
"""

import asyncio
from dataclasses import dataclass
from datetime import time, timedelta
from types import SimpleNamespace

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.assessments.models import Attempt, BlockReason, QuotaBlock
from apps.assessments.services import video_token
from apps.attendance.models import DeniedAttempt, Kiosk, Visit
from apps.attendance.services import pass_issue_card
from apps.billing.models import BillingSettings, Invoice, MemberCharge
from apps.billing.services import plan_create
from apps.bookings.models import (
    Booking,
    ClassType,
    Penalty,
    PTBooking,
    PTSessionType,
    Room,
    Schedule,
    TrainerAvailability,
    TrainerProfile,
)
from apps.bookings.policy import gym_zone
from apps.bookings.services import booking_create, calendar_feed_for
from apps.common.realtime import broadcast_each_on_commit
from apps.dashboard.models import SetupSkip
from apps.goals import models as goals_models
from apps.goals.models import Challenge, ChallengeEntry, ChallengeParticipant, Motivation
from apps.goals.services.challenges import challenge_join
from apps.goals.services.checkins import checkin_answer
from apps.members.models import MemberImport
from apps.members.services import member_import_create
from apps.notifications.models import Announcement, Category, Device, Notification, Preference
from apps.notifications.services.devices import device_register
from apps.notifications.services.hub import unsubscribe_token
from apps.platform_billing.models import ConnectedAccount, GymSubscription
from config.asgi import application as asgi_application
from tests.attendance.factories import KioskFactory, VisitFactory
from tests.bookings.factories import ClassSessionFactory, ClassTypeFactory, PTBookingFactory
from tests.factories import PASSWORD, MemberFactory, MemberWithLoginFactory, UserFactory
from tests.goals.factories_challenges import ChallengeFactory
from tests.goals.factories_goals import goal_member, make_goal


@dataclass(frozen=True)
class Send:
    client: str  # "web": the dashboard's test client; "api": DRF's
    method: str = "get"
    as_member: bool = False  # as the gym's member (app login) rather than its staff


# How each kind of row in the URL lists below is sent. A new app adds rows to a list; a
# new way of asking adds one line here.
KINDS = {
    "web": Send("web"),
    "admin": Send("web"),
    "web_post": Send("web", "post"),
    "api": Send("api"),
    "api_post": Send("api", "post"),
    "api_post_body": Send("api", "post"),
    "api_patch": Send("api", "patch"),
    "member_get": Send("api", as_member=True),
    "member_post": Send("api", "post", as_member=True),
    "api_delete": Send("api", "delete"),
    "member_delete": Send("api", "delete", as_member=True),
    "member_web": Send("web", as_member=True),  # the member web app (/app/)
    "member_web_post": Send("web", "post", as_member=True),
}


@pytest.fixture
def request_as(web, api):
    """request_as(kind, path, gym=, staff=, member=None, bodies={kind: body}) -> response:
    `path` sent to `gym` the way rows of `kind` are, with that kind's body if it has one."""

    def send(kind, path, *, gym, staff, member=None, bodies=None):
        how = KINDS[kind]
        client = (web if how.client == "web" else api)(gym, member if how.as_member else staff)
        body = (bodies or {}).get(kind)
        if body is None:
            return getattr(client, how.method)(path)
        extra = {"format": "json"} if how.client == "api" else {}
        return getattr(client, how.method)(path, body, **extra)

    return send


def assert_not_found(kind, response):
    if kind == "admin":
        # Django admin answers an unknown id by redirecting to its index with a
        # "doesn't exist" message rather than a 404; either way nothing of A shows.
        assert response.status_code == 302 and response["Location"] == "/admin/"
    else:
        assert response.status_code == 404


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
    kind, url, gym_a, gym_b, make_user, make_member, request_as
):
    member_a = make_member(gym_a, first_name="Alice")
    owner_b = make_user(gym_b, Role.OWNER)
    path = url.format(id=member_a.pk)
    bodies = {"api_patch": {"first_name": "Mallory"}}
    response = request_as(kind, path, gym=gym_b, staff=owner_b, bodies=bodies)
    assert_not_found(kind, response)
    assert b"Alice" not in response.content
    with tenant_context(gym_a):
        member_a.refresh_from_db()
        assert member_a.first_name == "Alice"


# Staff accounts by id: gym B's owner cannot see or change gym A's people.
USER_URLS = [
    ("web_post", "/dashboard/staff/{id}/"),
    ("web_post", "/dashboard/staff/{id}/invitation/"),
    ("admin", "/admin/accounts/user/{id}/change/"),
]


@pytest.mark.parametrize(("kind", "url"), USER_URLS)
def test_staff_of_gym_a_is_not_found_from_gym_b(kind, url, gym_a, gym_b, make_user, request_as):
    desk_a = make_user(gym_a, Role.FRONT_DESK, email="desk@a.test")
    owner_b = make_user(gym_b, Role.OWNER)
    path = url.format(id=desk_a.pk)
    bodies = {"web_post": {"action": "deactivate"}}
    response = request_as(kind, path, gym=gym_b, staff=owner_b, bodies=bodies)
    assert_not_found(kind, response)
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
    kind, url, gym_a, gym_b, make_user, make_member, request_as
):
    make_member(gym_a, first_name="Zebediah", last_name="Aonly")
    make_user(gym_a, Role.TRAINER, full_name="Trainer Aonly")
    owner_b = make_user(gym_b, Role.OWNER)
    response = request_as(kind, url, gym=gym_b, staff=owner_b)
    assert response.status_code == 200
    assert b"Aonly" not in response.content
    owner_a = make_user(gym_a, Role.OWNER)
    same_in_a = request_as(kind, url, gym=gym_a, staff=owner_a)
    assert b"Aonly" in same_in_a.content  # the test can fail: A does see it


# Member imports (CSV files) by id: gym B's owner gets 404 for gym A's, and A's stays as
# it was (a draft, not started by B's post).
MEMBER_IMPORT_URLS = [
    ("web", "/dashboard/members/import/{id}/"),
    ("web_post", "/dashboard/members/import/{id}/"),
    ("web", "/dashboard/members/import/{id}/progress/"),
    ("web", "/dashboard/members/import/{id}/failed.csv"),
    ("admin", "/admin/members/memberimport/{id}/change/"),
]


def _member_import_in(gym, owner):
    with tenant_context(gym):
        member_import = member_import_create(
            upload=SimpleUploadedFile("Aonly.csv", b"Name,Email\nAonly Person,aonly@a.test\n"),
            by=owner,
        )
        MemberImport.objects.filter(pk=member_import.pk).update(
            errors=[{"line": 2, "reason": "Aonly reason", "values": ["Aonly Person"]}]
        )
    return member_import


@pytest.mark.parametrize(("kind", "url"), MEMBER_IMPORT_URLS)
def test_member_import_of_gym_a_is_not_found_from_gym_b(
    kind, url, gym_a, gym_b, make_user, request_as
):
    member_import = _member_import_in(gym_a, make_user(gym_a, Role.OWNER))
    owner_b = make_user(gym_b, Role.OWNER)
    with tenant_context(gym_b):
        assert not MemberImport.objects.filter(pk=member_import.pk).exists()
    bodies = {"web_post": {"action": "import", "column_0": "full_name", "column_1": "email"}}
    path = url.format(id=member_import.pk)
    response = request_as(kind, path, gym=gym_b, staff=owner_b, bodies=bodies)
    assert_not_found(kind, response)
    assert b"Aonly" not in response.content
    with tenant_context(gym_a):
        assert MemberImport.objects.get(pk=member_import.pk).status == "draft"
    owner_a = make_user(gym_a, Role.OWNER)
    if kind != "web_post":  # the same request in A does find it (the test can fail)
        assert request_as(kind, path, gym=gym_a, staff=owner_a).status_code == 200
    with tenant_context(gym_a):
        member_import.file.delete()


@pytest.mark.parametrize(
    ("kind", "url"),
    [("web", "/dashboard/members/import/"), ("admin", "/admin/members/memberimport/")],
)
def test_member_import_lists_in_gym_b_do_not_show_gym_a(
    kind, url, gym_a, gym_b, make_user, request_as
):
    member_import = _member_import_in(gym_a, make_user(gym_a, Role.OWNER))
    owner_b, owner_a = make_user(gym_b, Role.OWNER), make_user(gym_a, Role.OWNER)
    response = request_as(kind, url, gym=gym_b, staff=owner_b)
    assert response.status_code == 200 and b"Aonly" not in response.content
    assert b"Aonly" in request_as(kind, url, gym=gym_a, staff=owner_a).content  # can fail
    with tenant_context(gym_a):
        member_import.file.delete()


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


# --- Door (attendance): visits, kiosks, passes of gym A are 404 from gym B ----------------
DOOR_URLS = [
    ("api", "/api/v1/visits/{visit}/"),
    ("api_post", "/api/v1/visits/{visit}/check-out/"),
    ("api_post_body", "/api/v1/check-ins/"),
    ("web_post", "/dashboard/check-ins/visits/{visit}/check-out/"),
    ("web_post", "/dashboard/check-ins/kiosks/{kiosk}/revoke/"),
    ("web_post", "/dashboard/check-ins/refusals/{refusal}/override/"),
    ("web_post", "/dashboard/check-ins/check-in/"),
    ("web", "/dashboard/check-ins/members/{member}/pass/"),
    ("web_post", "/dashboard/check-ins/members/{member}/pass/"),
    ("web", "/dashboard/check-ins/visits/?member={member}"),
    ("admin", "/admin/attendance/visit/{visit}/change/"),
    ("admin", "/admin/attendance/kiosk/{kiosk}/change/"),
]


@pytest.mark.parametrize(("kind", "url"), DOOR_URLS)
def test_door_objects_of_gym_a_are_not_found_from_gym_b(
    kind, url, gym_a, gym_b, make_user, make_member, request_as
):
    member_a = make_member(gym_a, first_name="Doorkeeper")
    with tenant_context(gym_a):
        kiosk_a, _token = KioskFactory(name="Akiosk")
        visit_a = VisitFactory(member=member_a)
        pass_issue_card(member=member_a)
        refusal_a = DeniedAttempt.objects.create(reason="closed", member=member_a)
    owner_b = make_user(gym_b, Role.OWNER)
    path = url.format(visit=visit_a.pk, kiosk=kiosk_a.pk, member=member_a.pk, refusal=refusal_a.pk)
    bodies = {
        "api_post_body": {"member": member_a.pk},
        "web_post": {"member": member_a.pk, "action": "revoke"},
    }
    response = request_as(kind, path, gym=gym_b, staff=owner_b, bodies=bodies)
    assert_not_found(kind, response)
    assert b"Doorkeeper" not in response.content and b"Akiosk" not in response.content
    with tenant_context(gym_a):
        visit_a.refresh_from_db()
        assert visit_a.exited_at is None
        assert Kiosk.objects.get(pk=kiosk_a.pk).revoked_at is None
        assert member_a.door_pass.card_revoked_at is None
        assert Visit.objects.filter(member=member_a).count() == 1


DOOR_LIST_URLS = [
    ("web", "/dashboard/check-ins/"),
    ("web", "/dashboard/check-ins/visits/"),
    ("web", "/dashboard/check-ins/visits.csv"),
    ("web", "/dashboard/check-ins/kiosks/"),
    ("api", "/api/v1/visits/"),
    ("admin", "/admin/attendance/visit/"),
    ("admin", "/admin/attendance/kiosk/"),
]


@pytest.mark.parametrize(("kind", "url"), DOOR_LIST_URLS)
def test_door_lists_in_gym_b_do_not_show_gym_a(
    kind, url, gym_a, gym_b, make_user, make_member, request_as
):
    member_a = make_member(gym_a, first_name="Aonlyvisitor")
    with tenant_context(gym_a):
        KioskFactory(name="Aonlykiosk")
        VisitFactory(member=member_a)
    owner_b = make_user(gym_b, Role.OWNER)
    response = request_as(kind, url, gym=gym_b, staff=owner_b)
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"Aonly" not in content
    owner_a = make_user(gym_a, Role.OWNER)
    same = request_as(kind, url, gym=gym_a, staff=owner_a)
    content_a = b"".join(same.streaming_content) if same.streaming else same.content
    assert b"Aonly" in content_a  # the test can fail: A does see it


def test_occupancy_of_gym_a_does_not_count_in_gym_b(gym_a, gym_b, make_user, make_member, api):
    with tenant_context(gym_a):
        VisitFactory(member=make_member(gym_a))
    owner_a, owner_b = make_user(gym_a, Role.OWNER), make_user(gym_b, Role.OWNER)
    assert api(gym_a, owner_a).get("/api/v1/occupancy/").json()["count"] == 1
    assert api(gym_b, owner_b).get("/api/v1/occupancy/").json()["count"] == 0


# Classes and bookings: gym B's members and staff get 404 for gym A's sessions, bookings
# and penalties, and nothing of A changes.
CLASS_URLS = [
    ("member_get", "/api/v1/classes/sessions/{session}/"),
    ("member_post", "/api/v1/classes/sessions/{session}/book/"),
    ("member_post", "/api/v1/classes/sessions/{session}/waitlist/"),
    ("member_post", "/api/v1/bookings/{booking}/cancel/"),
    ("member_get", "/api/v1/bookings/{booking}/"),
    ("member_web", "/app/classes/{session}/"),
    ("member_web_post", "/app/classes/{session}/book/"),
    ("member_web_post", "/app/classes/bookings/{booking}/cancel/"),
    ("web", "/dashboard/classes/sessions/{session}/"),
    ("web_post", "/dashboard/classes/sessions/{session}/"),
    ("web_post", "/dashboard/classes/penalties/{penalty}/waive/"),
    ("admin", "/admin/bookings/classsession/{session}/change/"),
    ("admin", "/admin/bookings/booking/{booking}/change/"),
]


@pytest.mark.parametrize(("kind", "url"), CLASS_URLS)
def test_classes_of_gym_a_are_not_found_from_gym_b(kind, url, gym_a, gym_b, make_user, request_as):
    with tenant_context(gym_a):
        session = ClassSessionFactory(capacity=3, starts_in=timedelta(days=1))
        booking = booking_create(
            member=MemberWithLoginFactory(first_name="Aliciaxq"), session=session
        )
        penalty = Penalty.objects.create(
            member=booking.member,
            booking=booking,
            kind="strike",
            reason="no_show",
            created_at=session.starts_at,
        )
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory()
        # Same ids may exist in B by coincidence; make sure they do not.
        assert not Booking.objects.filter(pk=booking.pk).exists()
    owner_b = make_user(gym_b, Role.OWNER)
    path = url.format(session=session.pk, booking=booking.pk, penalty=penalty.pk)
    bodies = {
        "web_post": {"action": "attended", "booking": booking.pk, "reason": "x"},
        "member_web_post": {"intent": "waitlist"},
    }
    response = request_as(kind, path, gym=gym_b, staff=owner_b, member=member_b.user, bodies=bodies)
    assert_not_found(kind, response)
    # A made-up name: a real one (Alicia) was once the random name of gym B's owner.
    assert b"Aliciaxq" not in response.content
    with tenant_context(gym_a):
        booking.refresh_from_db()
        penalty.refresh_from_db()
        assert booking.status == "booked" and penalty.waived_at is None
        assert Booking.objects.filter(session=session).count() == 1


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("api", "/api/v1/classes/sessions/"),
        ("web", "/dashboard/classes/"),
        ("web", "/dashboard/classes/penalties/"),
        ("admin", "/admin/bookings/classsession/"),
    ],
)
def test_timetables_in_gym_b_do_not_show_gym_a_classes(
    kind, url, gym_a, gym_b, make_user, request_as
):
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(hours=2))
        ClassType.objects.filter(pk=session.class_type_id).update(name="Aonly Yoga")
        booking = booking_create(member=MemberWithLoginFactory(first_name="Aonly"), session=session)
        Penalty.objects.create(
            member=booking.member,
            booking=booking,
            kind="strike",
            reason="no_show",
            created_at=session.starts_at,
        )
    owner_b, owner_a = make_user(gym_b, Role.OWNER), make_user(gym_a, Role.OWNER)
    if url == "/dashboard/classes/":
        # The week of the session: two hours from late on a Sunday is next week.
        url += f"?week={session.starts_at.astimezone(gym_zone(gym_a)).date().isoformat()}"
    response = request_as(kind, url, gym=gym_b, staff=owner_b)
    assert response.status_code == 200
    assert b"Aonly" not in response.content
    same_in_a = request_as(kind, url, gym=gym_a, staff=owner_a)
    assert b"Aonly" in same_in_a.content  # the test can fail


# The member web app's pages in gym B never show gym A's classes, bookings, members or
# visits; True: the same page in A shows the A-only name (so the check can fail).
MEMBER_APP_URLS = [
    ("member_web", "/app/", True),
    ("member_web", "/app/classes/", True),
    ("member_web", "/app/classes/mine/", True),
    ("member_web", "/app/pass/", True),
    ("member_web", "/app/pass/code/", False),
    ("member_web", "/app/occupancy/", False),
    ("member_web", "/app/occupancy/now/", False),
]


@pytest.mark.parametrize(("kind", "url", "shown_in_a"), MEMBER_APP_URLS)
def test_member_app_pages_in_gym_b_do_not_show_gym_a(
    kind, url, shown_in_a, gym_a, gym_b, request_as
):
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(hours=2))
        ClassType.objects.filter(pk=session.class_type_id).update(name="Aonly Yoga")
        member_a = MemberWithLoginFactory(first_name="Aonly")
        booking_create(member=member_a, session=session)
        VisitFactory(member=member_a)
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory(first_name="Bea")
    response = request_as(kind, url, gym=gym_b, staff=None, member=member_b.user)
    assert response.status_code == 200
    assert b"Aonly" not in response.content
    if url.startswith("/app/occupancy/"):
        assert b'<span class="occupancy-count">0</span>' in response.content  # A's visit
    same_in_a = request_as(kind, url, gym=gym_a, staff=None, member=member_a.user)
    assert same_in_a.status_code == 200
    if shown_in_a:
        assert b"Aonly" in same_in_a.content  # the test can fail: A does see it
    if url.startswith("/app/occupancy/"):
        assert b'<span class="occupancy-count">1</span>' in same_in_a.content


def test_trainers_pt_bookings_and_calendar_feeds_of_gym_a_are_not_found_from_gym_b(
    gym_a, gym_b, api, web
):
    with tenant_context(gym_a):
        trainer = TrainerProfile.objects.create(
            user=UserFactory(role=Role.TRAINER), display_name="Aonly Coach"
        )
        kind = PTSessionType.objects.create(trainer=trainer, name="PT")
        member_a = MemberWithLoginFactory(tier="pro")
        booking = PTBookingFactory(member=member_a, session_type=kind, price=0)
        start = booking.starts_at
        token = calendar_feed_for(user=member_a.user).token
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory(tier="pro")
    client = api(gym_b, member_b.user)
    assert client.get(f"/api/v1/trainers/{trainer.pk}/").status_code == 404
    assert (
        client.get(f"/api/v1/trainers/{trainer.pk}/slots/?session_type={kind.pk}").status_code
        == 404
    )
    assert client.post(f"/api/v1/pt-bookings/{booking.pk}/cancel/").status_code == 404
    made = client.post(
        "/api/v1/pt-bookings/",
        {"session_type": kind.pk, "starts_at": (start + timedelta(days=1)).isoformat()},
    )
    assert made.status_code == 404
    assert b"Aonly" not in client.get("/api/v1/trainers/").content
    assert web(gym_b).get(f"/calendar/{token}.ics").status_code == 404
    assert web(gym_a).get(f"/calendar/{token}.ics").status_code == 200
    with tenant_context(gym_a):
        assert PTBooking.objects.get(pk=booking.pk).status == "confirmed"


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
    ("web", "/dashboard/billing/plans/{id}/"),
    ("web_post", "/dashboard/billing/plans/{id}/"),
    ("web_post", "/dashboard/billing/plans/{id}/archive/"),
]


def _plan(gym, name):
    with tenant_context(gym):
        return plan_create(
            data={"name": name, "price_minor": 4900, "interval": "month", "tier": "pro"}
        )


@pytest.mark.parametrize(("kind", "url"), BILLING_PLAN_URLS)
def test_plan_of_gym_a_is_not_found_from_gym_b(kind, url, gym_a, gym_b, make_user, request_as):
    plan_a = _plan(gym_a, "Aonly plan")
    owner_b = make_user(gym_b, Role.OWNER)
    path = url.format(id=plan_a.pk)
    bodies = {
        "api_patch": {"price_minor": 1},
        "web_post": {"name": "Changed", "price_minor": "0.01", "interval": "month", "tier": "pro"},
    }
    response = request_as(kind, path, gym=gym_b, staff=owner_b, bodies=bodies)
    assert_not_found(kind, response)
    assert b"Aonly" not in response.content
    with tenant_context(gym_a):
        plan_a.refresh_from_db()
        assert plan_a.price_minor == 4900 and plan_a.active and plan_a.name == "Aonly plan"


BILLING_LIST_URLS = [
    ("api", "/api/v1/billing/plans/"),
    ("api", "/api/v1/billing/failed-payments/"),
    ("web", "/dashboard/billing/"),
    ("web", "/dashboard/billing/plans/"),
    ("web", "/admin/billing/membershipplan/"),
    ("web", "/admin/billing/membercharge/"),
]


@pytest.mark.parametrize(("kind", "url"), BILLING_LIST_URLS)
def test_billing_lists_in_gym_b_do_not_show_gym_a(kind, url, gym_a, gym_b, make_user, request_as):
    _plan(gym_a, "Aonly plan")
    with tenant_context(gym_a):
        member_a = MemberFactory(first_name="Aonly", last_name="Debtor")
        MemberCharge.objects.create(
            member=member_a,
            source="test:aonly",
            description="Aonly fee",
            amount_minor=700,
            currency="eur",
        )
        Invoice.objects.create(
            member=member_a,
            stripe_invoice_id="in_aonly",
            status="open",
            attempt_count=1,
            amount_due_minor=4900,
            currency="eur",
        )
    owner_b = make_user(gym_b, Role.OWNER)
    response = request_as(kind, url, gym=gym_b, staff=owner_b)
    assert response.status_code == 200
    assert b"Aonly" not in response.content
    owner_a = make_user(gym_a, Role.OWNER)
    same_in_a = request_as(kind, url, gym=gym_a, staff=owner_a)
    assert b"Aonly" in same_in_a.content  # the test can fail: A does see it


def test_gym_a_stripe_connection_is_not_shown_or_used_in_gym_b(gym_a, gym_b, make_user, web):
    """The Stripe page shows the gym's own account; gym A's connected account (in its
    schema and in the public account -> gym table) never appears in or routes to B."""
    with tenant_context(gym_a):
        BillingSettings.objects.update_or_create(
            singleton=1,
            defaults={"stripe_account_id": "acct_Aonlyconnected", "stripe_connect": True},
        )
    ConnectedAccount.objects.create(gym=gym_a, account_id="acct_Aonlyconnected")
    owner_a, owner_b = make_user(gym_a, Role.OWNER), make_user(gym_b, Role.OWNER)
    page_b = web(gym_b, owner_b).get("/dashboard/billing/stripe/")
    assert page_b.status_code == 200 and b"acct_Aonly" not in page_b.content
    assert b"acct_Aonly" in web(gym_a, owner_a).get("/dashboard/billing/stripe/").content
    # B's return page reads B's account only (none): A's flags stay as they were.
    web(gym_b, owner_b).get("/dashboard/billing/stripe/return/")
    with tenant_context(gym_b):
        assert not BillingSettings.objects.filter(stripe_account_id="acct_Aonlyconnected").exists()


def test_gym_a_lapsing_on_the_platform_never_locks_gym_b(gym_a, gym_b, make_user, api, settings):
    settings.PLATFORM_STRIPE_SECRET_KEY = "sk_test_platform_isolation"
    past = timezone.now() - timedelta(days=60)
    GymSubscription.objects.create(gym=gym_a, status="canceled", lapsed_since=past)
    GymSubscription.objects.create(gym=gym_b, status="active")
    body = {"first_name": "Writer"}
    owner_a, owner_b = make_user(gym_a, Role.OWNER), make_user(gym_b, Role.OWNER)
    assert api(gym_a, owner_a).post("/api/v1/members/", body, format="json").status_code == 403
    assert api(gym_b, owner_b).post("/api/v1/members/", body, format="json").status_code == 201


# Assessments: gym A's attempts, landmarks, clips and blocks, addressed from gym B.
ASSESSMENT_URLS = [
    ("api", "/api/v1/assessments/attempts/{attempt}/"),
    ("api", "/api/v1/assessments/attempts/{attempt}/overlay/"),
    ("api", "/api/v1/assessments/attempts/?member={member}"),
    ("api", "/api/v1/assessments/report/?member={member}"),
    ("web", "/dashboard/assessments/attempts/{attempt}/"),
    ("web", "/dashboard/assessments/?member={member}"),
    ("web", "/dashboard/assessments/members/{member}/report/"),
    ("api_post", "/api/v1/assessments/blocks/{block}/lift/"),
    ("web_post", "/dashboard/assessments/blocks/{block}/lift/"),
    ("admin", "/admin/assessments/attempt/{attempt}/change/"),
    ("admin", "/admin/assessments/quotablock/{block}/change/"),
]


def _assessment_in_a(gym_a, make_member):
    member = make_member(gym_a, first_name="Ingrid", last_name="Aonly")
    with tenant_context(gym_a):
        attempt = Attempt(member=member, test_id=4, catalogue_version="t")
        attempt.video.save(
            "clip", ContentFile(b"\x00\x00\x00\x18ftypmp42 secret A clip"), save=True
        )
        block = QuotaBlock.objects.create(
            member=member, reason=BlockReason.DAILY_CAP, until=timezone.now() + timedelta(hours=5)
        )
    return member, attempt, block


@pytest.mark.parametrize(("kind", "url"), ASSESSMENT_URLS)
def test_assessments_of_gym_a_are_not_found_from_gym_b(
    kind, url, gym_a, gym_b, make_user, make_member, request_as
):
    member, attempt, block = _assessment_in_a(gym_a, make_member)
    owner_b = make_user(gym_b, Role.OWNER)
    path = url.format(attempt=attempt.pk, member=member.pk, block=block.pk)
    response = request_as(kind, path, gym=gym_b, staff=owner_b)
    assert_not_found(kind, response)
    assert b"Aonly" not in response.content
    with tenant_context(gym_a):
        block.refresh_from_db()
        assert block.lifted_at is None
        attempt.video.delete(save=False)


def test_assessment_lists_and_video_links_of_gym_a_do_not_work_in_gym_b(
    gym_a, gym_b, make_user, make_member, web, api
):
    member, attempt, block = _assessment_in_a(gym_a, make_member)
    owner_a, owner_b = make_user(gym_a, Role.OWNER), make_user(gym_b, Role.OWNER)
    for client, url in [
        (api(gym_b, owner_b), "/api/v1/assessments/blocks/"),
        (web(gym_b, owner_b), "/dashboard/assessments/"),
    ]:
        response = client.get(url)
        assert response.status_code == 200 and b"Aonly" not in response.content
    assert b"Aonly" in web(gym_a, owner_a).get("/dashboard/assessments/").content
    with tenant_context(gym_a):
        token = video_token(attempt=attempt, user=owner_a)
    path = f"/api/v1/assessments/video/{token}/"
    assert api(gym_a).get(path).status_code == 200  # the link works in its own gym
    refused = api(gym_b).get(path)
    assert refused.status_code == 403 and b"secret A clip" not in refused.content
    with tenant_context(gym_a):
        attempt.video.delete(save=False)


def test_a_trainers_hours_page_shows_and_changes_only_their_own_gym(gym_a, gym_b, make_user, web):
    """Trainers edit their weekly hours on the dashboard: gym B's trainer sees and replaces
    only B's hours; A's trainer has no login at B."""
    trainer_a_user = make_user(gym_a, Role.TRAINER)
    trainer_b_user = make_user(gym_b, Role.TRAINER)
    with tenant_context(gym_a):
        trainer_a = TrainerProfile.objects.create(user=trainer_a_user, display_name="A trainer")
        TrainerAvailability.objects.create(
            trainer=trainer_a, weekday=4, start_time=time(5, 45), end_time=time(6, 15)
        )
    with tenant_context(gym_b):
        TrainerProfile.objects.create(user=trainer_b_user, display_name="B trainer")
    page = web(gym_b, trainer_b_user).get("/dashboard/classes/my-hours/")
    assert page.status_code == 200 and b"05:45" not in page.content
    assert b"05:45" in web(gym_a, trainer_a_user).get("/dashboard/classes/my-hours/").content
    web(gym_b, trainer_b_user).post(
        "/dashboard/classes/my-hours/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "0",
            "form-0-weekday": "4",
            "form-0-start_time": "05:00",
            "form-0-end_time": "06:00",
        },
    )
    with tenant_context(gym_a):
        assert list(TrainerAvailability.objects.values_list("start_time", flat=True)) == [
            time(5, 45)
        ]
    # A's trainer on B's address is not logged in there.
    client = web(gym_a, trainer_a_user)
    client.defaults["HTTP_HOST"] = "gym-b.localhost"
    assert client.get("/dashboard/classes/my-hours/").status_code == 302


def test_a_members_fees_are_not_listed_to_a_member_of_gym_b(gym_a, gym_b, api):
    with tenant_context(gym_a):
        member_a = MemberWithLoginFactory(first_name="Aonly")
        MemberCharge.objects.create(
            member=member_a,
            source="test:a",
            description="Aonly fee",
            amount_minor=700,
            currency="eur",
        )
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory()
    listed = api(gym_b, member_b.user).get("/api/v1/billing/charges/")
    assert listed.status_code == 200 and listed.json()["results"] == []
    # A's member on B's address is not logged in there.
    client = api(gym_a, member_a.user)
    client.defaults["HTTP_HOST"] = "gym-b.localhost"
    assert client.get("/api/v1/billing/charges/").status_code in (401, 403)
    assert b"Aonly fee" in api(gym_a, member_a.user).get("/api/v1/billing/charges/").content


# --- Notifications (staff inbox, announcements): gym A's are 404 / unlisted from gym B ------
NOTIFICATION_URLS = [
    ("web_post", "/dashboard/notifications/{notification}/read/"),
    ("web", "/dashboard/notifications/announcements/{announcement}/"),
]


def _notifications_of_gym_a(gym_a, owner_a, member_a):
    """A's staff notification, announcement, member tag, class and plan, all "Aonly"."""
    with tenant_context(gym_a):
        notification = Notification.objects.create(
            user=owner_a, kind="announcement", category="announcements", title="Aonly memo"
        )
        announcement = Announcement.objects.create(
            title="Aonly news", body="Aonly text", segment="tag", segment_value="aonlytag"
        )
        member_a.tags = ["aonlytag"]
        member_a.save(update_fields=["tags"])
        ClassSessionFactory(class_type__name="Aonly class")
        _plan(gym_a, "Aonly plan")
    return notification, announcement


@pytest.mark.parametrize(("kind", "url"), NOTIFICATION_URLS)
def test_notifications_of_gym_a_are_not_found_from_gym_b(
    kind, url, gym_a, gym_b, make_user, make_member, request_as
):
    owner_a = make_user(gym_a, Role.OWNER)
    notification, announcement = _notifications_of_gym_a(gym_a, owner_a, make_member(gym_a))
    owner_b = make_user(gym_b, Role.OWNER)
    path = url.format(notification=notification.pk, announcement=announcement.pk)
    response = request_as(kind, path, gym=gym_b, staff=owner_b, bodies={"web_post": {"open": "1"}})
    assert_not_found(kind, response)
    assert b"Aonly" not in response.content
    with tenant_context(gym_a):
        notification.refresh_from_db()
        assert notification.read_at is None


NOTIFICATION_LIST_URLS = [
    ("web", "/dashboard/notifications/"),
    ("web", "/dashboard/notifications/announcements/"),
    ("web", "/dashboard/notifications/announcements/new/"),
]


@pytest.mark.parametrize(("kind", "url"), NOTIFICATION_LIST_URLS)
def test_notification_pages_in_gym_b_do_not_show_gym_a(
    kind, url, gym_a, gym_b, make_user, make_member, request_as
):
    owner_a = make_user(gym_a, Role.OWNER)
    _notifications_of_gym_a(gym_a, owner_a, make_member(gym_a))
    owner_b = make_user(gym_b, Role.OWNER)
    response = request_as(kind, url, gym=gym_b, staff=owner_b)
    assert response.status_code == 200
    assert b"Aonly" not in response.content and b"aonlytag" not in response.content
    same = request_as(kind, url, gym=gym_a, staff=owner_a)
    assert b"Aonly" in same.content or b"aonlytag" in same.content  # A does see it


@pytest.mark.parametrize("segment", ["tag", "session", "plan"])
def test_announcement_in_gym_b_with_gym_a_values_is_refused(
    segment, gym_a, gym_b, make_user, make_member, web
):
    owner_a = make_user(gym_a, Role.OWNER)
    _notifications_of_gym_a(gym_a, owner_a, make_member(gym_a))
    with tenant_context(gym_a):
        values = {
            "tag": "aonlytag",
            "session": str(ClassSessionFactory().pk),
            "plan": str(_plan(gym_a, "Aonly other").pk),
        }
    owner_b = make_user(gym_b, Role.OWNER)
    make_member(gym_b)
    form = {"title": "t", "body": "b", "action": "preview", "segment": segment}
    form[segment] = values[segment]
    response = web(gym_b, owner_b).post("/dashboard/notifications/announcements/new/", form)
    assert response.status_code == 400
    with tenant_context(gym_b):
        assert not Announcement.objects.exists()


# Push devices: gym A's member's device, addressed from gym B (its staff and its member).
DEVICE_URLS = [
    ("member_delete", "/api/v1/devices/{device}/"),
    ("api_delete", "/api/v1/devices/{device}/"),
]


@pytest.mark.parametrize(("kind", "url"), DEVICE_URLS)
def test_devices_of_gym_a_are_not_found_from_gym_b(kind, url, gym_a, gym_b, make_user, request_as):
    with tenant_context(gym_a):
        device, _ = device_register(
            member=MemberWithLoginFactory(), kind="fcm", token="gym-a-token", label="Aphone"
        )
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory()
        assert not Device.objects.filter(pk=device.pk).exists()
    owner_b = make_user(gym_b, Role.OWNER)
    path = url.format(device=device.pk)
    response = request_as(kind, path, gym=gym_b, staff=owner_b, member=member_b.user)
    assert_not_found(kind, response)
    assert b"Aphone" not in response.content
    with tenant_context(gym_a):
        assert Device.objects.filter(pk=device.pk, member=device.member).exists()


def test_the_same_push_token_in_gym_b_is_gym_bs_own_device(gym_a, gym_b, api):
    with tenant_context(gym_a):
        member_a = MemberWithLoginFactory()
        device_a, _ = device_register(member=member_a, kind="fcm", token="shared-phone")
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory()
    body = {"kind": "fcm", "token": "shared-phone"}
    response = api(gym_b, member_b.user).post("/api/v1/devices/", body, format="json")
    assert response.status_code == 201
    with tenant_context(gym_a):
        assert Device.objects.get().member_id == member_a.pk
    with tenant_context(gym_b):
        assert Device.objects.get().member_id == member_b.pk


# Notifications: gym A's notifications and preferences, addressed from gym B.
NOTIFICATION_API_URLS = [
    ("member_post", "/api/v1/notifications/{notification}/read/"),
    ("api_post", "/api/v1/notifications/{notification}/read/"),
    ("member_web_post", "/app/inbox/{notification}/read/"),
]


def _notification_in_a(gym_a):
    with tenant_context(gym_a):
        member_a = MemberWithLoginFactory(first_name="Notifaonly")
        notification = Notification.objects.create(
            member=member_a, kind="announcement", category="announcements", title="Aonly news"
        )
    return member_a, notification


@pytest.mark.parametrize(("kind", "url"), NOTIFICATION_API_URLS)
def test_notifications_api_of_gym_a_is_not_found_from_gym_b(
    kind, url, gym_a, gym_b, make_user, request_as
):
    member_a, notification = _notification_in_a(gym_a)
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory()
    owner_b = make_user(gym_b, Role.OWNER)
    path = url.format(notification=notification.pk)
    response = request_as(kind, path, gym=gym_b, staff=owner_b, member=member_b.user)
    assert_not_found(kind, response)
    assert b"Aonly" not in response.content
    with tenant_context(gym_a):
        notification.refresh_from_db()
        assert notification.read_at is None


def test_notification_lists_and_read_all_in_gym_b_leave_gym_a_alone(gym_a, gym_b, api):
    member_a, notification = _notification_in_a(gym_a)
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory()
    client = api(gym_b, member_b.user)
    listed = client.get("/api/v1/notifications/")
    assert listed.status_code == 200 and listed.json()["results"] == []
    assert listed.json()["unread_count"] == 0
    assert client.post("/api/v1/notifications/read-all/").json()["marked"] == 0
    prefs = client.put(
        "/api/v1/notifications/preferences/",
        {"categories": [{"key": "classes", "channels": {"email": False}}]},
        format="json",
    )
    assert prefs.status_code == 200
    with tenant_context(gym_a):
        notification.refresh_from_db()
        assert notification.read_at is None
        assert not Preference.objects.exists()
    # A's member on B's address is not logged in there.
    other = api(gym_a, member_a.user)
    other.defaults["HTTP_HOST"] = "gym-b.localhost"
    assert other.get("/api/v1/notifications/").status_code in (401, 403)
    assert b"Aonly news" in api(gym_a, member_a.user).get("/api/v1/notifications/").content


# The member web app: gym B's member sees nothing of gym A on any page, and B's posts
# (read all, preferences, profile, membership actions) change nothing in A.
MEMBER_APP_PAGES = [
    ("member_web", "/app/"),
    ("member_web", "/app/inbox/"),
    ("member_web", "/app/inbox/preferences/"),
    ("member_web", "/app/profile/"),
    ("member_web", "/app/membership/"),
]

# What A's own member sees of that data on each page (the test's control).
MEMBER_APP_SEEN_IN_A = {
    "/app/": b"42.42 EUR",  # the failed payment card
    "/app/inbox/": b"Aonly news",
    "/app/profile/": b"+49 Aonly",
    "/app/membership/": b"42.42 EUR",
}


def _member_app_data_of_gym_a(gym_a):
    member_a, notification = _notification_in_a(gym_a)
    _plan(gym_a, "Aonly plan")
    with tenant_context(gym_a):
        member_a.phone = "+49 Aonly"
        member_a.save(update_fields=["phone"])
        Invoice.objects.create(
            member=member_a,
            stripe_invoice_id="in_aonly",
            status="open",
            amount_due_minor=4242,
            currency="eur",
            attempt_count=1,
        )
    return member_a, notification


@pytest.mark.parametrize(("kind", "url"), MEMBER_APP_PAGES)
def test_member_app_account_pages_in_gym_b_do_not_show_gym_a(
    kind, url, gym_a, gym_b, request_as, web
):
    member_a, _notification = _member_app_data_of_gym_a(gym_a)
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory()
    response = request_as(kind, url, gym=gym_b, staff=None, member=member_b.user)
    assert response.status_code == 200
    assert b"Aonly" not in response.content and b"42.42" not in response.content
    seen = request_as(kind, url, gym=gym_a, staff=None, member=member_a.user).content
    assert MEMBER_APP_SEEN_IN_A.get(url, b"") in seen  # A's member does see it in A
    # A's member on B's address is not logged in there.
    client = web(gym_a, member_a.user)
    client.defaults["HTTP_HOST"] = "gym-b.localhost"
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


MEMBER_APP_POSTS = [
    ("member_web_post", "/app/inbox/read-all/"),
    ("member_web_post", "/app/inbox/preferences/"),
    ("member_web_post", "/app/profile/"),
    ("member_web_post", "/app/membership/cancel/"),
    ("member_web_post", "/app/membership/portal/"),
    ("member_web_post", "/app/membership/freeze/"),
]


@pytest.mark.parametrize(("kind", "url"), MEMBER_APP_POSTS)
def test_member_app_posts_in_gym_b_leave_gym_a_alone(kind, url, gym_a, gym_b, request_as):
    member_a, notification = _member_app_data_of_gym_a(gym_a)
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory()
    body = {
        "quiet_start": "22:00",
        "quiet_end": "06:00",
        "phone": "+1 Mallory",
        "start": "2030-01-01",
        "days": "14",
    }
    response = request_as(
        kind, url, gym=gym_b, staff=None, member=member_b.user, bodies={kind: body}
    )
    assert response.status_code in (302, 400)
    with tenant_context(gym_a):
        notification.refresh_from_db()
        member_a.refresh_from_db()
        assert notification.read_at is None
        assert not Preference.objects.exists()
        assert member_a.phone == "+49 Aonly"


# Sockets: a session of gym A opens nothing on gym B's host, and events sent in gym A
# to a group name that also exists in gym B (`user-<id>`: ids repeat across schemas)
# reach only gym A's sockets. Rows: (path, close code for A's session at B).
SOCKETS = [
    ("/ws/me/", 4401),
]


def _socket_login(gym, user) -> str:
    client = Client(HTTP_HOST=f"{gym.slug}.localhost")
    with tenant_context(gym):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.cookies["sessionid"].value


def _communicator(path, gym, cookie) -> WebsocketCommunicator:
    host = f"{gym.slug}.localhost"
    headers = [
        (b"host", host.encode()),
        (b"origin", f"http://{host}".encode()),
        (b"cookie", f"sessionid={cookie}".encode()),
    ]
    return WebsocketCommunicator(asgi_application, path, headers=headers)


@pytest.mark.parametrize(("path", "code"), SOCKETS)
def test_sockets_refuse_gym_a_sessions_on_gym_b(path, code, committed_gym_a, committed_gym_b):
    with tenant_context(committed_gym_a):
        user_a = UserFactory(role=Role.MEMBER)
    cookie = _socket_login(committed_gym_a, user_a)

    async def scenario():
        connected, closed_with = await _communicator(path, committed_gym_b, cookie).connect(
            timeout=5
        )
        assert not connected and closed_with == code
        own = _communicator(path, committed_gym_a, cookie)
        assert (await own.connect(timeout=5))[0]  # the refusal above can fail
        await own.disconnect()

    async_to_sync(scenario)()


def test_a_gym_a_event_for_user_n_never_reaches_user_n_of_gym_b(committed_gym_a, committed_gym_b):
    with tenant_context(committed_gym_b):
        user_b = UserFactory(role=Role.MEMBER)
    cookie_b = _socket_login(committed_gym_b, user_b)

    def send_in_a(user_id):
        # Whatever user `user_id` is in gym A (maybe nobody): the group name B listens on.
        with tenant_context(committed_gym_a):
            broadcast_each_on_commit(
                [(f"user-{user_id}", "notification.created", {"title": "Aonly"})]
            )

    def send_in_b(user_id):
        with tenant_context(committed_gym_b):
            broadcast_each_on_commit([(f"user-{user_id}", "notification.created", {"id": 1})])

    async def scenario():
        sock = _communicator("/ws/me/", committed_gym_b, cookie_b)
        assert (await sock.connect(timeout=5))[0]
        await sock.receive_json_from(timeout=5)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, send_in_a, user_b.pk)
        assert await sock.receive_nothing(timeout=0.5)
        await loop.run_in_executor(None, send_in_b, user_b.pk)
        assert (await sock.receive_json_from(timeout=5))["payload"] == {"id": 1}
        await sock.disconnect()

    async_to_sync(scenario)()


def test_an_unsubscribe_link_of_gym_a_does_nothing_in_gym_b(gym_a, gym_b, web):
    """Member ids are per schema: A's link, posted on B's host, must not switch off email
    for B's member with the same id."""
    with tenant_context(gym_a):
        member_a = MemberWithLoginFactory()
        token = unsubscribe_token(SimpleNamespace(member=member_a, user=None), Category.BILLING)
    with tenant_context(gym_b):
        MemberWithLoginFactory()
    response = web(gym_b).post(f"/notifications/unsubscribe/{token}/")
    assert response.status_code == 404
    with tenant_context(gym_b):
        assert not Preference.objects.exists()
    with tenant_context(gym_a):
        assert not Preference.objects.exists()
    assert web(gym_a).post(f"/notifications/unsubscribe/{token}/").status_code == 200


def test_assessment_history_in_gym_b_shows_none_of_gym_a(gym_a, gym_b, make_member, api):
    """The history route's id is a catalogue test id, the same in every gym: what it lists
    must be the requesting member's own attempts, in the requesting gym."""
    member_a, attempt, _block = _assessment_in_a(gym_a, make_member)
    with tenant_context(gym_a):
        Attempt.objects.filter(pk=attempt.pk).update(status="valid")
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory()
    response = api(gym_b, member_b.user).get("/api/v1/assessments/history/4/")
    assert response.status_code == 200
    assert response.json()["attempts"] == [] and b"Aonly" not in response.content
    with tenant_context(gym_a):
        attempt.video.delete(save=False)


# Class set-up (types, rooms, schedules) by id: gym B's owner gets 404 and A is unchanged.
CLASS_SETUP_URLS = [
    ("web", "/dashboard/classes/types/{class_type}/"),
    ("web_post", "/dashboard/classes/types/{class_type}/"),
    ("web", "/dashboard/classes/rooms/{room}/"),
    ("web_post", "/dashboard/classes/rooms/{room}/"),
    ("web_post", "/dashboard/classes/rooms/{room}/delete/"),
    ("web", "/dashboard/classes/schedules/{schedule}/"),
    ("web_post", "/dashboard/classes/schedules/{schedule}/"),
    ("web_post", "/dashboard/classes/schedules/{schedule}/stop/"),
]


def _class_setup_in(gym):
    with tenant_context(gym):
        room = Room.objects.create(name="Aonly Room", capacity=9)
        class_type = ClassTypeFactory(name="Aonly Class", room=None)
        schedule = Schedule.objects.create(
            class_type=class_type,
            weekdays=[0],
            start_time=time(6, 0),
            starts_on=timezone.localdate(),
        )
    return class_type, room, schedule


@pytest.mark.parametrize(("kind", "url"), CLASS_SETUP_URLS)
def test_class_set_up_of_gym_a_is_not_found_from_gym_b(
    kind, url, gym_a, gym_b, make_user, request_as
):
    class_type, room, schedule = _class_setup_in(gym_a)
    owner_b = make_user(gym_b, Role.OWNER)
    path = url.format(class_type=class_type.pk, room=room.pk, schedule=schedule.pk)
    bodies = {"web_post": {"name": "Mallory", "capacity": "3"}}
    response = request_as(kind, path, gym=gym_b, staff=owner_b, bodies=bodies)
    assert_not_found(kind, response)
    assert b"Aonly" not in response.content
    with tenant_context(gym_a):
        room.refresh_from_db()
        class_type.refresh_from_db()
        schedule.refresh_from_db()
        assert room.name == "Aonly Room" and class_type.name == "Aonly Class"
        assert schedule.is_active


@pytest.mark.parametrize(
    "url",
    ["/dashboard/classes/types/", "/dashboard/classes/rooms/", "/dashboard/classes/schedules/"],
)
def test_class_set_up_lists_in_gym_b_do_not_show_gym_a(url, gym_a, gym_b, make_user, request_as):
    _class_setup_in(gym_a)
    owner_b, owner_a = make_user(gym_b, Role.OWNER), make_user(gym_a, Role.OWNER)
    response = request_as("web", url, gym=gym_b, staff=owner_b)
    assert response.status_code == 200 and b"Aonly" not in response.content
    assert b"Aonly" in request_as("web", url, gym=gym_a, staff=owner_a).content  # can fail


def test_member_attempt_page_and_report_of_gym_a_are_not_found_from_gym_b(
    gym_a, gym_b, make_member, web
):
    """A's attempt id on B's host is another schema's row: B's member (even one whose id
    matches) gets 404, and B's report lists nothing of A."""
    _member_a, attempt, _block = _assessment_in_a(gym_a, make_member)
    with tenant_context(gym_a):
        Attempt.objects.filter(pk=attempt.pk).update(
            status="valid", bucket="pass", result={"bucket": "pass", "metrics": []}
        )
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory(tier="pro")
    client = web(gym_b, member_b.user)
    assert client.get(f"/app/assessments/{attempt.pk}/").status_code == 404
    report = client.get("/app/assessments/report/")
    assert report.status_code == 200 and b"Overhead squat" not in report.content
    with tenant_context(gym_a):
        attempt.video.delete(save=False)


def test_skipping_a_set_up_step_in_gym_b_leaves_gym_a_alone(gym_a, gym_b, make_user, web):
    owner_b = make_user(gym_b, Role.OWNER)
    assert web(gym_b, owner_b).post("/dashboard/setup/schedule/skip/").status_code == 302
    with tenant_context(gym_b):
        assert SetupSkip.objects.filter(key="schedule").exists()
    with tenant_context(gym_a):
        assert not SetupSkip.objects.exists()
    page = web(gym_a, make_user(gym_a, Role.OWNER)).get("/dashboard/")
    assert b'<li class="open" data-step="schedule">' in page.content


# --- Goals: challenges ---------------------------------------------------------------------
# Gym A's challenge by id from gym B (its members and staff): 404, and nothing of A changes.
CHALLENGE_URLS = [
    ("member_get", "/api/v1/challenges/{id}/"),
    ("member_post", "/api/v1/challenges/{id}/join/"),
    ("member_post", "/api/v1/challenges/{id}/leave/"),
    ("member_get", "/api/v1/challenges/{id}/leaderboard/"),
    ("member_get", "/api/v1/challenges/{id}/me/"),
    ("member_get", "/api/v1/challenges/{id}/entries/"),
    ("member_post", "/api/v1/challenges/{id}/entries/"),
    ("member_web", "/app/challenges/{id}/"),
    ("member_web_post", "/app/challenges/{id}/join/"),
    ("member_web_post", "/app/challenges/{id}/leave/"),
    ("member_web_post", "/app/challenges/{id}/leaderboard/"),
    ("member_web_post", "/app/challenges/{id}/entries/"),
    ("web", "/dashboard/goals/challenges/{id}/"),
    ("web", "/dashboard/goals/challenges/{id}/edit/"),
    ("web_post", "/dashboard/goals/challenges/{id}/edit/"),
    ("web_post", "/dashboard/goals/challenges/{id}/archive/"),
    ("admin", "/admin/goals/challenge/{id}/change/"),
]


def _challenge_in_a(gym):
    with tenant_context(gym):
        challenge = ChallengeFactory(title="Aonly challenge", type="custom", unit="km", target=100)
        member = MemberWithLoginFactory(first_name="Aonlyrunner")
        challenge_join(challenge=challenge, member=member, on_leaderboard=True)
    return challenge


@pytest.mark.parametrize(("kind", "url"), CHALLENGE_URLS)
def test_challenge_of_gym_a_is_not_found_from_gym_b(kind, url, gym_a, gym_b, make_user, request_as):
    challenge = _challenge_in_a(gym_a)
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory()
        assert not Challenge.objects.filter(pk=challenge.pk).exists()
    owner_b = make_user(gym_b, Role.OWNER)
    bodies = {
        "member_post": {"value": "5"},
        "member_web_post": {"value": "5", "on_leaderboard": "0"},
        "web_post": {"title": "Mallory", "type": "visits", "target": "1"},
    }
    path = url.format(id=challenge.pk)
    response = request_as(kind, path, gym=gym_b, staff=owner_b, member=member_b.user, bodies=bodies)
    assert_not_found(kind, response)
    assert b"Aonly" not in response.content
    with tenant_context(gym_a):
        challenge.refresh_from_db()
        assert challenge.title == "Aonly challenge" and challenge.archived_at is None
        participant = ChallengeParticipant.objects.get(challenge=challenge)
        assert participant.on_leaderboard and participant.left_at is None
        assert ChallengeParticipant.objects.count() == 1 and not ChallengeEntry.objects.exists()


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("member_get", "/api/v1/challenges/"),
        ("member_web", "/app/challenges/"),
        ("member_web", "/app/"),
        ("web", "/dashboard/goals/challenges/"),
        ("admin", "/admin/goals/challenge/"),
    ],
)
def test_challenge_lists_in_gym_b_do_not_show_gym_a(kind, url, gym_a, gym_b, make_user, request_as):
    _challenge_in_a(gym_a)
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory()
    with tenant_context(gym_a):
        user_a = ChallengeParticipant.objects.select_related("member__user").get().member.user
    owner_b, owner_a = make_user(gym_b, Role.OWNER), make_user(gym_a, Role.OWNER)
    response = request_as(kind, url, gym=gym_b, staff=owner_b, member=member_b.user)
    assert response.status_code == 200 and b"Aonly" not in response.content
    same = request_as(kind, url, gym=gym_a, staff=owner_a, member=user_a)
    assert b"Aonly challenge" in same.content  # the test can fail: A does see it


# --- Goals: goals and body weights ------------------------------------------------------------
# A member of gym A's goal by id from gym B (its members and staff): 404, nothing changes.
GOAL_URLS = [
    ("member_get", "/api/v1/goals/{id}/"),
    ("member_delete", "/api/v1/goals/{id}/"),
    ("member_get", "/api/v1/goals/{id}/progress/"),
    ("member_post", "/api/v1/goals/{id}/progress/"),
    ("member_web", "/app/goals/{id}/"),
    ("member_web_post", "/app/goals/{id}/entries/"),
    ("member_web_post", "/app/goals/{id}/archive/"),
    ("admin", "/admin/goals/goal/{id}/change/"),
]


def _goal_in_a(gym):
    with tenant_context(gym):
        member = goal_member(login=True, first_name="Aonlygoaler")
        goal = make_goal(
            member, title="Aonly goal", type="custom", period="", unit="km", target=100
        )
        goals_models.BodyWeight.objects.create(member=member, weight_kg="81.37")
    return goal


@pytest.mark.parametrize(("kind", "url"), GOAL_URLS)
def test_goal_of_gym_a_is_not_found_from_gym_b(kind, url, gym_a, gym_b, make_user, request_as):
    goal = _goal_in_a(gym_a)
    with tenant_context(gym_b):
        member_b = goal_member(login=True)
        assert not goals_models.Goal.objects.filter(pk=goal.pk).exists()
    owner_b = make_user(gym_b, Role.OWNER)
    bodies = {"member_post": {"value": "5"}, "member_web_post": {"value": "5"}}
    path = url.format(id=goal.pk)
    response = request_as(kind, path, gym=gym_b, staff=owner_b, member=member_b.user, bodies=bodies)
    assert_not_found(kind, response)
    assert b"Aonly" not in response.content
    with tenant_context(gym_a):
        goal.refresh_from_db()
        assert goal.title == "Aonly goal" and goal.archived_at is None
        assert not goals_models.GoalEntry.objects.exists()


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("member_get", "/api/v1/goals/"),
        ("member_get", "/api/v1/body-weight/"),
        ("member_web", "/app/goals/"),
        ("member_web", "/app/goals/body-weight/"),
        ("member_web", "/app/"),
        ("admin", "/admin/goals/goal/"),
    ],
)
def test_goal_lists_in_gym_b_do_not_show_gym_a(kind, url, gym_a, gym_b, make_user, request_as):
    goal = _goal_in_a(gym_a)
    with tenant_context(gym_b):
        member_b = goal_member(login=True)
    with tenant_context(gym_a):
        user_a = goals_models.Goal.objects.select_related("member__user").get().member.user
    owner_b, owner_a = make_user(gym_b, Role.OWNER), make_user(gym_a, Role.OWNER)
    response = request_as(kind, url, gym=gym_b, staff=owner_b, member=member_b.user)
    assert response.status_code == 200
    assert b"Aonly" not in response.content and b"81.37" not in response.content
    same = request_as(kind, url, gym=gym_a, staff=owner_a, member=user_a)
    assert b"Aonly" in same.content or b"81.37" in same.content  # A does see its own
    assert goal.pk


# --- Goals: motivation ---------------------------------------------------------------------
# Gym A's message by id from gym B (its members and staff): 404, and its rating is unchanged.
MOTIVATION_URLS = [
    ("member_post", "/api/v1/motivation/{id}/rate/"),
    ("member_web_post", "/app/motivation/{id}/rate/"),
    ("admin", "/admin/goals/motivation/{id}/change/"),
]


def _motivation_in_a(gym):
    with tenant_context(gym):
        member = MemberWithLoginFactory(first_name="Aonlyreader")
        return Motivation.objects.create(
            member=member,
            situation="streak_up",
            text="Aonly message: keep going",
            tone="friendly",
            language="en",
            source="library",
            library_key="friendly.streak_up.0",
        )


@pytest.mark.parametrize(("kind", "url"), MOTIVATION_URLS)
def test_motivation_of_gym_a_is_not_found_from_gym_b(
    kind, url, gym_a, gym_b, make_user, request_as
):
    motivation = _motivation_in_a(gym_a)
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory()
        assert not Motivation.objects.filter(pk=motivation.pk).exists()
    bodies = {"member_post": {"helpful": True}, "member_web_post": {"helpful": "1"}}
    path = url.format(id=motivation.pk)
    response = request_as(
        kind,
        path,
        gym=gym_b,
        staff=make_user(gym_b, Role.OWNER),
        member=member_b.user,
        bodies=bodies,
    )
    assert_not_found(kind, response)
    assert b"Aonly" not in response.content
    with tenant_context(gym_a):
        motivation.refresh_from_db()
        assert motivation.helpful is None and motivation.rated_at is None


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("member_get", "/api/v1/motivation/"),
        ("member_web", "/app/motivation/"),
        ("member_web", "/app/"),
        ("web", "/dashboard/goals/motivation/"),
        ("admin", "/admin/goals/motivation/"),
    ],
)
def test_motivation_lists_in_gym_b_do_not_show_gym_a(
    kind, url, gym_a, gym_b, make_user, request_as
):
    motivation = _motivation_in_a(gym_a)
    with tenant_context(gym_a):
        motivation.helpful = True
        motivation.save()
        user_a = motivation.member.user
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory()
    owner_b, owner_a = make_user(gym_b, Role.OWNER), make_user(gym_a, Role.OWNER)
    response = request_as(kind, url, gym=gym_b, staff=owner_b, member=member_b.user)
    assert response.status_code == 200 and b"Aonly" not in response.content
    if kind == "web":
        # The staff page has counts, not texts: gym B's count is its own (none).
        assert b'<tr data-source="library"><td>Library</td><td>0</td>' in response.content
        same = request_as(kind, url, gym=gym_a, staff=owner_a, member=user_a)
        assert b'<tr data-source="library"><td>Library</td><td>1</td>' in same.content
        return
    same = request_as(kind, url, gym=gym_a, staff=owner_a, member=user_a)
    assert b"Aonly" in same.content  # the test can fail: A does see it (text or name)


# --- Goals: check-ins and streaks ------------------------------------------------------------
# No ids in these paths (the member's own); gym B's member never sees gym A's answers.
@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("member_get", "/api/v1/daily-check-ins/"),
        ("member_get", "/api/v1/daily-check-ins/today/"),
        ("member_get", "/api/v1/streak/"),
        ("member_web", "/app/check-in/"),
        ("admin", "/admin/goals/checkin/"),
    ],
)
def test_checkins_in_gym_b_do_not_show_gym_a(kind, url, gym_a, gym_b, make_user, request_as):
    with tenant_context(gym_a):
        member_a = MemberWithLoginFactory(first_name="Aonlychecker")
        checkin_answer(member=member_a, status="went", reflection="Aonly reflection")
    with tenant_context(gym_b):
        member_b = MemberWithLoginFactory()
    owner_b, owner_a = make_user(gym_b, Role.OWNER), make_user(gym_a, Role.OWNER)
    response = request_as(kind, url, gym=gym_b, staff=owner_b, member=member_b.user)
    assert response.status_code == 200
    assert b"Aonly" not in response.content and b'"current":1' not in response.content
    same = request_as(kind, url, gym=gym_a, staff=owner_a, member=member_a.user)
    assert b"Aonly" in same.content or b'"current":1' in same.content
