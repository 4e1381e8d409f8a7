"""The demo's challenges: a running one with participants, some on the leaderboard, with
progress; seeding twice changes nothing."""

from datetime import datetime, time, timedelta

from django_tenants.utils import tenant_context

from apps.bookings.policy import gym_zone
from apps.goals.demo import challenges as demo
from apps.goals.models import Challenge, ChallengeEntry, ChallengeParticipant
from apps.goals.selectors.challenges import challenge_leaderboard, gym_today
from tests.attendance.factories import VisitFactory
from tests.factories import MemberFactory


def test_demo_has_a_running_challenge_with_opted_in_participants_and_progress(gym_a):
    with tenant_context(gym_a):
        today = gym_today()
        members = [MemberFactory() for _ in range(6)]
        for offset in (2, 3, 5):
            at = datetime.combine(today - timedelta(offset), time(9), tzinfo=gym_zone(gym_a))
            VisitFactory(member=members[0], entered_at=at, exited_at=at + timedelta(hours=1))
        demo.seed(members=members, today=today)
        counts = (
            Challenge.objects.count(),
            ChallengeParticipant.objects.count(),
            ChallengeEntry.objects.count(),
        )
        demo.seed(members=members, today=today)
        assert (
            Challenge.objects.count(),
            ChallengeParticipant.objects.count(),
            ChallengeEntry.objects.count(),
        ) == counts
        visits = Challenge.objects.get(title="12 visits this month")
        board = challenge_leaderboard(challenge=visits)
        assert board.participants == 6 and 0 < board.shown < 6
        assert ChallengeParticipant.objects.get(challenge=visits, member=members[0]).progress == 3
        rowing = Challenge.objects.get(type="custom")
        assert ChallengeParticipant.objects.filter(challenge=rowing, progress__gt=0).exists()
