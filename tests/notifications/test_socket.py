"""`/ws/me/`: a person's own notifications, live, in their gym only. The consumer runs its
database work in threads, so these tests use committed data (`committed_gym_a`)."""

import asyncio

from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.notifications.models import Notification
from apps.notifications.services import notify
from config.asgi import application
from tests.factories import PASSWORD, MemberWithLoginFactory, UserFactory


def _login(gym, user) -> str:
    client = Client(HTTP_HOST=f"{gym.slug}.localhost")
    with tenant_context(gym):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.cookies["sessionid"].value


def _socket(host: str, cookie: str = "") -> WebsocketCommunicator:
    headers = [(b"host", host.encode()), (b"origin", f"http://{host}".encode())]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, "/ws/me/", headers=headers)


def _announce(gym, recipient, title):
    with tenant_context(gym):
        return notify(recipient, "announcement", {"title": title, "body": "Hi"}).pk


def test_hello_has_the_unread_count_and_an_event_reaches_only_its_user(committed_gym_a):
    gym = committed_gym_a
    with tenant_context(gym):
        member = MemberWithLoginFactory(first_name="Ana")
        other = MemberWithLoginFactory(first_name="Bo")
        Notification.objects.create(
            member=member, kind="announcement", category="announcements", title="Old"
        )
    mine, theirs = _login(gym, member.user), _login(gym, other.user)

    async def scenario():
        sock, other_sock = _socket("gym-a.localhost", mine), _socket("gym-a.localhost", theirs)
        assert (await sock.connect(timeout=5))[0] and (await other_sock.connect(timeout=5))[0]
        hello = await sock.receive_json_from(timeout=5)
        assert hello == {"type": "hello", "gym": "gym-a", "unread_count": 1}
        assert (await other_sock.receive_json_from(timeout=5))["unread_count"] == 0
        loop = asyncio.get_running_loop()
        new_id = await loop.run_in_executor(None, _announce, gym, member, "Pool closed")
        event = await sock.receive_json_from(timeout=5)
        assert event["type"] == "notification.created"
        assert event["payload"]["id"] == new_id
        assert event["payload"]["title"] == "Pool closed"
        assert await other_sock.receive_nothing(timeout=0.5)
        await sock.disconnect()
        await other_sock.disconnect()

    async_to_sync(scenario)()


def test_staff_without_member_profile_hear_their_own_notifications(committed_gym_a):
    gym = committed_gym_a
    with tenant_context(gym):
        staff = UserFactory(role=Role.MANAGER)
    cookie = _login(gym, staff)

    async def scenario():
        sock = _socket("gym-a.localhost", cookie)
        assert (await sock.connect(timeout=5))[0]
        assert (await sock.receive_json_from(timeout=5))["unread_count"] == 0
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, _announce, gym, staff, "Rota changed")
        event = await sock.receive_json_from(timeout=5)
        assert event["payload"]["title"] == "Rota changed"
        await sock.disconnect()

    async_to_sync(scenario)()


def test_an_apps_session_token_signs_the_socket_in(committed_gym_a):
    gym = committed_gym_a
    with tenant_context(gym):
        member = MemberWithLoginFactory(email="app-socket@example.test")
    response = Client(HTTP_HOST="gym-a.localhost").post(
        "/_allauth/app/v1/auth/login",
        {"email": member.email, "password": PASSWORD},
        content_type="application/json",
    )
    token = response.json()["meta"]["session_token"]

    async def scenario():
        sock = _socket("gym-a.localhost", token)
        assert (await sock.connect(timeout=5))[0]
        assert (await sock.receive_json_from(timeout=5))["type"] == "hello"
        await sock.disconnect()

    async_to_sync(scenario)()


def test_anonymous_and_other_gyms_sessions_are_refused(committed_gym_a, committed_gym_b):
    with tenant_context(committed_gym_a):
        member = MemberWithLoginFactory()
    cookie_a = _login(committed_gym_a, member.user)

    async def scenario():
        connected, code = await _socket("gym-a.localhost").connect(timeout=5)
        assert not connected and code == 4401
        connected, code = await _socket("gym-a.localhost", "not-a-session").connect(timeout=5)
        assert not connected and code == 4401
        # Gym A's cookie on gym B's host: nobody there.
        connected, code = await _socket("gym-b.localhost", cookie_a).connect(timeout=5)
        assert not connected and code == 4401
        connected, code = await _socket("nowhere.localhost", cookie_a).connect(timeout=5)
        assert not connected and code == 4404
        # The same cookie on its own host works (the refusals above can fail).
        sock = _socket("gym-a.localhost", cookie_a)
        assert (await sock.connect(timeout=5))[0]
        await sock.disconnect()

    async_to_sync(scenario)()


def test_a_page_of_another_gym_cannot_open_the_socket(committed_gym_a):
    with tenant_context(committed_gym_a):
        member = MemberWithLoginFactory()
    cookie = _login(committed_gym_a, member.user)

    async def scenario():
        headers = [
            (b"host", b"gym-a.localhost"),
            (b"origin", b"http://gym-b.localhost"),
            (b"cookie", f"sessionid={cookie}".encode()),
        ]
        sock = WebsocketCommunicator(application, "/ws/me/", headers=headers)
        connected, _code = await sock.connect(timeout=5)
        assert not connected

    async_to_sync(scenario)()


def test_frames_other_than_ping_get_an_error(committed_gym_a):
    with tenant_context(committed_gym_a):
        member = MemberWithLoginFactory()
    cookie = _login(committed_gym_a, member.user)

    async def scenario():
        sock = _socket("gym-a.localhost", cookie)
        assert (await sock.connect(timeout=5))[0]
        await sock.receive_json_from(timeout=5)
        await sock.send_to(text_data="{nope")
        assert (await sock.receive_json_from(timeout=5))["code"] == "malformed"
        await sock.send_json_to({"type": "ping"})
        assert (await sock.receive_json_from(timeout=5))["type"] == "pong"
        await sock.disconnect()

    async_to_sync(scenario)()
