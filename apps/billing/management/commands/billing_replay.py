"""Re-process a gym's stored Stripe events (after a bug fix or an outage).

    manage.py billing_replay --gym demo            # events that never processed
    manage.py billing_replay --gym demo --all      # every stored event, oldest first

Processing reads each object's current state from Stripe and grants credits once per
source, so replaying is safe.
"""

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from apps.billing.services import webhook_events_replay
from apps.tenants.models import Gym


class Command(BaseCommand):
    help = "Re-process stored Stripe webhook events of one gym."

    def add_arguments(self, parser):
        parser.add_argument("--gym", required=True, help="the gym's slug")
        parser.add_argument("--all", action="store_true", help="also events already processed")
        parser.add_argument("--type", action="append", dest="types", help="only this event type")

    def handle(self, *args, gym, all, types, **options):
        found = Gym.objects.filter(slug=gym).exclude(schema_name="public").first()
        if found is None:
            raise CommandError(f"No gym with slug {gym!r}.")
        with tenant_context(found):
            result = webhook_events_replay(only_failed=not all, types=types)
        self.stdout.write(f"{found.slug}: replayed {result['replayed']}, failed {result['failed']}")
        if result["failed"]:
            raise CommandError(f"{result['failed']} event(s) failed again; see their error.")
