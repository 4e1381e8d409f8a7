"""WebSocket: host -> gym, session -> user, groups per gym. The consumers run their
database work in threads, so these tests use committed data (see `committed`)."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import path
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.common import channels as common_channels
from apps.common.channels import TenantAuthMiddleware, TenantJsonConsumer
from apps.members.models import Member
from apps.members.services import member_create
from config.asgi import application
from tests.factories import UserFactory


def _session_cookie(gym, role) -> str:
    """The session cookie of a new, logged-in user of `gym` with `role`."""
    client = Client(HTTP_HOST=f"{gym.slug}.localhost")
    with tenant_context(gym):
        client.force_login(
            UserFactory(role=role), backend="django.contrib.auth.backends.ModelBackend"
        )
    return client.cookies["sessionid"].value


def _socket(host: str, cookie: str = "", origin: str = "") -> WebsocketCommunicator:
    headers = [(b"host", host.encode()), (b"origin", (origin or f"http://{host}").encode())]
    if cookie:
        # A cookie name Python's SimpleCookie rejects comes first, as browsers may send.
        headers.append((b"cookie", f"prefs[theme]=dark; sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, "/ws/staff/", headers=headers)


def test_staff_socket_gets_member_created_in_own_gym_only(committed_gym_a, committed_gym_b):
    cookie_a = _session_cookie(committed_gym_a, Role.FRONT_DESK)
    cookie_b = _session_cookie(committed_gym_b, Role.FRONT_DESK)

    async def scenario():
        sock_a = _socket("gym-a.localhost", cookie_a)
        sock_b = _socket("gym-b.localhost", cookie_b)
        assert (await sock_a.connect(timeout=5))[0] and (await sock_b.connect(timeout=5))[0]
        assert (await sock_a.receive_json_from(timeout=5))["gym"] == "gym-a"
        assert (await sock_b.receive_json_from(timeout=5))["gym"] == "gym-b"
        await asyncio.get_running_loop().run_in_executor(None, _create_in_a)
        event = await sock_a.receive_json_from(timeout=5)
        assert event["type"] == "member.created"
        assert event["payload"]["name"] == "Nadia Live"
        assert await sock_b.receive_nothing(timeout=0.5)
        await sock_a.disconnect()
        await sock_b.disconnect()

    def _create_in_a():
        with tenant_context(committed_gym_a):
            member_create(data={"first_name": "Nadia", "last_name": "Live"})

    async_to_sync(scenario)()


def test_socket_of_gym_a_session_is_refused_on_gym_b(committed_gym_a):
    cookie = _session_cookie(committed_gym_a, Role.OWNER)

    async def scenario():
        sock = _socket("gym-b.localhost", cookie)
        connected, code = await sock.connect(timeout=5)
        assert not connected and code == 4403

    async_to_sync(scenario)()


@pytest.mark.parametrize(("role", "allowed"), [(Role.MEMBER, False), (Role.TRAINER, True)])
def test_staff_socket_needs_a_staff_role(committed_gym_a, role, allowed):
    cookie = _session_cookie(committed_gym_a, role)

    async def scenario():
        sock = _socket("gym-a.localhost", cookie)
        connected, code = await sock.connect(timeout=5)
        assert connected is allowed
        if connected:
            await sock.disconnect()
        else:
            assert code == 4403

    async_to_sync(scenario)()


def test_unknown_host_and_anonymous_are_refused(committed_gym_a):
    async def scenario():
        unknown = _socket("nowhere.localhost")
        connected, code = await unknown.connect(timeout=5)
        assert not connected and code == 4404
        anonymous = _socket("gym-a.localhost")
        connected, code = await anonymous.connect(timeout=5)
        assert not connected and code == 4403

    async_to_sync(scenario)()


def test_malformed_frames_get_an_error_and_the_socket_stays_up(committed_gym_a):
    cookie = _session_cookie(committed_gym_a, Role.MANAGER)

    async def scenario():
        sock = _socket("gym-a.localhost", cookie)
        assert (await sock.connect(timeout=5))[0]
        await sock.receive_json_from(timeout=5)
        await sock.send_to(text_data="{not json")
        assert (await sock.receive_json_from(timeout=5))["code"] == "malformed"
        await sock.send_to(text_data=json.dumps({"type": "dance"}))
        assert (await sock.receive_json_from(timeout=5))["code"] == "unknown_message"
        await sock.send_json_to({"type": "ping"})
        assert (await sock.receive_json_from(timeout=5))["type"] == "pong"
        await sock.disconnect()

    async_to_sync(scenario)()


def test_idle_socket_survives_longer_than_redis_read_timeout(committed_gym_a):
    """redis-py 8 would drop a channel-layer reader idle for 5 s (channels_redis#422)."""
    cookie = _session_cookie(committed_gym_a, Role.OWNER)

    async def scenario():
        sock = _socket("gym-a.localhost", cookie)
        assert (await sock.connect(timeout=5))[0]
        await sock.receive_json_from(timeout=5)
        await asyncio.sleep(6)
        await asyncio.get_running_loop().run_in_executor(None, _create)
        event = await sock.receive_json_from(timeout=5)
        assert event["payload"]["name"] == "Late Arrival"
        await sock.disconnect()

    def _create():
        with tenant_context(committed_gym_a):
            member_create(data={"first_name": "Late", "last_name": "Arrival"})

    async_to_sync(scenario)()


def test_a_page_of_gym_b_cannot_open_a_socket_to_gym_a(committed_gym_a):
    cookie = _session_cookie(committed_gym_a, Role.OWNER)

    async def scenario():
        sock = _socket("gym-a.localhost", cookie, origin="http://gym-b.localhost")
        connected, _code = await sock.connect(timeout=5)
        assert not connected
        same = _socket("gym-a.localhost", cookie)
        assert (await same.connect(timeout=5))[0]
        await same.disconnect()

    async_to_sync(scenario)()


class _CountConsumer(TenantJsonConsumer):
    """A minimal consumer on the shared base: its `db()` must run in the socket's gym."""

    async def connect(self):
        await self.accept()

    async def receive_json(self, content, **kwargs):
        count = await self.db(lambda: Member.objects.filter(first_name="Counted").count())
        await self.send_json({"count": count})


def test_consumer_database_calls_run_in_the_sockets_gym(committed_gym_a, committed_gym_b):
    with tenant_context(committed_gym_a):
        member_create(data={"first_name": "Counted"})
    app = TenantAuthMiddleware(URLRouter([path("ws/count/", _CountConsumer.as_asgi())]))

    async def count_on(host: str) -> int:
        sock = WebsocketCommunicator(app, "/ws/count/", headers=[(b"host", host.encode())])
        assert (await sock.connect(timeout=5))[0]
        await sock.send_json_to({})
        answer = (await sock.receive_json_from(timeout=5))["count"]
        await sock.disconnect()
        return answer

    async def scenario():
        assert await count_on("gym-a.localhost") == 1
        assert await count_on("gym-b.localhost") == 0

    async_to_sync(scenario)()


@pytest.mark.parametrize("path", ["/ws/staff/", "/ws/occupancy/", "/ws/assessments/"])
@pytest.mark.parametrize("change", ["deactivated", "demoted", "logged_out", "nothing"])
def test_open_socket_closes_once_its_session_no_longer_lets_in(
    committed_gym_a, monkeypatch, path, change
):
    """Access is checked at connect and again every ACCESS_RECHECK_SECONDS: a fired or
    demoted employee, or one who logged out, stops getting the gym's live events."""

    monkeypatch.setattr(common_channels, "ACCESS_RECHECK_SECONDS", 0.2)
    client = Client(HTTP_HOST=f"{committed_gym_a.slug}.localhost")
    with tenant_context(committed_gym_a):
        user = UserFactory(role=Role.FRONT_DESK)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    cookie = client.cookies["sessionid"].value
    host = "gym-a.localhost"
    sock = WebsocketCommunicator(
        application,
        path,
        headers=[
            (b"host", host.encode()),
            (b"origin", f"http://{host}".encode()),
            (b"cookie", f"sessionid={cookie}".encode()),
        ],
    )

    def apply_change():
        with tenant_context(committed_gym_a):
            if change == "deactivated":
                type(user).objects.filter(pk=user.pk).update(is_active=False)
            elif change == "demoted":
                type(user).objects.filter(pk=user.pk).update(role=Role.MEMBER)
            elif change == "logged_out":
                SessionStore(cookie).delete()

    async def scenario():
        assert (await sock.connect(timeout=5))[0]
        hello = await sock.receive_json_from(timeout=5)
        assert hello["type"] == "hello"
        await asyncio.get_running_loop().run_in_executor(None, apply_change)
        # A member may keep following their own assessments after a demotion.
        stays = change == "nothing" or (change == "demoted" and path == "/ws/assessments/")
        if stays:
            assert await sock.receive_nothing(timeout=1)
            await sock.disconnect()
        else:
            closed = await sock.receive_output(timeout=5)
            assert closed == {"type": "websocket.close", "code": 4403}

    try:
        async_to_sync(scenario)()
    finally:
        with tenant_context(committed_gym_a):
            type(user).objects.filter(pk=user.pk).delete()
