"""Challenges data, in the current schema: challenges as stored (no rules: tests of the
rules call the services), and a participation through the join service."""

from datetime import timedelta
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from apps.goals.models import Challenge, ChallengeType
from apps.goals.selectors.challenges import gym_today
from apps.goals.services.challenges import challenge_join


class ChallengeFactory(DjangoModelFactory):
    """A running visits challenge: from a week ago to a week from now (gym days)."""

    class Meta:
        model = Challenge

    title = factory.Sequence(lambda n: f"Challenge {n}")
    type = ChallengeType.VISITS
    target = Decimal(5)
    starts_on = factory.LazyFunction(lambda: gym_today() - timedelta(days=7))
    ends_on = factory.LazyFunction(lambda: gym_today() + timedelta(days=7))


def join(challenge, member, on_leaderboard=False):
    participant, _created = challenge_join(
        challenge=challenge, member=member, on_leaderboard=on_leaderboard
    )
    return participant
