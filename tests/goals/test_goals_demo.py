"""The demo's goals: one in each status (one behind pace), body weights over 8 weeks,
entries; seeding twice changes nothing."""

from django_tenants.utils import tenant_context

from apps.goals.dates import local_today
from apps.goals.demo import goals as demo
from apps.goals.models import BodyWeight, Goal, GoalEntry, Milestone
from apps.goals.selectors.goals import goal_pace
from tests.factories import MemberFactory


def test_demo_goals_cover_the_statuses_and_seed_once(gym_a):
    with tenant_context(gym_a):
        members = [MemberFactory() for _ in range(6)]
        today = local_today(members[0])
        demo.seed(members=members, today=today)
        counts = (
            Goal.objects.count(),
            GoalEntry.objects.count(),
            BodyWeight.objects.count(),
            Milestone.objects.count(),
        )
        demo.seed(members=members, today=today)
        assert (
            Goal.objects.count(),
            GoalEntry.objects.count(),
            BodyWeight.objects.count(),
            Milestone.objects.count(),
        ) == counts
        statuses = {g.title: g.status for g in Goal.objects.all()}
        assert statuses["Read 12 books"] == "completed"
        assert statuses["Row 50 km in a month"] == "failed"
        assert statuses["Squat 100 kg"] == "almost_there"
        assert statuses["Run 120 minutes a week"] == "not_started"
        weight = Goal.objects.get(title="Down to 80 kg")
        assert weight.status == "on_track" and goal_pace(weight, today) == "behind"
        assert BodyWeight.objects.filter(member=members[0]).count() == 9
