"""The demo's motivation messages: library messages for the first members in their
language, some rated; seeding twice changes nothing."""

from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.goals.demo import motivation as demo
from apps.goals.models import Motivation
from apps.goals.selectors.challenges import gym_today
from apps.goals.services.motivation_guardrails import rejection
from tests.factories import MemberFactory


def test_demo_has_library_messages_some_rated_and_is_idempotent(gym_a):
    with tenant_context(gym_a):
        members = [MemberFactory(language=("en", "es", "fr", "de")[i % 4]) for i in range(5)]
        demo.seed(members=members, today=gym_today())
        count = Motivation.objects.count()
        demo.seed(members=members, today=gym_today())
        assert Motivation.objects.count() == count == 5 * len(demo.DAYS)
        assert Motivation.objects.filter(helpful=True).exists()
        assert Motivation.objects.filter(helpful=False).exists()
        assert Motivation.objects.filter(helpful__isnull=True).exists()
        for motivation in Motivation.objects.select_related("member"):
            assert motivation.source == "library" and motivation.language == (
                motivation.member.language
            )
            assert rejection(motivation.text, motivation.language) == ""
            assert motivation.created_at < timezone.now()  # history, dated in the past
