"""At once, on real parallel connections: the task of one check-in run several times in
parallel (a retry racing the periodic re-queue) writes one message and one notification;
parallel ratings of one message leave one consistent answer."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection
from django_tenants.utils import tenant_context

from apps.goals.dates import local_today
from apps.goals.models import CheckIn, Motivation
from apps.goals.services import motivation as service
from apps.notifications.models import Notification
from tests.factories import MemberFactory

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
