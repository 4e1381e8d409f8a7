"""Joining at once: one member's join sent many times in parallel (a double tap, a
retrying app) makes one participation, on real parallel connections."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.goals.models import Challenge, ChallengeParticipant
from apps.goals.services.challenges import challenge_join
from tests.factories import MemberFactory
from tests.goals.factories_challenges import ChallengeFactory

THREADS = 10


@pytest.fixture
def committed_challenges(committed_gym_a):
    yield committed_gym_a
    with tenant_context(committed_gym_a):
        Challenge.objects.all().delete()


def test_parallel_joins_of_one_member_make_one_row(committed_challenges):
    gym = committed_challenges
    with tenant_context(gym):
        challenge = ChallengeFactory()
        member = MemberFactory()
    start = threading.Barrier(THREADS)

    def run(_):
        start.wait(timeout=30)
        try:
            with tenant_context(gym):
                participant, created = challenge_join(challenge=challenge, member=member)
                return participant.pk, created
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(run, range(THREADS)))
    assert len({pk for pk, _ in results}) == 1
    assert [created for _, created in results].count(True) == 1
    with tenant_context(gym):
        assert ChallengeParticipant.objects.filter(challenge=challenge).count() == 1
