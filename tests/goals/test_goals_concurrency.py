"""Creating goals at once: parallel creates of one member never pass the plan's limit,
and parallel weighings of one day make one row (real parallel connections)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.common.errors import ApplicationError
from apps.goals.models import BodyWeight, Goal
from apps.goals.services.goals import body_weight_record, goal_create
from apps.members.models import Member
from tests.goals.factories_goals import goal_member

THREADS = 8


@pytest.fixture
def committed_goals(committed_gym_a):
    yield committed_gym_a
    with tenant_context(committed_gym_a):
        Goal.objects.all().delete()
        BodyWeight.objects.all().delete()
        Member.objects.filter(email__startswith="goalrace").delete()


def _parallel(gym, fn):
    start = threading.Barrier(THREADS)

    def run(_):
        start.wait(timeout=30)
        try:
            with tenant_context(gym):
                return fn()
        except ApplicationError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def test_parallel_creates_do_not_pass_the_limit(committed_goals):
    gym = committed_goals
    with tenant_context(gym):
        member = goal_member(tier="basic", email="goalrace1@example.test")  # 3 goals
    data = {"title": "Race", "type": "visits", "period": "week", "target": 3}
    results = _parallel(gym, lambda: goal_create(member=member, data=data).pk)
    assert results.count("goal_limit_reached") == THREADS - 3
    with tenant_context(gym):
        assert Goal.objects.filter(member=member).count() == 3


def test_parallel_weighings_of_one_day_make_one_row(committed_goals):
    gym = committed_goals
    with tenant_context(gym):
        member = goal_member(email="goalrace2@example.test")
    results = _parallel(gym, lambda: body_weight_record(member=member, weight="80").pk)
    assert len(set(results)) == 1
    with tenant_context(gym):
        assert BodyWeight.objects.filter(member=member).count() == 1
