"""Health checks for the Celery containers (docker/compose.yaml), exit 0 when healthy.

    manage.py celery_health worker   this host's worker answers a ping over the broker
    manage.py celery_health beat     beat ran a periodic job recently

A worker whose process is alive but stuck (broker connection lost, pool wedged) does not
answer the ping; beat's schedule holds jobs every 5 minutes, so no `last_run_at` in the
last 15 minutes means beat is not scheduling.
"""

import socket
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from config.celery import app

BEAT_MAX_SILENCE = timedelta(minutes=15)


class Command(BaseCommand):
    help = "Exit 0 if this host's Celery worker (or the beat) is healthy, 1 otherwise."

    def add_arguments(self, parser):
        parser.add_argument("role", choices=["worker", "beat"])
        parser.add_argument("--timeout", type=float, default=10.0)

    def handle(self, *args, role, timeout, **options):
        if role == "worker":
            node = f"celery@{socket.gethostname()}"
            if not app.control.ping(destination=[node], timeout=timeout):
                raise CommandError(f"{node} did not answer a ping within {timeout:.0f} s")
            return
        last = (
            PeriodicTask.objects.filter(enabled=True, last_run_at__isnull=False)
            .order_by("-last_run_at")
            .values_list("last_run_at", flat=True)
            .first()
        )
        if last is None or timezone.now() - last > BEAT_MAX_SILENCE:
            raise CommandError(f"beat has run no periodic job since {last or 'ever'}")
