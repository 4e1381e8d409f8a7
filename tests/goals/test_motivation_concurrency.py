"""On real parallel connections (committed data): the task of one check-in run several
times at once (a retry racing the periodic re-queue) writes one message and one
notification; parallel ratings of one message leave one consistent answer; the message
arrives live on the member's `/ws/me/` socket."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from apps.goals.dates import local_today
from apps.goals.models import CheckIn, Motivation
from apps.goals.services import motivation as service
from apps.notifications.models import Notification
from config.asgi import application
from tests.factories import MemberFactory, MemberWithLoginFactory

THREADS = 6


def _parallel(gym, work):
    start = threading.Barrier(THREADS)

    def run(index):
        start.wait(timeout=30)
        try:
            with tenant_context(gym):
                return work(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def test_parallel_tasks_of_one_checkin_write_one_message(committed_gym_a):
    gym = committed_gym_a
    with tenant_context(gym):
        member = MemberFactory(first_name="Par")
        checkin = CheckIn.objects.create(member=member, on=local_today(member), status="went")
    results = _parallel(gym, lambda _: service.motivation_for_checkin(checkin_id=checkin.pk).pk)
    assert len(set(results)) == 1
    with tenant_context(gym):
        assert Motivation.objects.filter(checkin=checkin).count() == 1
        assert Notification.objects.filter(member=member, kind="motivation").count() == 1


def test_parallel_ratings_leave_one_consistent_answer(committed_gym_a):
    gym = committed_gym_a
    with tenant_context(gym):
        member = MemberFactory(first_name="Par")
        motivation = Motivation.objects.create(
            member=member,
            situation="streak_up",
            text="Keep going, Par.",
            tone="friendly",
            language="en",
            source="library",
        )
    results = _parallel(
        gym,
        lambda index: (
            service.motivation_rate(
                member=member, motivation_id=motivation.pk, helpful=index % 2 == 0
            ).helpful
        ),
    )
    with tenant_context(gym):
        motivation.refresh_from_db()
        assert motivation.helpful in results and motivation.rated_at is not None
        assert Motivation.objects.filter(member=member).count() == 1


def test_the_message_arrives_live_over_ws_me(committed_gym_a):
    """The task's message reaches the member's open `/ws/me/` socket (the in-app kind)."""
    gym = committed_gym_a
    with tenant_context(gym):
        member = MemberWithLoginFactory(first_name="Liv")
        checkin = CheckIn.objects.create(member=member, on=local_today(member), status="rest")
    client = Client(HTTP_HOST=f"{gym.slug}.localhost")
    with tenant_context(gym):
        client.force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")
    host = f"{gym.slug}.localhost"
    headers = [
        (b"host", host.encode()),
        (b"origin", f"http://{host}".encode()),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]

    def write():
        try:
            with tenant_context(gym):
                return service.motivation_for_checkin(checkin_id=checkin.pk)
        finally:
            connection.close()

    async def scenario():
        sock = WebsocketCommunicator(application, "/ws/me/", headers=headers)
        assert (await sock.connect(timeout=5))[0]
        assert (await sock.receive_json_from(timeout=5))["type"] == "hello"
        written = await asyncio.get_running_loop().run_in_executor(None, write)
        event = await sock.receive_json_from(timeout=5)
        assert event["type"] == "notification.created"
        assert event["payload"]["kind"] == "motivation"
        assert event["payload"]["body"] == written.text and "Liv" in written.text
        await sock.disconnect()

    async_to_sync(scenario)()
