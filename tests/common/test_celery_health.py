"""The Celery containers' health checks (`manage.py celery_health`, docker/compose.yaml)."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask


@pytest.fixture
def beat_job(db):
    PeriodicTask.objects.update(last_run_at=None)
    every = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    return PeriodicTask.objects.create(name="health-probe", task="x.y", interval=every)


def test_beat_is_healthy_while_it_runs_jobs(beat_job):
    beat_job.last_run_at = timezone.now() - timedelta(minutes=4)
    beat_job.save()
    call_command("celery_health", "beat")


@pytest.mark.parametrize("ago", [None, timedelta(minutes=16)])
def test_beat_is_unhealthy_when_it_has_not_run_a_job_lately(beat_job, ago):
    beat_job.last_run_at = timezone.now() - ago if ago else None
    beat_job.save()
    with pytest.raises(CommandError, match="beat has run no periodic job"):
        call_command("celery_health", "beat")


def test_worker_is_unhealthy_when_nobody_answers_the_ping(db):
    # The test stack runs no worker: the ping goes over the real broker and times out.
    with pytest.raises(CommandError, match="did not answer a ping"):
        call_command("celery_health", "worker", "--timeout", "0.5")
