"""Status changes reach the member's own socket (/ws/assessments/), in their gym only."""

import asyncio

from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.assessments.models import Attempt
from apps.assessments.services import attempt_submit
from apps.billing.tiers import Tier
from config.asgi import application
from tests.assessments.conftest import upload
from tests.factories import MemberFactory, UserFactory


def _login(gym, user) -> str:
    client = Client(HTTP_HOST=f"{gym.slug}.localhost")
    with tenant_context(gym):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.cookies["sessionid"].value


def _socket(host: str, cookie: str) -> WebsocketCommunicator:
    headers = [
        (b"host", host.encode()),
        (b"origin", f"http://{host}".encode()),
        (b"cookie", f"sessionid={cookie}".encode()),
    ]
    return WebsocketCommunicator(application, "/ws/assessments/", headers=headers)


def test_member_socket_follows_the_attempt_from_queued_to_invalid(committed_gym_a, synthetic):
    with tenant_context(committed_gym_a):
        user = UserFactory(role=Role.MEMBER)
        member = MemberFactory(user=user, tier=Tier.PRO)
        other = UserFactory(role=Role.MEMBER)
        MemberFactory(user=other, tier=Tier.PRO)
    mine, theirs = _login(committed_gym_a, user), _login(committed_gym_a, other)

    def submit():
        with tenant_context(committed_gym_a):
            return attempt_submit(
                member=member, test_id=4, upload=upload(synthetic["no_person"])
            ).pk

    async def scenario():
        sock, other_sock = _socket("gym-a.localhost", mine), _socket("gym-a.localhost", theirs)
        assert (await sock.connect(timeout=5))[0] and (await other_sock.connect(timeout=5))[0]
        assert (await sock.receive_json_from(timeout=5))["type"] == "hello"
        await other_sock.receive_json_from(timeout=5)
        attempt_id = await asyncio.get_running_loop().run_in_executor(None, submit)
        statuses = []
        while not statuses or statuses[-1] not in ("valid", "invalid", "failed"):
            event = await sock.receive_json_from(timeout=60)
            assert event["type"] == "assessment.status" and event["payload"]["id"] == attempt_id
            statuses.append(event["payload"]["status"])
        assert statuses == ["queued", "processing", "invalid"]
        assert event["payload"]["reason_code"] == "no_person"
        assert await other_sock.receive_nothing(timeout=0.5)
        await sock.disconnect()
        await other_sock.disconnect()
        return attempt_id

    attempt_id = async_to_sync(scenario)()
    with tenant_context(committed_gym_a):
        Attempt.objects.get(pk=attempt_id).video.delete(save=False)


def test_gym_a_session_gets_no_assessment_socket_on_gym_b(committed_gym_a):
    with tenant_context(committed_gym_a):
        user = UserFactory(role=Role.MEMBER)
    cookie = _login(committed_gym_a, user)

    async def scenario():
        connected, code = await _socket("gym-b.localhost", cookie).connect(timeout=5)
        assert not connected and code == 4401

    async_to_sync(scenario)()
