"""Re-score stored attempts from their stored landmarks under the current catalogue (no
video decoding, no model): run after changing thresholds or scoring rules."""

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from apps.assessments.catalogue import CATALOGUE_VERSION
from apps.assessments.models import Attempt, AttemptStatus
from apps.assessments.services import attempt_rescore
from apps.tenants.models import Gym


class Command(BaseCommand):
    help = "Re-score stored assessment attempts from their landmarks, per gym."

    def add_arguments(self, parser):
        parser.add_argument("--gym", help="slug of one gym (default: every active gym)")
        parser.add_argument("--test", type=int, help="only this test id")
        parser.add_argument(
            "--all", action="store_true", help="also attempts already on the current catalogue"
        )

    def handle(self, *args, gym=None, test=None, all=False, **options):
        gyms = Gym.objects.filter(is_active=True).exclude(schema_name="public")
        if gym:
            gyms = gyms.filter(slug=gym)
            if not gyms.exists():
                raise CommandError(f"No active gym {gym!r}.")
        total = changed = 0
        for tenant in gyms:
            with tenant_context(tenant):
                attempts = Attempt.objects.filter(
                    status__in=[AttemptStatus.VALID, AttemptStatus.INVALID], landmarks__isnull=False
                )
                if test:
                    attempts = attempts.filter(test_id=test)
                if not all:
                    attempts = attempts.exclude(catalogue_version=CATALOGUE_VERSION)
                for attempt in attempts.iterator(chunk_size=50):
                    before = (attempt.status, attempt.bucket, attempt.reason_code)
                    after = attempt_rescore(attempt=attempt)
                    total += 1
                    changed += before != (after.status, after.bucket, after.reason_code)
        self.stdout.write(
            f"Re-scored {total} attempts under catalogue {CATALOGUE_VERSION}; {changed} changed."
        )
