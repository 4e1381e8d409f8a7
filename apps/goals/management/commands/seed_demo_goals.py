"""Give the demo gym goals, a running challenge and motivation messages, so every goals
page shows something real. Runs after seed_demo_attendance and seed_demo_classes (their
visits and bookings feed goals).
Each part lives in `apps/goals/demo/<part>.py`; each is idempotent."""

from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.common.management.demo import DemoSeedCommand
from apps.goals.demo import challenges, goals, motivation
from apps.members.models import Member, MemberStatus

# In this order: motivation messages speak of the goals and challenges seeded before them.
PARTS = (goals, challenges, motivation)


class Command(DemoSeedCommand):
    help = "Add demo goals, a challenge and motivation messages to the demo gym."

    def handle(self, *args, **options):
        gym = self.demo_gym(options)
        with tenant_context(gym):
            members = list(
                Member.objects.filter(status=MemberStatus.ACTIVE).order_by("number")[:40]
            )
            today = timezone.localdate()
            for part in PARTS:
                part.seed(members=members, today=today)
        self.stdout.write(f"Demo goals in {gym.schema_name}: {len(members)} members.")
